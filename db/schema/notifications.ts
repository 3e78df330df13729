// Notifications to users: the in-app feed, each user's channel choices per kind, and the Slack / Teams
// incoming webhooks that users and teams register. What leaves the system goes through the outbox.
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { teams, users } from "./auth.ts";

/**
 * What a notification is about; each user picks the channels of each kind. `workflow`: a workflow's notify
 * action; `integration`: an admin's notice that an integration stopped (an outgoing webhook disabled).
 */
export const NOTIFICATION_KINDS = [
  "lead_assigned",
  "reminder",
  "sla_breach",
  "mention",
  "digest",
  "workflow",
  "integration",
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export const NOTIFICATION_CHANNELS = ["in_app", "email", "slack", "teams"] as const;
export type NotificationChannel = (typeof NOTIFICATION_CHANNELS)[number];

export const WEBHOOK_CHANNELS = ["slack", "teams"] as const;
export type WebhookChannel = (typeof WEBHOOK_CHANNELS)[number];

/**
 * One row per notification to a user, whichever channels carry it; the feed shows those with `inApp`.
 * `dedupeKey` makes a notification that a job may write twice (a reminder, a digest) exist once.
 */
export const notifications = sqliteTable(
  "notifications",
  {
    id: text().primaryKey(),
    userId: text()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    kind: text({ enum: NOTIFICATION_KINDS }).notNull(),
    title: text().notNull(),
    body: text().notNull(),
    link: text(),
    contactId: text(),
    inApp: integer({ mode: "boolean" }).notNull().default(true),
    dedupeKey: text(),
    createdAt: integer().notNull(),
    readAt: integer(),
  },
  (t) => [
    index("notifications_feed_idx").on(t.userId, t.inApp, t.id),
    index("notifications_unread_idx").on(t.userId).where(sql`${t.readAt} is null and ${t.inApp} = 1`),
    uniqueIndex("notifications_dedupe_idx").on(t.dedupeKey),
  ],
);

/** A user's channels for one kind (a JSON array of channels); a kind without a row uses the defaults. */
export const notificationPreferences = sqliteTable(
  "notification_preferences",
  {
    userId: text()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    kind: text({ enum: NOTIFICATION_KINDS }).notNull(),
    channels: text().notNull(),
    updatedAt: integer().notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.kind] })],
);

/** An incoming-webhook URL of a user or of a team (exactly one of the two), for Slack or Teams. */
export const notificationWebhooks = sqliteTable(
  "notification_webhooks",
  {
    id: text().primaryKey(),
    userId: text().references(() => users.id, { onDelete: "cascade" }),
    teamId: text().references(() => teams.id, { onDelete: "cascade" }),
    channel: text({ enum: WEBHOOK_CHANNELS }).notNull(),
    /** The URL is itself the credential: it is never logged and never returned whole by the API. */
    url: text().notNull(),
    createdAt: integer().notNull(),
  },
  (t) => [
    uniqueIndex("notification_webhooks_user_idx").on(t.userId, t.channel),
    uniqueIndex("notification_webhooks_team_idx").on(t.teamId, t.channel),
  ],
);
