// Domain events: every change to a record, written by triggers in the transaction that made it (migration
// 0018), then dispatched to the events queue for the engines that react (workflows, outbound webhooks,
// sequences). The table is the transactional outbox of the event stream; `seq` orders it.
import { sql } from "drizzle-orm";
import { check, index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const domainEvents = sqliteTable(
  "domain_events",
  {
    seq: integer().primaryKey({ autoIncrement: true }),
    type: text().notNull(),
    recordType: text().notNull(),
    recordId: text().notNull(),
    /** JSON: { before, after }, each the record's columns in camelCase or null. */
    data: text().notNull(),
    /** JSON copied from write_cause when the write carried one (a workflow's action, say). */
    cause: text(),
    createdAt: integer().notNull(),
    /** Set once the event is on the queue; until then the dispatcher may claim it. */
    dispatchedAt: integer(),
    /** A dispatcher's claim: others leave the event alone until this time. */
    claimedUntil: integer(),
  },
  (t) => [
    index("domain_events_pending_idx").on(t.seq).where(sql`${t.dispatchedAt} is null`),
    index("domain_events_record_idx").on(t.recordType, t.recordId, t.seq),
    index("domain_events_created_idx").on(t.createdAt),
  ],
);

/**
 * At most one row, for the length of one write batch: why the batch writes (which workflow run, at which
 * depth). The event triggers copy it into the events they write; the batch deletes it at its end.
 */
export const writeCause = sqliteTable(
  "write_cause",
  {
    id: integer().primaryKey(),
    cause: text().notNull(),
  },
  (t) => [check("write_cause_one_row", sql`${t.id} = 1`)],
);
