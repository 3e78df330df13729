// Sends due deliveries: claims them (atomically, so overlapping runs never send one twice at once), posts each
// signed envelope with a 15-second timeout, and records every outcome in one batch (queues/webhooks-out/
// record.ts). Retries within the minute are asked for through a delayed queue message, later ones are the
// minute cron's.
import { sql } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { newId } from "../../db/ids.ts";
import { webhookDeliveries, webhookSubscriptions } from "../../db/schema/index.ts";
import type { ConsumerServices } from "../consume.ts";
import type { QueueMessage } from "../message.ts";
import { envelopeBody } from "./envelope.ts";
import { type Claimed, type Outcome, recordStatements } from "./record.ts";
import { parseRetryAfter, retryDelayMs } from "./schedule.ts";
import { standardWebhookHeaders } from "./sign.ts";
import { checkTarget } from "./target-guard.ts";

/** The outbound queue's message that asks for a delivery pass now (after an event, a replay, a short retry). */
export const WEBHOOKS_DELIVER = "webhooks.deliver";
export const DELIVERY_TIMEOUT_MS = 15_000;
/** A claimed delivery not recorded by then (its run died) is due again. */
export const LEASE_MS = 2 * 60_000;
const CLAIM_LIMIT = 25;
const ROUNDS = 4;
const RESPONSE_EXCERPT = 1000;
/** Retries due sooner than the next minute's cron are asked for through a delayed queue message. */
const CRON_INTERVAL_MS = 60_000;
export const USER_AGENT = "edge-crm-webhooks/1";

export interface DeliverySummary {
  delivered: number;
  retrying: number;
  failed: number;
}

export function deliverMessage(now = Date.now()): QueueMessage {
  return { id: newId(), type: WEBHOOKS_DELIVER, createdAt: now, data: {} };
}

/** Asks for a pass now (or after `delaySeconds`); a lost ask is made up for by the minute cron. */
export async function requestDelivery(queue: Queue<QueueMessage>, delaySeconds = 0): Promise<void> {
  try {
    await queue.send(deliverMessage(), delaySeconds > 0 ? { delaySeconds } : undefined);
  } catch (error) {
    console.warn(
      JSON.stringify({
        level: "warn",
        engine: "webhooks-out",
        error: `delivery request not queued: ${error}`,
      }),
    );
  }
}

async function claimDue(db: Database, now: number): Promise<Claimed[]> {
  const due = sql`status in ('pending', 'sending') and next_attempt_at <= ${now}`;
  const subscription = (column: string) =>
    sql.raw(
      `(select s.${column} from webhook_subscriptions s where s.id = webhook_deliveries.subscription_id)`,
    );
  const result = await db.run(sql`update ${webhookDeliveries}
       set status = 'sending', next_attempt_at = ${now + LEASE_MS}, attempts = attempts + 1
     where id in (select d.id from ${webhookDeliveries} d join ${webhookSubscriptions} s on s.id = d.subscription_id
                   where d.status in ('pending', 'sending') and d.next_attempt_at <= ${now} and s.enabled = 1
                   order by d.next_attempt_at limit ${CLAIM_LIMIT})
       and ${due}
    returning id, subscription_id, event_id, event_type, sequence, attempts, created_at,
      ${subscription("url")} as url, ${subscription("secret")} as secret,
      (select case when s.previous_secret_expires_at > ${now} then s.previous_secret end
         from webhook_subscriptions s where s.id = webhook_deliveries.subscription_id) as previous_secret,
      (select e.occurred_at from webhook_events e where e.id = webhook_deliveries.event_id) as occurred_at,
      (select e.data from webhook_events e where e.id = webhook_deliveries.event_id) as data`);
  return result.rows.map((row) => ({
    id: String(row.id),
    subscriptionId: String(row.subscription_id),
    eventId: String(row.event_id),
    eventType: String(row.event_type),
    sequence: Number(row.sequence),
    attempts: Number(row.attempts),
    createdAt: Number(row.created_at),
    url: String(row.url),
    secrets: [String(row.secret), ...(row.previous_secret === null ? [] : [String(row.previous_secret)])],
    occurredAt: Number(row.occurred_at),
    data: String(row.data),
  }));
}

