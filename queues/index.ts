// The Worker's queue handler: dispatches each batch by queue name to its consumer.
import { createDb } from "../db/client.ts";
import { type Env, readConfig } from "../functions/env.ts";
import { captureHandlers } from "./capture.ts";
import { type ConsumerServices, consumeBatch } from "./consume.ts";
import { consumeDeadLetters } from "./dead-letter.ts";
import { requestDispatch } from "./domain-events/dispatch.ts";
import { eventHandlers } from "./events.ts";
import { DEAD_LETTER_SUFFIX, QUEUES } from "./message.ts";
import { outboundHandlers } from "./outbound.ts";

export function createServices(env: Env): ConsumerServices {
  const config = readConfig(env);
  return {
    config,
    db: createDb({ url: config.LIBSQL_URL, authToken: config.LIBSQL_AUTH_TOKEN }),
    queues: { capture: env.CAPTURE_QUEUE, events: env.EVENTS_QUEUE, outbound: env.OUTBOUND_QUEUE },
  };
}

export async function handleQueue(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const services = createServices(env);
  if (batch.queue.endsWith(DEAD_LETTER_SUFFIX)) return consumeDeadLetters(batch, services);
  switch (batch.queue) {
    case QUEUES.capture:
      await consumeBatch(batch, captureHandlers, services);
      // Leads it created or updated recorded domain events: have them dispatched now, not at the next minute.
      return void (await requestDispatch(services.queues.events).catch(() => undefined));
    case QUEUES.events:
      return consumeBatch(batch, eventHandlers, services);
    case QUEUES.outbound:
      return consumeBatch(batch, outboundHandlers, services);
    default:
      // A queue this Worker does not know: retry rather than drop, and say so loudly.
      console.error(JSON.stringify({ level: "error", error: `No consumer for queue ${batch.queue}` }));
      batch.retryAll();
  }
}
