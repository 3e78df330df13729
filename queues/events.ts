// Consumer of crm-events: domain events that drive lead scoring, assignment and workflows.
import { FORM_SUBMITTED_EVENT } from "./capture/message.ts";
import type { MessageHandler, MessageHandlers } from "./consume.ts";

/**
 * Each engine's handlers, by event type. An event that several engines react to runs each of them in this
 * order; a failure retries the message, so every engine's handler is idempotent (keyed by the event id).
 */
const ENGINES: readonly MessageHandlers[] = [
  // A lead came in through a form (queues/capture/): acknowledged even when no engine reacts to it.
  { [FORM_SUBMITTED_EVENT]: async () => {} },
];

function combine(engines: readonly MessageHandlers[]): MessageHandlers {
  const byType = new Map<string, MessageHandler[]>();
  for (const engine of engines) {
    for (const [type, handler] of Object.entries(engine))
      byType.set(type, [...(byType.get(type) ?? []), handler]);
  }
  return Object.fromEntries(
    [...byType].map(([type, handlers]): [string, MessageHandler] => [
      type,
      async (...args) => {
        for (const handler of handlers) await handler(...args);
      },
    ]),
  );
}

export const eventHandlers: MessageHandlers = combine(ENGINES);
