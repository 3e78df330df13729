// Runs one queue batch: each message is checked, handled and acked on its own, retried with backoff on failure.
// An engine may take several messages at once (MessageHandler.batch); each is still acked or retried on its own.
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

/** Handles one message; throwing retries it. */
export interface MessageHandler {
  (message: QueueMessage, services: ConsumerServices): Promise<void>;
  /**
   * Optional: the same work for several messages at once, for an engine that saves round trips that way. When
   * set, consumeBatch hands it all the batch's messages that have this handler, and acks or retries each one
   * from the outcome at its index; should it throw, all of them retry. Calling it must mean exactly what
   * calling the handler once per message means (and it may do just that for some of them).
   */
  batch?: BatchHandler;
}

/** Each message's outcome, in the order given: fulfilled is acked, rejected retried. */
export type BatchHandler = (
  messages: readonly QueueMessage[],
  services: ConsumerServices,
) => Promise<readonly PromiseSettledResult<unknown>[]>;

/** Handlers by message type. A type with no handler is a dead letter at once: retrying cannot help it. */
export type MessageHandlers = Readonly<Record<string, MessageHandler>>;

/** A handler that also takes batches (see MessageHandler.batch). */
export function withBatch(
  handler: (message: QueueMessage, services: ConsumerServices) => Promise<void>,
  batch: BatchHandler,
): MessageHandler {
  return Object.assign(handler, { batch });
}

/** The per-message path as batch outcomes: each message handled on its own, side by side. */
export function eachMessage(
  handler: MessageHandler,
  messages: readonly QueueMessage[],
  services: ConsumerServices,
): Promise<PromiseSettledResult<unknown>[]> {
  // async: a handler that throws before its first await is a rejected outcome too.
  return Promise.allSettled(messages.map(async (message) => handler(message, services)));
}

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
  const valid: { message: Message<unknown>; body: QueueMessage; handler: MessageHandler }[] = [];

  for (const message of batch.messages) {
    const parsed = QueueMessageSchema.safeParse(message.body);
    const handler = parsed.success ? handlers[parsed.data.type] : undefined;
    if (parsed.success && handler) {
      valid.push({ message, body: parsed.data, handler });
      continue;
    }
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
  }

  const settle = (message: Message<unknown>, body: QueueMessage, outcome: PromiseSettledResult<unknown>) => {
    if (outcome.status === "fulfilled") {
      message.ack();
      return;
    }
    const error: unknown = outcome.reason;
    const delaySeconds = retryDelaySeconds(message.attempts);
    console.error(
      JSON.stringify({
        level: "error",
        queue: batch.queue,
        messageId: body.id,
        type: body.type,
        attempts: message.attempts,
        retryInSeconds: delaySeconds,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      }),
    );
    message.retry({ delaySeconds });
  };

  // Messages whose handler takes batches go to it together (one call per handler); the rest one by one.
  const groups = new Map<BatchHandler, typeof valid>();
  const single: typeof valid = [];
  for (const item of valid) {
    if (!item.handler.batch) single.push(item);
    else groups.set(item.handler.batch, [...(groups.get(item.handler.batch) ?? []), item]);
  }
  await Promise.all([
    ...single.map(async ({ message, body, handler }) => {
      const [outcome] = await eachMessage(handler, [body], services);
      if (outcome) settle(message, body, outcome);
    }),
    ...[...groups].map(async ([handle, items]) => {
      let outcomes: readonly PromiseSettledResult<unknown>[];
      try {
        outcomes = await handle(
          items.map((i) => i.body),
          services,
        );
      } catch (reason) {
        outcomes = items.map(() => ({ status: "rejected", reason }));
      }
      items.forEach(({ message, body }, i) => {
        settle(
          message,
          body,
          outcomes[i] ?? { status: "rejected", reason: new Error("The batch handler gave no outcome") },
        );
      });
    }),
  ]);

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
