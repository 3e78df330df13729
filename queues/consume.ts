// Runs one queue batch: each message is checked, handled and acked on its own, retried with backoff on failure.
import type { Database } from "../db/client.ts";
import { type DeadLetterInput, storeDeadLetters } from "../db/dead-letters.ts";
import type { Config } from "../functions/env.ts";
import { type QueueMessage, QueueMessageSchema } from "./message.ts";

export interface ConsumerServices {
  db: Database;
  config: Config;
  /** The queues a consumer or job hands work on to (the capture sweep, events after a lead came in). */
  queues: { capture: Queue<QueueMessage>; events: Queue<QueueMessage>; outbound: Queue<QueueMessage> };
}

export type MessageHandler = (message: QueueMessage, services: ConsumerServices) => Promise<void>;

/** Handlers by message type. A type with no handler is a dead letter at once: retrying cannot help it. */
export type MessageHandlers = Readonly<Record<string, MessageHandler>>;

const BASE_DELAY_SECONDS = 5;
const MAX_DELAY_SECONDS = 60 * 60;

/** Exponential backoff with jitter: about 5 s, 10 s, 20 s … capped at an hour. */
export function retryDelaySeconds(attempts: number, random = Math.random): number {
  const exponential = BASE_DELAY_SECONDS * 2 ** Math.max(0, attempts - 1);
  const capped = Math.min(MAX_DELAY_SECONDS, exponential);
  return Math.max(1, Math.round(capped * (0.75 + random() * 0.5)));
}

export async function consumeBatch(
  batch: MessageBatch<unknown>,
  handlers: MessageHandlers,
  services: ConsumerServices,
): Promise<void> {
  const rejected: { message: Message<unknown>; letter: DeadLetterInput }[] = [];

  await Promise.all(
    batch.messages.map(async (message) => {
      const parsed = QueueMessageSchema.safeParse(message.body);
      const handler = parsed.success ? handlers[parsed.data.type] : undefined;
      if (!parsed.success || !handler) {
        rejected.push({
          message,
          letter: {
            queue: batch.queue,
            messageId: parsed.success ? parsed.data.id : message.id,
            type: parsed.success ? parsed.data.type : null,
            body: message.body,
            attempts: message.attempts,
            error: parsed.success
              ? `No handler for message type "${parsed.data.type}" on ${batch.queue}`
              : `Invalid message: ${parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; ")}`,
          },
        });
        return;
      }
      try {
        await handler(parsed.data, services);
        message.ack();
      } catch (error) {
        const delaySeconds = retryDelaySeconds(message.attempts);
        console.error(
          JSON.stringify({
            level: "error",
            queue: batch.queue,
            messageId: parsed.data.id,
            type: parsed.data.type,
            attempts: message.attempts,
            retryInSeconds: delaySeconds,
            error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
          }),
        );
        message.retry({ delaySeconds });
      }
    }),
  );

  if (rejected.length === 0) return;
  try {
    await storeDeadLetters(
      services.db,
      rejected.map((r) => r.letter),
    );
    for (const { message } of rejected) message.ack();
  } catch (error) {
    // Not stored, so not acked: the messages come back and are stored on a later attempt.
    console.error(JSON.stringify({ level: "error", queue: batch.queue, error: String(error) }));
    for (const { message } of rejected) message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
  }
}
