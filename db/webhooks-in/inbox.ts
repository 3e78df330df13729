// The inbox of inbound deliveries: the row the edge writes when the queue cannot take a delivery (or its body
// is too large for a queue message), the admin's filtered list, one delivery with its events, replays, the
// sweep's work list and the retention prune. The consumer's own batch is in queues/webhooks-in/statements.ts.
import { and, asc, desc, eq, gte, inArray, isNull, lt, lte, type SQL, sql } from "drizzle-orm";
import type { WebhookDeliveryData } from "../../queues/webhooks-in/messages.ts";
import type { Database } from "../client.ts";
import { beforeCursor, containsText, rowsForPage } from "../paging.ts";
import { type InboxStatus, webhookInbox, webhookInboxEvents, webhookSources } from "../schema/index.ts";

export type InboxRow = typeof webhookInbox.$inferSelect;
export type InboxEventRow = typeof webhookInboxEvents.$inferSelect;

/** The delivery as the edge verified it, kept until processed; a second delivery of it changes nothing. */
export function receivedDeliveryStatement(db: Database, data: WebhookDeliveryData & { body: string }) {
  return db
    .insert(webhookInbox)
    .values({
      id: data.inboxId,
      sourceId: data.sourceId,
      deliveryId: data.deliveryId,
      status: "received",
      contentType: data.contentType,
      headers: JSON.stringify(data.headers),
      queryParams: JSON.stringify(data.query),
      body: data.body,
      bodyEncoding: data.bodyEncoding,
      verification: JSON.stringify(data.verification),
      receivedAt: data.receivedAt,
      updatedAt: data.receivedAt,
    })
    .onConflictDoNothing();
}

export function deliveryRowQuery(db: Database, sourceId: string, deliveryId: string) {
  return db
    .select()
    .from(webhookInbox)
    .where(and(eq(webhookInbox.sourceId, sourceId), eq(webhookInbox.deliveryId, deliveryId)));
}

/** The events of the delivery (by source and delivery id), in payload order. */
export function deliveryEventsQuery(db: Database, sourceId: string, deliveryId: string) {
  return db
    .select({ event: webhookInboxEvents })
    .from(webhookInboxEvents)
    .innerJoin(webhookInbox, eq(webhookInbox.id, webhookInboxEvents.inboxId))
    .where(and(eq(webhookInbox.sourceId, sourceId), eq(webhookInbox.deliveryId, deliveryId)))
    .orderBy(asc(webhookInboxEvents.idx));
}

export function inboxRowQuery(db: Database, id: string) {
  return db.select().from(webhookInbox).where(eq(webhookInbox.id, id));
}

export function inboxEventsQuery(db: Database, id: string) {
  return db
    .select()
    .from(webhookInboxEvents)
    .where(eq(webhookInboxEvents.inboxId, id))
    .orderBy(asc(webhookInboxEvents.idx));
}

export interface InboxFilter {
  sourceId?: string | undefined;
  status?: InboxStatus | undefined;
  q?: string | undefined;
  from?: number | undefined;
  to?: number | undefined;
  cursor?: { at: number; id: string } | null | undefined;
  limit: number;
}

/**
 * Newest first, keyset-paged on (receivedAt, id) along the (source, received) or (status, received) index.
 * `q` looks in the delivery id, the event type and the raw body (a name, an email in the payload).
 */
export function listInboxQuery(db: Database, filter: InboxFilter) {
  const { cursor } = filter;
  const search = filter.q
    ? containsText([webhookInbox.deliveryId, webhookInbox.eventType, webhookInbox.body], filter.q)
    : undefined;
  return db
    .select({
      id: webhookInbox.id,
      sourceId: webhookInbox.sourceId,
      deliveryId: webhookInbox.deliveryId,
      status: webhookInbox.status,
      eventType: webhookInbox.eventType,
      eventCount: webhookInbox.eventCount,
      contentType: webhookInbox.contentType,
      bodyBytes: sql<number>`length(${webhookInbox.body})`,
      verification: webhookInbox.verification,
      error: webhookInbox.error,
      attempts: webhookInbox.attempts,
      replays: webhookInbox.replays,
      receivedAt: webhookInbox.receivedAt,
      processedAt: webhookInbox.processedAt,
      erasedAt: webhookInbox.erasedAt,
    })
    .from(webhookInbox)
    .where(
      and(
        filter.sourceId ? eq(webhookInbox.sourceId, filter.sourceId) : undefined,
        filter.status ? eq(webhookInbox.status, filter.status) : undefined,
        filter.from !== undefined ? gte(webhookInbox.receivedAt, filter.from) : undefined,
        filter.to !== undefined ? lte(webhookInbox.receivedAt, filter.to) : undefined,
        cursor ? beforeCursor(webhookInbox.receivedAt, webhookInbox.id, cursor) : undefined,
        search,
      ),
    )
    .orderBy(desc(webhookInbox.receivedAt), desc(webhookInbox.id))
    .limit(rowsForPage(filter.limit));
}

