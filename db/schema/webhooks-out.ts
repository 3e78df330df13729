// Outgoing webhooks: the subscriptions admins make, the events kept for them (each payload once), and one
// delivery per subscription and event, which is also the delivery log. Sending follows the Standard Webhooks
// spec (queues/webhooks-out/).
import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { users } from "./auth.ts";

/** Why a subscription stopped: an admin, the receiver's 410, the retry schedule exhausted, an unsafe target. */
export const WEBHOOK_DISABLED_REASONS = ["manual", "gone", "failing", "target_refused"] as const;
export type WebhookDisabledReason = (typeof WEBHOOK_DISABLED_REASONS)[number];

/**
 * pending: waiting for its next attempt; sending: an attempt is under way; delivered: a 2xx came back;
 * failed: a 410, or every attempt of the schedule failed; skipped: recorded while the subscription was
 * disabled (kept, and sent when an admin replays it).
 */
export const WEBHOOK_DELIVERY_STATUSES = ["pending", "sending", "delivered", "failed", "skipped"] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

export const webhookSubscriptions = sqliteTable("webhook_subscriptions", {
  id: text().primaryKey(),
  url: text().notNull(),
  description: text(),
  /** JSON array of event types, or ["*"] for all of them. */
  events: text().notNull(),
  /** `whsec_…`: kept readable, since every delivery is signed with it; the API shows it only once. */
  secret: text().notNull(),
  /** After a rotation the old secret signs too, until previousSecretExpiresAt. */
  previousSecret: text(),
  previousSecretExpiresAt: integer(),
  enabled: integer({ mode: "boolean" }).notNull().default(true),
  disabledReason: text({ enum: WEBHOOK_DISABLED_REASONS }),
  disabledAt: integer(),
  /** The sequence number of the subscription's latest delivery: the next one gets this plus one. */
  lastSequence: integer().notNull().default(0),
  lastSuccessAt: integer(),
  version: integer().notNull().default(1),
  createdBy: text().references(() => users.id, { onDelete: "set null" }),
  createdAt: integer().notNull(),
  updatedAt: integer().notNull(),
});

/** What happened, once per event however many subscriptions receive it: the envelope's type, time and data. */
export const webhookEvents = sqliteTable(
  "webhook_events",
  {
    /** The event's queue message id (evt_<seq> for domain events), so a redelivered event is kept once. */
    id: text().primaryKey(),
    type: text().notNull(),
    occurredAt: integer().notNull(),
    /** JSON: the envelope's data, without the sequence number (that is the subscription's). */
    data: text().notNull(),
    createdAt: integer().notNull(),
  },
  (t) => [index("webhook_events_created_idx").on(t.createdAt)],
);

export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    /** Also the `webhook-id` header: the same on every attempt and on a replay, so receivers can dedupe. */
    id: text().primaryKey(),
    subscriptionId: text()
      .notNull()
      .references(() => webhookSubscriptions.id, { onDelete: "cascade" }),
    eventId: text()
      .notNull()
      .references(() => webhookEvents.id),
    eventType: text().notNull(),
    sequence: integer().notNull(),
    status: text({ enum: WEBHOOK_DELIVERY_STATUSES }).notNull(),
    /** Attempts made since the delivery was created or last replayed. */
    attempts: integer().notNull().default(0),
    /** When it is due: the next attempt while pending, the end of the attempt's lease while sending. */
    nextAttemptAt: integer(),
    lastAttemptAt: integer(),
    responseStatus: integer(),
    /** The start of the receiver's answer, for the log (at most 1,000 characters). */
    responseBody: text(),
    durationMs: integer(),
    error: text(),
    deliveredAt: integer(),
    createdAt: integer().notNull(),
  },
  (t) => [
    uniqueIndex("webhook_deliveries_subscription_event_idx").on(t.subscriptionId, t.eventId),
    uniqueIndex("webhook_deliveries_sequence_idx").on(t.subscriptionId, t.sequence),
    index("webhook_deliveries_due_idx").on(t.nextAttemptAt).where(sql`${t.status} in ('pending', 'sending')`),
    index("webhook_deliveries_subscription_idx").on(t.subscriptionId, t.id),
    index("webhook_deliveries_status_idx").on(t.status, t.id),
    index("webhook_deliveries_type_idx").on(t.eventType, t.id),
    index("webhook_deliveries_event_idx").on(t.eventId),
  ],
);
