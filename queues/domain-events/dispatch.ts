// Moves domain events from their table to the events queue. It runs when a write asks for it (a
// domain_events.dispatch message, sent after each API write) and every minute as the backstop, so an event
// reaches the engines within seconds, or within a minute if the ask was lost.
import { claimEvents, markDispatched } from "../../db/domain-events.ts";
import { newId } from "../../db/ids.ts";
import type { ConsumerServices, MessageHandlers } from "../consume.ts";
import type { QueueMessage } from "../message.ts";
import { DISPATCH_EVENTS, toQueueMessage } from "./types.ts";

/** A queue's sendBatch takes at most 100 messages. */
const CLAIM = 100;
/** Rounds per run; what is left after them is asked for again rather than held in one long run. */
const ROUNDS = 10;

export async function dispatchDomainEvents(services: ConsumerServices, now = Date.now()): Promise<number> {
  let sent = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const rows = await claimEvents(services.db, now, CLAIM);
    if (rows.length === 0) return sent;
    rows.sort((a, b) => a.seq - b.seq);
    await services.queues.events.sendBatch(rows.map((row) => ({ body: toQueueMessage(row) })));
    await markDispatched(
      services.db,
      rows.map((row) => row.seq),
      now,
    );
    sent += rows.length;
    if (rows.length < CLAIM) return sent;
  }
  await requestDispatch(services.queues.events, now);
  return sent;
}

export function dispatchMessage(now: number): QueueMessage {
  return { id: newId(), type: DISPATCH_EVENTS, createdAt: now, data: {} };
}

/** Asks the events consumer to dispatch soon. */
export function requestDispatch(queue: Queue<QueueMessage>, now = Date.now()): Promise<unknown> {
  return queue.send(dispatchMessage(now));
}

export const dispatchHandlers: MessageHandlers = {
  [DISPATCH_EVENTS]: async (_message, services) => {
    await dispatchDomainEvents(services);
  },
};