export type InboxListRow = Awaited<ReturnType<typeof listInboxQuery>>[number];

const SETTLED: InboxStatus[] = ["processed", "failed"];

/**
 * Blanks the raw body, headers and query of the deliveries whose ids the SQL selects, because they concern someone
 * erased on request: the row keeps what was done with it (status, events), and can no longer be replayed.
 */
export function erasePayloadsStatement(db: Database, ids: SQL, now: number) {
  return db.run(sql`update webhook_inbox set body = '', body_encoding = 'utf8', headers = '{}', query_params = '{}',
      erased_at = ${now}, updated_at = ${now}
    where id in (${ids}) and erased_at is null`);
}

/**
 * Sets a processed or failed delivery back to received, to be processed again; returns it when it was (an erased
 * delivery has nothing left to process).
 */
export function replayDeliveryStatement(db: Database, id: string, now: number) {
  return db
    .update(webhookInbox)
    .set({ status: "received", error: null, replays: sql`${webhookInbox.replays} + 1`, updatedAt: now })
    .where(and(eq(webhookInbox.id, id), inArray(webhookInbox.status, SETTLED), isNull(webhookInbox.erasedAt)))
    .returning({ id: webhookInbox.id, sourceId: webhookInbox.sourceId, deliveryId: webhookInbox.deliveryId });
}

export const MAX_REPLAY = 100;

/**
 * Replays many: the given ids, or the oldest settled deliveries matching a source and status (100 at most); never
 * an erased one.
 */
export function replayDeliveriesStatement(
  db: Database,
  selection: { ids?: string[] | undefined; sourceId?: string | undefined; status?: InboxStatus | undefined },
  now: number,
) {
  const chosen = db
    .select({ id: webhookInbox.id })
    .from(webhookInbox)
    .where(
      and(
        selection.ids ? inArray(webhookInbox.id, selection.ids) : undefined,
        selection.sourceId ? eq(webhookInbox.sourceId, selection.sourceId) : undefined,
        inArray(webhookInbox.status, selection.status ? [selection.status] : SETTLED),
        isNull(webhookInbox.erasedAt),
      ),
    )
    .orderBy(asc(webhookInbox.receivedAt), asc(webhookInbox.id))
    .limit(MAX_REPLAY);
  return db
    .update(webhookInbox)
    .set({ status: "received", error: null, replays: sql`${webhookInbox.replays} + 1`, updatedAt: now })
    .where(and(inArray(webhookInbox.id, chosen), inArray(webhookInbox.status, SETTLED)))
    .returning({ id: webhookInbox.id, sourceId: webhookInbox.sourceId, deliveryId: webhookInbox.deliveryId });
}

/** The sweep's work: deliveries still received and untouched for `olderThanMs`, oldest first. */
export function pendingDeliveriesQuery(db: Database, now: number, olderThanMs: number, limit: number) {
  return db
    .select()
    .from(webhookInbox)
    .where(and(eq(webhookInbox.status, "received"), lt(webhookInbox.updatedAt, now - olderThanMs)))
    .orderBy(asc(webhookInbox.updatedAt))
    .limit(limit);
}

/** Marks pending deliveries as handed on, so the next sweep waits for them. */
export function touchDeliveriesStatement(db: Database, ids: string[], now: number) {
  return db
    .update(webhookInbox)
    .set({ updatedAt: now })
    .where(and(inArray(webhookInbox.id, ids), eq(webhookInbox.status, "received")));
}

const DAY_MS = 24 * 60 * 60_000;
export const DEFAULT_RETENTION_DAYS = 30;
/** The shortest retention a source may have: rows younger than this are never looked at by the prune. */
export const MIN_RETENTION_DAYS = 1;
const PRUNE_CHUNK = 2000;
const PRUNE_ROUNDS = 25;

/**
 * Deletes settled deliveries older than their source's retention (30 days for a source that is gone), with
 * their events, a chunk at a time. Rows still to be processed are kept whatever their age.
 */
export async function pruneInbox(db: Database, now: number): Promise<number> {
  const expired = sql`(select i.id from ${webhookInbox} i left join ${webhookSources} s on s.id = i.source_id
    where i.received_at < ${now - MIN_RETENTION_DAYS * DAY_MS} and i.status != 'received'
      and i.received_at < ${now} - coalesce(s.retention_days, ${DEFAULT_RETENTION_DAYS}) * ${DAY_MS}
    order by i.received_at limit ${PRUNE_CHUNK})`;
  let total = 0;
  for (let round = 0; round < PRUNE_ROUNDS; round++) {
    const [, deleted] = await db.batch([
      db.run(sql`delete from ${webhookInboxEvents} where inbox_id in ${expired}`),
      db.run(sql`delete from ${webhookInbox} where id in ${expired}`),
    ]);
    const count = deleted.rowsAffected;
    total += count;
    if (count < PRUNE_CHUNK) break;
  }
  return total;
}
