// Recording a delivery attempt's outcome, as statements for the pass's one batch: delivered; a 410 or an unsafe
// target, which disable the subscription; a failure, retried on the schedule or, once the schedule is used up
// with nothing delivered since, failed for good with the subscription disabled. Disabling skips the
// subscription's pending deliveries and notifies every active admin once.
import { type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Database } from "../../db/client.ts";
import {
  type WebhookDisabledReason,
  webhookDeliveries,
  webhookSubscriptions,
} from "../../db/schema/index.ts";
import { skipPendingStatement } from "../../db/webhooks-out/subscriptions.ts";
import { notifyStatements } from "../outbound/notify.ts";
import { MAX_ATTEMPTS } from "./schedule.ts";

/** The kind of the admins' notification when a subscription is disabled. */
const DISABLED_KIND = "integration";

export interface Claimed {
  id: string;
  subscriptionId: string;
  eventId: string;
  eventType: string;
  sequence: number;
  attempts: number;
  createdAt: number;
  url: string;
  secrets: string[];
  occurredAt: number;
  data: string;
}

export type Outcome =
  | { kind: "delivered"; status: number; body: string; durationMs: number }
  | { kind: "gone"; status: number; body: string; durationMs: number }
  | { kind: "refused"; error: string }
  | {
      kind: "failed";
      status: number | null;
      body: string | null;
      durationMs: number | null;
      error: string;
      /** When to try again (the schedule and the receiver's Retry-After), or null: the schedule is used up. */
      retryInMs: number | null;
    };

type Item = BatchItem<"sqlite">;

/**
 * Disables a subscription (when `condition` holds and it is still enabled), skips its pending deliveries,
 * and notifies every active admin once.
 */
function disableStatements(
  db: Database,
  delivery: Claimed,
  reason: WebhookDisabledReason,
  explanation: string,
  now: number,
  condition: SQL = sql`1`,
): Item[] {
  const id = delivery.subscriptionId;
  return [
    db.run(sql`update ${webhookSubscriptions}
         set enabled = 0, disabled_reason = ${reason}, disabled_at = ${now}, version = version + 1, updated_at = ${now}
       where id = ${id} and enabled = 1 and (${condition})`),
    skipPendingStatement(db, id),
    ...notifyStatements(
      db,
      {
        userIds: sql`select id from users where role = 'admin' and active = 1`,
        kind: DISABLED_KIND,
        title: "A webhook subscription was disabled",
        body: `${explanation} Events for it are kept as skipped deliveries: fix the endpoint, enable the subscription again (PATCH /api/v1/webhook-subscriptions/${id}) and replay them.`,
        link: `/api/v1/webhook-subscriptions/${id}`,
        dedupeKey: `webhook-disabled:${id}:${now}`,
        template: "webhooks:disabled",
        when: sql`exists (select 1 from ${webhookSubscriptions} where id = ${id} and enabled = 0
          and disabled_at = ${now} and disabled_reason = ${reason})`,
      },
      now,
    ),
  ];
}

/** The statements recording one outcome, applied only while the delivery is still this run's claim. */
export function recordStatements(db: Database, delivery: Claimed, outcome: Outcome, now: number): Item[] {
  const mine = sql`id = ${delivery.id} and status = 'sending' and attempts = ${delivery.attempts}`;
  const response =
    outcome.kind === "refused"
      ? sql`response_status = null, response_body = null, duration_ms = null`
      : sql`response_status = ${outcome.status}, response_body = ${outcome.body}, duration_ms = ${outcome.durationMs}`;
  const attempted = sql`last_attempt_at = ${now}, ${response}`;
  switch (outcome.kind) {
    case "delivered":
      return [
        db.run(sql`update ${webhookDeliveries} set status = 'delivered', ${attempted}, error = null,
            next_attempt_at = null, delivered_at = ${now} where ${mine}`),
        db.run(
          sql`update ${webhookSubscriptions} set last_success_at = ${now} where id = ${delivery.subscriptionId}`,
        ),
      ];
    case "gone":
      return [
        db.run(sql`update ${webhookDeliveries} set status = 'failed', ${attempted}, next_attempt_at = null,
            error = 'HTTP 410: the receiver asked for no more deliveries; the subscription is disabled' where ${mine}`),
        ...disableStatements(
          db,
          delivery,
          "gone",
          `Its endpoint answered 410 Gone to the ${delivery.eventType} delivery ${delivery.id}.`,
          now,
        ),
      ];
    case "refused":
      return [
        db.run(sql`update ${webhookDeliveries} set status = 'failed', ${attempted}, next_attempt_at = null,
            error = ${outcome.error} where ${mine}`),
        ...disableStatements(db, delivery, "target_refused", outcome.error, now),
      ];
    case "failed": {
      const delay = outcome.retryInMs;
      if (delay !== null) {
        return [
          db.run(sql`update ${webhookDeliveries}
              set status = case when exists (select 1 from ${webhookSubscriptions} s
                                              where s.id = ${delivery.subscriptionId} and s.enabled = 1)
                                then 'pending' else 'skipped' end,
                  ${attempted}, next_attempt_at = ${now + delay}, error = ${outcome.error}
            where ${mine}`),
        ];
      }
      const error = `${outcome.error}; gave up after ${delivery.attempts} attempts`;
      return [
        db.run(sql`update ${webhookDeliveries} set status = 'failed', ${attempted}, next_attempt_at = null,
            error = ${error} where ${mine}`),
        // Disabled only when nothing got through since this delivery was made: one bad payload among
        // good ones fails alone (and stays replayable), a dead endpoint is switched off.
        ...disableStatements(
          db,
          delivery,
          "failing",
          `Every attempt of the ${delivery.eventType} delivery ${delivery.id} failed over the whole retry schedule (${MAX_ATTEMPTS} attempts; the last: ${outcome.error}), with no successful delivery since.`,
          now,
          sql`last_success_at is null or last_success_at < ${delivery.createdAt}`,
        ),
      ];
    }
  }
}
