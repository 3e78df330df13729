// Inbound webhooks: the sources that may post to /hooks/{id} (how each delivery is verified, and the mapping
// from its payload to contacts, timeline entries, engagement and consent), and the inbox that keeps every
// verified delivery (raw body, what became of it) for search and replay.
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { users } from "./auth.ts";

export const WEBHOOK_VERIFICATIONS = [
  "standard_webhooks",
  "hubspot_v3",
  "hmac_sha256",
  "token",
  "basic",
] as const;
export type WebhookVerification = (typeof WEBHOOK_VERIFICATIONS)[number];

/** received: kept, not yet processed (written while the queue was down, or replayed); then processed or failed. */
export const INBOX_STATUSES = ["received", "processed", "failed"] as const;
export type InboxStatus = (typeof INBOX_STATUSES)[number];

/** What became of one event of a delivery: done, no rule for its type, or no contact to act on. */
/** suppressed: the contact would have been made for someone erased on request (db/privacy/suppression.ts). */
export const INBOX_EVENT_STATUSES = ["processed", "ignored", "no_contact", "suppressed"] as const;

export const webhookSources = sqliteTable(
  "webhook_sources",
  {
    id: text().primaryKey(),
    name: text().notNull(),
    verification: text({ enum: WEBHOOK_VERIFICATIONS }).notNull(),
    /** JSON: the verification's settings (header names, encoding, the HubSpot URL), never a secret. */
    verificationConfig: text().notNull().default("{}"),
    /**
     * JSON list of one or two secrets, newest first: [{ id, value, createdAt }]. Kept apart from the rest so
     * that no read of the definition carries them by accident; the API shows only a hint of each.
     */
    secrets: text().notNull(),
    /** JSON: the declarative mapping (queues/webhooks-in/mapping.ts). */
    mapping: text().notNull(),
    /** The preset the mapping came from, if any. */
    preset: text(),
    /** JSON: { formId, utm } to attribute the leads and engagement to. */
    attribution: text().notNull().default("{}"),
    /** Owner of the contacts the source creates (when that user is active); none when null. */
    defaultOwnerId: text().references(() => users.id),
    retentionDays: integer().notNull().default(30),
    version: integer().notNull().default(1),
    createdAt: integer().notNull(),
    updatedAt: integer().notNull(),
    /** Archived sources take no deliveries (404 at the endpoint); restoring one takes them again. */
    archivedAt: integer(),
  },
  (t) => [index("webhook_sources_updated_idx").on(t.updatedAt, t.id)],
);

/**
 * One row per verified delivery, unique by source and the delivery's own id, so a delivery that arrives twice
 * is kept (and processed) once. Rejected deliveries (bad signature, stale timestamp) are never stored. No
 * foreign key to the source: a delivery written straight to the database is kept before anyone reads it.
 */
export const webhookInbox = sqliteTable(
  "webhook_inbox",
  {
    id: text().primaryKey(),
    sourceId: text().notNull(),
    /** The sender's id of the delivery (webhook-id, a configured header or payload path), else a body hash. */
    deliveryId: text().notNull(),
    status: text({ enum: INBOX_STATUSES }).notNull(),
    /** The first event's type, and how many events the delivery held (once processed). */
    eventType: text(),
    eventCount: integer().notNull().default(0),
    contentType: text(),
    /** JSON: the request's headers without credentials, and its query without a token. */
    headers: text().notNull().default("{}"),
    queryParams: text().notNull().default("{}"),
    /** The raw body, as text (utf8) or, when it is not UTF-8, base64. */
    body: text().notNull(),
    bodyEncoding: text({ enum: ["utf8", "base64"] })
      .notNull()
      .default("utf8"),
    /** JSON: how it was verified: the scheme, which secret matched, the sender's timestamp. */
    verification: text().notNull(),
    error: text(),
    attempts: integer().notNull().default(0),
    replays: integer().notNull().default(0),
    /** The consumer run that settled the row; the later statements of that run's batch act only under it. */
    claim: text(),
    receivedAt: integer().notNull(),
    processedAt: integer(),
    /**
     * When the raw body, headers and query were blanked because the delivery concerned someone erased on request
     * (by the erasure, or when its event was suppressed): what was done stays, the payload cannot be replayed.
     */
    erasedAt: integer(),
    updatedAt: integer().notNull(),
  },
  (t) => [
    uniqueIndex("webhook_inbox_delivery_idx").on(t.sourceId, t.deliveryId),
    index("webhook_inbox_source_idx").on(t.sourceId, t.receivedAt, t.id),
    index("webhook_inbox_status_idx").on(t.status, t.receivedAt, t.id),
    index("webhook_inbox_received_idx").on(t.receivedAt, t.id),
    // The sweep's work list: deliveries written straight to the database (or replayed) and not yet processed.
    index("webhook_inbox_pending_idx").on(t.updatedAt).where(sql`${t.status} = 'received'`),
  ],
);

/** The events of a processed delivery, in payload order: what each was, and the contact it concerned. */
export const webhookInboxEvents = sqliteTable(
  "webhook_inbox_events",
  {
    inboxId: text().notNull(),
    idx: integer().notNull(),
    eventType: text(),
    eventId: text().notNull(),
    status: text({ enum: INBOX_EVENT_STATUSES }).notNull(),
    contactId: text(),
    /** JSON list of what was done: upsert_contact, log_activity, record_engagement, set_consent. */
    actions: text().notNull().default("[]"),
  },
  (t) => [
    primaryKey({ columns: [t.inboxId, t.idx] }),
    index("webhook_inbox_events_contact_idx").on(t.contactId),
  ],
);
