// Reading and dispatching the domain-event outbox (db/schema/events.ts), and tagging a write batch with its
// cause so the events it makes say why they happened (workflows use it to stop loops).
import { asc, lt, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Database } from "./client.ts";
import { domainEvents, writeCause } from "./schema/index.ts";

export interface WriteCause {
  actorId?: string;
  workflowId?: string;
  runId?: string;
  depth?: number;
}

/**
 * The statements of one write batch, bracketed so that every event they make carries `cause`. A batch is
 * one transaction, so no other write sees the row; it is gone when the batch ends.
 */
export function withWriteCause(
  db: Database,
  cause: WriteCause,
  statements: readonly BatchItem<"sqlite">[],
): BatchItem<"sqlite">[] {
  return [
    db
      .insert(writeCause)
      .values({ id: 1, cause: JSON.stringify(cause) })
      .onConflictDoUpdate({
        target: writeCause.id,
        set: { cause: JSON.stringify(cause) },
      }),
    ...statements,
    db.delete(writeCause),
  ];
}

export type DomainEventRow = typeof domainEvents.$inferSelect;

const CLAIM_MS = 60_000;

/**
 * Claims the oldest undispatched events: a dispatcher that dies holding them lets them go after a minute.
 * Two dispatchers never hold the same event at once; an event may still go out twice (claimed, sent, and the
 * mark lost), which consumers tolerate since each is keyed by its id.
 */
export function claimEvents(db: Database, now: number, limit: number) {
  return db
    .update(domainEvents)
    .set({ claimedUntil: now + CLAIM_MS })
    .where(
      sql`${domainEvents.seq} in (select seq from ${domainEvents}
        where dispatched_at is null and (claimed_until is null or claimed_until <= ${now})
        order by seq limit ${limit})`,
    )
    .returning();
}

export function markDispatched(db: Database, seqs: readonly number[], now: number) {
  return db
    .update(domainEvents)
    .set({ dispatchedAt: now, claimedUntil: null })
    .where(
      sql`${domainEvents.seq} in (${sql.join(
        seqs.map((s) => sql`${s}`),
        sql`, `,
      )})`,
    );
}

/** Events of one record, oldest first: the record's history as the engines saw it. */
export function eventsOfRecord(db: Database, recordType: string, recordId: string, limit = 100) {
  return db
    .select()
    .from(domainEvents)
    .where(sql`${domainEvents.recordType} = ${recordType} and ${domainEvents.recordId} = ${recordId}`)
    .orderBy(asc(domainEvents.seq))
    .limit(limit);
}

/** Drops dispatched events older than `before` (the daily housekeeping keeps a window for replays). */
export async function pruneDomainEvents(db: Database, before: number): Promise<number> {
  const result = await db
    .delete(domainEvents)
    .where(sql`${lt(domainEvents.createdAt, before)} and ${domainEvents.dispatchedAt} is not null`);
  return result.rowsAffected;
}
