// Deliveries: one row per subscription and event, written in SQL for every subscription whose events match
// (its sequence number assigned in the same statement, in step with the subscription's counter), listed and
// read as the delivery log, and replayed by an admin.
import { and, desc, eq, inArray, lt, type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { ALL_EVENTS, TEST_EVENT_TYPE } from "../../queues/webhooks-out/catalogue.ts";
import type { WebhookEvent } from "../../queues/webhooks-out/envelope.ts";
import type { Database } from "../client.ts";
import { newId } from "../ids.ts";
import { rowsForPage } from "../paging.ts";
import {
  type WebhookDeliveryStatus,
  webhookDeliveries,
  webhookEvents,
  webhookSubscriptions,
} from "../schema/index.ts";
import { sqlNewId } from "../sequences/sql-ids.ts";
import { idList } from "../statements.ts";

type Item = BatchItem<"sqlite">;

/** SQL true for subscriptions (alias `s`) that receive events of this type. */
function receives(type: string): SQL {
  return sql`exists (select 1 from json_each(s.events) where json_each.value in (${ALL_EVENTS}, ${type}))`;
}

/**
 * Records an event for every subscription that receives it, in three statements: the event (kept once, only
 * when someone receives it), the matching subscriptions' counters moved on, and one delivery each with the
 * counter as its sequence number: pending for an enabled subscription, skipped for a disabled one. A second
 * run for the same event writes nothing (the counter moves only for subscriptions without its delivery), so
 * sequence numbers have no gaps. `only` limits it to one subscription (a test event).
 */
export function recordEventStatements(db: Database, event: WebhookEvent, now: number, only?: string): Item[] {
  const matching = only === undefined ? receives(event.type) : sql`s.id = ${only} and s.enabled = 1`;
  const notYet = sql`not exists (select 1 from ${webhookDeliveries} d where d.subscription_id = s.id and d.event_id = ${event.id})`;
  return [
    db.run(sql`insert into ${webhookEvents} (id, type, occurred_at, data, created_at)
      select ${event.id}, ${event.type}, ${event.occurredAt}, ${JSON.stringify(event.data)}, ${now}
       where exists (select 1 from ${webhookSubscriptions} s where ${matching})
      on conflict do nothing`),
    db.run(sql`update ${webhookSubscriptions} as s set last_sequence = last_sequence + 1
      where ${matching} and ${notYet}`),
    db.run(sql`insert into ${webhookDeliveries}
        (id, subscription_id, event_id, event_type, sequence, status, attempts, next_attempt_at, created_at)
      select ${sqlNewId(now)}, s.id, ${event.id}, ${event.type}, s.last_sequence,
             case when s.enabled = 1 then 'pending' else 'skipped' end, 0,
             case when s.enabled = 1 then ${now} else null end, ${now}
        from ${webhookSubscriptions} s
       where ${matching} and ${notYet}
      on conflict do nothing
      returning id, status`),
  ];
}

/** The test event for one subscription: delivered like any other, whatever events the subscription names. */
export function testEventStatements(db: Database, subscriptionId: string, now: number) {
  const event: WebhookEvent = {
    id: `test_${newId()}`,
    type: TEST_EVENT_TYPE,
    occurredAt: now,
    data: {
      object: "webhook_subscription",
      id: subscriptionId,
      record: { message: "A test event: your endpoint receives and verifies the CRM's webhooks." },
    },
  };
  return { event, statements: recordEventStatements(db, event, now, subscriptionId) };
}

const logFields = {
  id: webhookDeliveries.id,
  subscriptionId: webhookDeliveries.subscriptionId,
  eventId: webhookDeliveries.eventId,
  eventType: webhookDeliveries.eventType,
  sequence: webhookDeliveries.sequence,
  status: webhookDeliveries.status,
  attempts: webhookDeliveries.attempts,
  nextAttemptAt: webhookDeliveries.nextAttemptAt,
  lastAttemptAt: webhookDeliveries.lastAttemptAt,
  responseStatus: webhookDeliveries.responseStatus,
  durationMs: webhookDeliveries.durationMs,
  error: webhookDeliveries.error,
  deliveredAt: webhookDeliveries.deliveredAt,
  createdAt: webhookDeliveries.createdAt,
};

export interface DeliveryFilter {
  subscriptionId?: string | undefined;
  status?: WebhookDeliveryStatus | undefined;
  eventType?: string | undefined;
  eventId?: string | undefined;
}

function filterSql(filter: DeliveryFilter): SQL | undefined {
  return and(
    filter.subscriptionId === undefined
      ? undefined
      : eq(webhookDeliveries.subscriptionId, filter.subscriptionId),
    filter.status === undefined ? undefined : eq(webhookDeliveries.status, filter.status),
    filter.eventType === undefined ? undefined : eq(webhookDeliveries.eventType, filter.eventType),
    filter.eventId === undefined ? undefined : eq(webhookDeliveries.eventId, filter.eventId),
  );
}

/** The delivery log, newest first, keyset-paged by id; each filter has an index that leads with it. */
export function listDeliveriesQuery(
  db: Database,
  filter: DeliveryFilter,
  page: { before?: string | undefined; limit: number },
) {
  return db
    .select(logFields)
    .from(webhookDeliveries)
    .where(and(filterSql(filter), page.before ? lt(webhookDeliveries.id, page.before) : undefined))
    .orderBy(desc(webhookDeliveries.id))
    .limit(rowsForPage(page.limit));
}

/** One delivery as the log lists it. */
export function deliveryQuery(db: Database, id: string) {
  return db.select(logFields).from(webhookDeliveries).where(eq(webhookDeliveries.id, id));
}

/** One delivery with what it carried: the event's data (the body is rebuilt from it, byte for byte). */
export function readDeliveryQuery(db: Database, id: string) {
  return db
    .select({
      ...logFields,
      responseBody: webhookDeliveries.responseBody,
      occurredAt: webhookEvents.occurredAt,
      data: webhookEvents.data,
      url: webhookSubscriptions.url,
    })
    .from(webhookDeliveries)
    .innerJoin(webhookEvents, eq(webhookEvents.id, webhookDeliveries.eventId))
    .innerJoin(webhookSubscriptions, eq(webhookSubscriptions.id, webhookDeliveries.subscriptionId))
    .where(eq(webhookDeliveries.id, id));
}

export type DeliveryRow = Awaited<ReturnType<typeof listDeliveriesQuery>>[number];

/** At most this many deliveries are replayed by one request. */
export const REPLAY_LIMIT = 500;

/**
 * Puts deliveries back in line for an attempt now, on a fresh schedule, keeping their id (the receiver may
 * have them already and drops the duplicate) and sequence number. Only deliveries of enabled subscriptions,
 * and none with an attempt under way. Returns the ids replayed.
 */
export function replayStatement(
  db: Database,
  selection: { ids: readonly string[] } | DeliveryFilter,
  now: number,
) {
  const which =
    "ids" in selection
      ? inArray(webhookDeliveries.id, selection.ids.length > 0 ? [...selection.ids] : [""])
      : filterSql(selection);
  return db
    .update(webhookDeliveries)
    .set({ status: "pending", attempts: 0, nextAttemptAt: now, error: null })
    .where(
      sql`${webhookDeliveries.id} in (select ${webhookDeliveries.id} from ${webhookDeliveries}
        where ${which ?? sql`1`} and ${webhookDeliveries.status} <> 'sending'
          and ${webhookDeliveries.subscriptionId} in
              (select ${webhookSubscriptions.id} from ${webhookSubscriptions} where ${webhookSubscriptions.enabled} = 1)
        order by ${webhookDeliveries.id} limit ${REPLAY_LIMIT})`,
    )
    .returning({ id: webhookDeliveries.id });
}

/** The deliveries among `ids` as they are now (to explain the ones a replay left alone). */
export function deliveryStatesQuery(db: Database, ids: readonly string[]) {
  return db
    .select({
      id: webhookDeliveries.id,
      status: webhookDeliveries.status,
      enabled: webhookSubscriptions.enabled,
    })
    .from(webhookDeliveries)
    .innerJoin(webhookSubscriptions, eq(webhookSubscriptions.id, webhookDeliveries.subscriptionId))
    .where(sql`${webhookDeliveries.id} in (${idList(ids.length > 0 ? ids : [""])})`);
}
