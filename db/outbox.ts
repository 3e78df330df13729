// The outbox: messages that leave the system (invitations, reset links, notifications) are written here, in the
// same batch as the change that causes them, and delivered later by the outbound engine. Locally it is the
// sink. Admins list it (development and tests only: bodies hold live links) and replay what failed.
import { and, desc, eq, lt, type SQL, sql } from "drizzle-orm";
import type { Database } from "./client.ts";
import { newId } from "./ids.ts";
import { rowsForPage } from "./paging.ts";
import { outbox } from "./schema/index.ts";

export const OUTBOX_STATUSES = ["pending", "sending", "sent", "failed"] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];
export const OUTBOX_CHANNELS = ["email", "slack", "teams"] as const;

export interface OutboxMessage {
  recipient: string;
  subject: string;
  body: string;
  template: string;
}

export function outboxValues(message: OutboxMessage, now = Date.now()) {
  return { id: newId(), channel: "email" as const, status: "pending" as const, createdAt: now, ...message };
}

export function outboxStatement(db: Database, message: OutboxMessage, now = Date.now()) {
  return db.insert(outbox).values(outboxValues(message, now));
}

/** Newest first, keyset-paged by id; `status` keeps the messages in that state only. */
export function listOutboxQuery(
  db: Database,
  options: { before?: string | undefined; limit: number; status?: OutboxStatus | undefined },
) {
  return db
    .select()
    .from(outbox)
    .where(
      and(
        options.before ? lt(outbox.id, options.before) : undefined,
        options.status ? eq(outbox.status, options.status) : undefined,
      ),
    )
    .orderBy(desc(outbox.id))
    .limit(rowsForPage(options.limit));
}

/** What an admin may see of a message in any environment: no recipient, subject or body. */
export const outboxSummaryFields = {
  id: outbox.id,
  channel: outbox.channel,
  template: outbox.template,
  kind: outbox.kind,
  status: outbox.status,
  attempts: outbox.attempts,
  lastError: outbox.lastError,
  createdAt: outbox.createdAt,
};

// A replayed message starts again from a fresh count of attempts, due at once. The last error stays, so the
// admin can still see why it had failed until the next attempt says otherwise.
const requeue = sql`status = 'pending', attempts = 0, next_attempt_at = null, lease_until = null`;

/** Puts one failed message back in line; returns its summary, or no row when it is not failed (or absent). */
export function replayOutboxStatement(db: Database, id: string) {
  return db
    .update(outbox)
    .set({ status: "pending", attempts: 0, nextAttemptAt: null, leaseUntil: null })
    .where(and(eq(outbox.id, id), eq(outbox.status, "failed")))
    .returning(outboxSummaryFields);
}

/** The message's summary, read after the replay in the same batch, to tell a 409 from a 404. */
export function outboxSummaryQuery(db: Database, id: string) {
  return db.select(outboxSummaryFields).from(outbox).where(eq(outbox.id, id));
}

export interface ReplayFilter {
  channel?: (typeof OUTBOX_CHANNELS)[number] | undefined;
  kind?: string | undefined;
  template?: string | undefined;
  userId?: string | undefined;
  /** Epoch ms, inclusive: messages created at or after. */
  createdFrom?: number | undefined;
  /** Epoch ms, exclusive: messages created before. */
  createdTo?: number | undefined;
  /** At most this many, the oldest first. */
  limit: number;
}

function failedMatching(filter: ReplayFilter): SQL {
  const terms: SQL[] = [sql`status = 'failed'`];
  if (filter.channel) terms.push(sql`channel = ${filter.channel}`);
  if (filter.kind) terms.push(sql`kind = ${filter.kind}`);
  if (filter.template) terms.push(sql`template = ${filter.template}`);
  if (filter.userId) terms.push(sql`user_id = ${filter.userId}`);
  if (filter.createdFrom !== undefined) terms.push(sql`created_at >= ${filter.createdFrom}`);
  if (filter.createdTo !== undefined) terms.push(sql`created_at < ${filter.createdTo}`);
  return sql.join(terms, sql` and `);
}

/** The ids of the failed messages a bulk replay takes: the oldest `limit` that match, through outbox_status_idx. */
function batchOf(filter: ReplayFilter): SQL {
  return sql`select id from outbox where ${failedMatching(filter)} order by created_at, id limit ${filter.limit}`;
}

/** How many messages the bulk replay will take, read in its batch before it (for the audit entry). */
export function replayCountSql(filter: ReplayFilter): SQL {
  return sql`(select count(*) from (${batchOf(filter)}))`;
}

/** Puts back in line the oldest `limit` failed messages that match the filter; returns their ids. */
export function replayFailedStatement(db: Database, filter: ReplayFilter) {
  return db.all<{ id: string }>(sql`update outbox set ${requeue}
    where id in (${batchOf(filter)}) and status = 'failed' returning id`);
}

/** Whether failed messages matching the filter remain after the replay (the limit left them for next time). */
export function moreFailedQuery(db: Database, filter: ReplayFilter) {
  return db.all<{ more: number }>(
    sql`select exists (select 1 from outbox where ${failedMatching(filter)}) as more`,
  );
}
