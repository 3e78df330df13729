// Content for reps and contacts: the daily digest's delivery log, the per-user calendar feed secrets and the
// email templates with their language variants.
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { users } from "./auth.ts";

/** One row per rep and local date: the claim that makes the 08:00 digest go out once per day. */
export const digests = sqliteTable(
  "digests",
  {
    userId: text()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** The rep's local date, YYYY-MM-DD in their time zone. */
    localDate: text().notNull(),
    /** The cron run that claimed it: the later statements of that run's batch check it. */
    claim: text().notNull(),
    createdAt: integer().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.localDate] }),
    index("digests_user_created_idx").on(t.userId, t.createdAt),
  ],
);

/** A user's calendar feed: only the SHA-256 of the secret in the URL is kept; regenerating replaces it. */
export const calendarFeeds = sqliteTable(
  "calendar_feeds",
  {
    userId: text()
      .primaryKey()
      .references(() => users.id, { onDelete: "cascade" }),
    secretHash: text().notNull(),
    createdAt: integer().notNull(),
  },
  (t) => [uniqueIndex("calendar_feeds_secret_idx").on(t.secretHash)],
);

export const TEMPLATE_KINDS = ["marketing", "transactional"] as const;
export type TemplateKind = (typeof TEMPLATE_KINDS)[number];
export const TEMPLATE_LANGUAGES = ["en", "vi"] as const;
export type TemplateLanguage = (typeof TEMPLATE_LANGUAGES)[number];

/** Email templates; `variants` is JSON `{ en: { subject, html, text? }, vi: { … } }`, at least one language. */
export const emailTemplates = sqliteTable(
  "email_templates",
  {
    id: text().primaryKey(),
    name: text().notNull(),
    kind: text({ enum: TEMPLATE_KINDS }).notNull(),
    variants: text().notNull(),
    version: integer().notNull().default(1),
    createdBy: text(),
    createdAt: integer().notNull(),
    updatedAt: integer().notNull(),
    deletedAt: integer(),
  },
  (t) => [index("email_templates_name_idx").on(t.name, t.id)],
);
