// Dead letters: queue messages that could not be processed, stored for an admin to read and replay.
import type { Database } from "./client.ts";
import { deadLetters } from "./schema/index.ts";

export interface DeadLetterInput {
  queue: string;
  messageId: string;
  type: string | null;
  body: unknown;
  attempts: number;
  error: string;
}

/** Stores many dead letters in one round trip; a message stored twice (a redelivery) is kept once. */
export async function storeDeadLetters(
  db: Database,
  letters: DeadLetterInput[],
  now = Date.now(),
): Promise<void> {
  if (letters.length === 0) return;
  await db
    .insert(deadLetters)
    .values(
      letters.map((letter) => ({
        id: `${letter.queue}:${letter.messageId}`,
        queue: letter.queue,
        messageId: letter.messageId,
        type: letter.type,
        body: JSON.stringify(letter.body) ?? "null",
        attempts: letter.attempts,
        error: letter.error,
        receivedAt: now,
      })),
    )
    .onConflictDoNothing();
}
