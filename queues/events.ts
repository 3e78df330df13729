// Consumer of crm-events: domain events that drive lead scoring, assignment and workflows.

import { assignmentHandlers } from "./assignment/handlers.ts";
import { FORM_SUBMITTED_EVENT } from "./capture/message.ts";
import { eachMessage, type MessageHandler, type MessageHandlers, withBatch } from "./consume.ts";
import { dispatchHandlers } from "./domain-events/dispatch.ts";
import { duplicateHandlers } from "./duplicates/handlers.ts";
import { importHandlers } from "./imports/handlers.ts";
import { privacyHandlers } from "./privacy/handlers.ts";
import { rollupHandlers } from "./rollups/messages.ts";
import { scoringHandlers } from "./scoring/handlers.ts";
import { sequenceHandlers } from "./sequences/handlers.ts";
import { slaHandlers } from "./sla/handlers.ts";
import { webhookHandlers } from "./webhooks-out/handlers.ts";
import { workflowHandlers } from "./workflows/handlers.ts";

/**
 * Each engine's handlers, by event type. An event that several engines react to runs each of them in this
 * order; a failure retries the message, so every engine's handler is idempotent (keyed by the event id). An
 * engine may take a queue batch's messages of a type together (MessageHandler.batch, e.g. scoring).
 */
const ENGINES: readonly MessageHandlers[] = [
  // Moving recorded domain events (queues/domain-events/) from their table onto this queue.
  dispatchHandlers,
  // A lead came in through a form (queues/capture/): acknowledged even when no engine reacts to it.
  { [FORM_SUBMITTED_EVENT]: async () => {} },
  // Lead scoring (queues/scoring/): form submissions and engagement events, and the recompute fan-out.
  scoringHandlers(),
  // Assignment (queues/assignment/), after scoring so that rules may match on the grade; then the SLA clock.
  assignmentHandlers,
  slaHandlers,
  // Outgoing webhooks (queues/webhooks-out/): a delivery per subscription that asks for the event.
  webhookHandlers,
  // Sequences (queues/sequences/): contacts leave on a reply, meeting, deal move, unsubscribe or bounce; the
  // runner's fan-out chunks.
  sequenceHandlers,
  // Workflows (queues/workflows/), after the engines above so that conditions see what they set (an owner, a
  // grade): runs start from record, form and inbound-webhook events; then each step is a workflow.step message.
  workflowHandlers,
  // Report rollups (queues/rollups/): the chunks of day buckets a large run fans out.
  rollupHandlers,
  // CSV imports (queues/imports/): a run's chunks one after another, and the pages of an undo.
  importHandlers(),
  // Duplicate detection (queues/duplicates/): a changed contact or company gets its keys again; the full scan.
  duplicateHandlers(),
  // Erasure on request (queues/privacy/): hashes for the suppression list, then the contact anonymised.
  privacyHandlers(),
];

function combine(engines: readonly MessageHandlers[]): MessageHandlers {
  const byType = new Map<string, MessageHandler[]>();
  for (const engine of engines) {
    for (const [type, handler] of Object.entries(engine))
      byType.set(type, [...(byType.get(type) ?? []), handler]);
  }
  return Object.fromEntries(
    [...byType].map(([type, handlers]): [string, MessageHandler] => [type, chain(handlers)]),
  );
}

/**
 * One type's handlers in engine order. When one of them takes batches the chain does too, engine by engine:
 * each message goes on to the next engine only once the previous ones handled it, as one by one.
 */
function chain(handlers: readonly MessageHandler[]): MessageHandler {
  const [only] = handlers;
  if (handlers.length === 1 && only) return only;
  const one = async (...args: Parameters<MessageHandler>) => {
    for (const handler of handlers) await handler(...args);
  };
  if (!handlers.some((h) => h.batch)) return one;
  return withBatch(one, async (messages, services) => {
    const outcomes: PromiseSettledResult<unknown>[] = messages.map(() => ({
      status: "fulfilled",
      value: undefined,
    }));
    for (const handler of handlers) {
      const pending = messages.flatMap((message, index) =>
        outcomes[index]?.status === "fulfilled" ? [{ message, index }] : [],
      );
      if (pending.length === 0) break;
      const bodies = pending.map((p) => p.message);
      let results: readonly PromiseSettledResult<unknown>[];
      try {
        results = handler.batch
          ? await handler.batch(bodies, services)
          : await eachMessage(handler, bodies, services);
      } catch (reason) {
        results = pending.map(() => ({ status: "rejected", reason }));
      }
      pending.forEach(({ index }, k) => {
        const result = results[k] ?? { status: "rejected", reason: new Error("No outcome") };
        if (result.status === "rejected") outcomes[index] = result;
      });
    }
    return outcomes;
  });
}

export const eventHandlers: MessageHandlers = combine(ENGINES);
