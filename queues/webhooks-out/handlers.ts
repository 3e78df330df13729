// The outgoing-webhooks engine on crm-events: each domain event (and form.submitted) becomes one delivery per
// subscription that asks for it, written in one batch for a whole queue batch of events; then a delivery pass
// is asked for on crm-outbound, so that the receiver hears of it within seconds. Idempotent by event id.
import type { BatchItem } from "drizzle-orm/batch";
import { recordEventStatements } from "../../db/webhooks-out/deliveries.ts";
import { type ConsumerServices, type MessageHandlers, withBatch } from "../consume.ts";
import type { QueueMessage } from "../message.ts";
import { WEBHOOK_EVENT_TYPES } from "./catalogue.ts";
import { requestDelivery } from "./deliver.ts";
import { webhookEventOf } from "./envelope.ts";

/** Records the events' deliveries; a message whose data cannot be read is rejected alone (and retried). */
async function recordEvents(
  messages: readonly QueueMessage[],
  services: ConsumerServices,
): Promise<PromiseSettledResult<unknown>[]> {
  const now = Date.now();
  const outcomes: PromiseSettledResult<unknown>[] = [];
  const statements: BatchItem<"sqlite">[] = [];
  /** Where each event's delivery insert (its last statement, returning the deliveries' status) sits. */
  const inserts: number[] = [];
  for (const message of messages) {
    try {
      statements.push(...recordEventStatements(services.db, webhookEventOf(message), now));
      inserts.push(statements.length - 1);
      outcomes.push({ status: "fulfilled", value: undefined });
    } catch (reason) {
      outcomes.push({ status: "rejected", reason });
    }
  }
  const [first, ...rest] = statements;
  if (!first) return outcomes;
  const results = (await services.db.batch([first, ...rest])) as unknown[];
  const pending = inserts.some((i) =>
    (results[i] as { rows?: { status?: unknown }[] } | undefined)?.rows?.some(
      (row) => row.status === "pending",
    ),
  );
  if (pending) await requestDelivery(services.queues.outbound);
  return outcomes;
}

const handler = withBatch(async (message, services) => {
  const [outcome] = await recordEvents([message], services);
  if (outcome?.status === "rejected") throw outcome.reason;
}, recordEvents);

export const webhookHandlers: MessageHandlers = Object.fromEntries(
  WEBHOOK_EVENT_TYPES.map((type) => [type, handler]),
);
