// Consumer of the dead-letter queues: what failed every retry is stored where an admin can see and replay it.
import { storeDeadLetters } from "../db/dead-letters.ts";
import type { ConsumerServices } from "./consume.ts";
import { DEAD_LETTER_SUFFIX, QueueMessageSchema } from "./message.ts";

export async function consumeDeadLetters(
  batch: MessageBatch<unknown>,
  services: ConsumerServices,
): Promise<void> {
  const source = batch.queue.slice(0, -DEAD_LETTER_SUFFIX.length);
  await storeDeadLetters(
    services.db,
    batch.messages.map((message) => {
      const parsed = QueueMessageSchema.safeParse(message.body);
      return {
        queue: source,
        messageId: parsed.success ? parsed.data.id : message.id,
        type: parsed.success ? parsed.data.type : null,
        body: message.body,
        attempts: message.attempts,
        error: `Failed every retry on ${source}`,
      };
    }),
  );
  // Acked only once stored; if storing throws, the whole batch is redelivered and stored then.
  batch.ackAll();
}