/** The start of the answer's body, for the log; the rest is not read. */
async function excerpt(response: Response): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  try {
    while (text.length < RESPONSE_EXCERPT) {
      const { done, value } = await reader.read();
      if (done) break;
      text += value;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return text.slice(0, RESPONSE_EXCERPT);
}

/** One attempt. Errors name a status or an error class: never the URL (it may hold credentials) or a secret. */
async function attempt(delivery: Claimed, allowPrivate: boolean): Promise<Outcome> {
  const target = checkTarget(delivery.url, allowPrivate);
  if (!target.ok) return { kind: "refused", error: `The target is refused: ${target.reason}.` };
  const body = envelopeBody({
    id: delivery.eventId,
    type: delivery.eventType,
    occurredAt: delivery.occurredAt,
    data: delivery.data,
    sequence: delivery.sequence,
  });
  const headers = {
    "content-type": "application/json",
    "user-agent": USER_AGENT,
    "webhook-sequence": String(delivery.sequence),
    ...(await standardWebhookHeaders({ id: delivery.id, at: Date.now(), body, secrets: delivery.secrets })),
  };
  const started = Date.now();
  let response: Response;
  let text: string;
  try {
    response = await fetch(delivery.url, {
      method: "POST",
      headers,
      body,
      // A redirect could lead anywhere, inside networks the guard keeps out: it counts as a failure.
      redirect: "manual",
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    });
    text = await excerpt(response);
  } catch (error) {
    const name = error instanceof Error ? error.name : "unknown";
    return {
      kind: "failed",
      status: null,
      body: null,
      durationMs: Date.now() - started,
      error:
        name === "TimeoutError" || name === "AbortError"
          ? `No answer within ${DELIVERY_TIMEOUT_MS / 1000} seconds`
          : `Network error (${name})`,
      retryInMs: retryDelayMs(delivery.attempts),
    };
  }
  const durationMs = Date.now() - started;
  const { status } = response;
  if (status >= 200 && status < 300) return { kind: "delivered", status, body: text, durationMs };
  if (status === 410) return { kind: "gone", status, body: text, durationMs };
  return {
    kind: "failed",
    status,
    body: text,
    durationMs,
    error: status >= 300 && status < 400 ? `HTTP ${status} (redirects are not followed)` : `HTTP ${status}`,
    retryInMs: retryDelayMs(
      delivery.attempts,
      parseRetryAfter(response.headers.get("retry-after"), Date.now()),
    ),
  };
}

/** One round: claim, send side by side, record all outcomes in one batch. */
async function deliverRound(
  services: ConsumerServices,
  now: number,
): Promise<DeliverySummary & { claimed: number; soonestRetryMs: number | null }> {
  const { db, config } = services;
  const claimed = await claimDue(db, now);
  const summary = {
    delivered: 0,
    retrying: 0,
    failed: 0,
    claimed: claimed.length,
    soonestRetryMs: null as number | null,
  };
  if (claimed.length === 0) return summary;
  const outcomes = await Promise.all(
    claimed.map((delivery) => attempt(delivery, config.WEBHOOKS_ALLOW_PRIVATE_TARGETS)),
  );
  const statements = claimed.flatMap((delivery, i) => {
    const outcome = outcomes[i] ?? { kind: "refused" as const, error: "no outcome" };
    if (outcome.kind === "delivered") summary.delivered += 1;
    else {
      const delay = outcome.kind === "failed" ? outcome.retryInMs : null;
      if (delay === null) summary.failed += 1;
      else {
        summary.retrying += 1;
        if (delay < CRON_INTERVAL_MS) summary.soonestRetryMs = Math.max(summary.soonestRetryMs ?? 0, delay);
      }
      console.warn(
        JSON.stringify({
          level: "warn",
          engine: "webhooks-out",
          delivery: delivery.id,
          subscription: delivery.subscriptionId,
          attempt: delivery.attempts,
          outcome: outcome.kind,
          error:
            outcome.kind === "failed" || outcome.kind === "refused"
              ? outcome.error
              : `HTTP ${outcome.status}`,
        }),
      );
    }
    return recordStatements(db, delivery, outcome, now);
  });
  const [first, ...rest] = statements;
  if (first) await db.batch([first, ...rest]);
  return summary;
}

/**
 * A delivery pass: rounds until nothing is due (at most ROUNDS, then the rest is asked for through the queue).
 * Retries due within the minute are asked for with a delayed queue message; later ones wait for the cron.
 */
export async function deliverWebhooks(services: ConsumerServices, now: number): Promise<DeliverySummary> {
  const total: DeliverySummary = { delivered: 0, retrying: 0, failed: 0 };
  let soonest: number | null = null;
  let more = false;
  for (let round = 0; round < ROUNDS; round++) {
    const result = await deliverRound(services, now);
    total.delivered += result.delivered;
    total.retrying += result.retrying;
    total.failed += result.failed;
    if (result.soonestRetryMs !== null) soonest = Math.max(soonest ?? 0, result.soonestRetryMs);
    more = result.claimed === CLAIM_LIMIT;
    if (!more) break;
  }
  if (more) await requestDelivery(services.queues.outbound);
  if (soonest !== null) await requestDelivery(services.queues.outbound, Math.ceil(soonest / 1000) + 1);
  return total;
}
