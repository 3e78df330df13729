// Consumer of the dead-letter queues: what failed every retry is stored where an admin can see and replay it,
// and work that cannot go on without it is marked failed, so that nobody waits on it.
import { storeDeadLetters } from "../db/dead-letters.ts";
import { failDeadChunkStatement } from "../db/imports/imports.ts";
import type { ConsumerServices } from "./consume.ts";
import { IMPORT_CHUNK, ImportChunkSchema } from "./imports/messages.ts";
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
  // An import chunk that failed every retry fails its import (the stalled-import sweep would send it for ever).
  const failed = batch.messages.flatMap((message) => {
    const parsed = QueueMessageSchema.safeParse(message.body);
    if (!parsed.success || parsed.data.type !== IMPORT_CHUNK) return [];
    const chunk = ImportChunkSchema.safeParse(parsed.data.data);
    return chunk.success ? [failDeadChunkStatement(services.db, chunk.data, Date.now())] : [];
  });
  const [first, ...rest] = failed;
  if (first) await services.db.batch([first, ...rest]);
  // Acked only once stored; if storing throws, the whole batch is redelivered and stored then.
  batch.ackAll();
}
