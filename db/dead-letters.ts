// Dead letters: queue messages that could not be processed, stored for an admin to read and replay.
import { and, desc, eq, inArray, isNotNull, isNull } from "drizzle-orm";
import type { Database } from "./client.ts";
import { beforeCursor, rowsForPage } from "./paging.ts";
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

// ---- the admin's view: list, read, replay ----

export type DeadLetterRow = typeof deadLetters.$inferSelect;

export interface DeadLetterFilter {
  queue?: string | undefined;
  type?: string | undefined;
  replayed?: boolean | undefined;
  cursor?: { at: number; id: string } | null | undefined;
  limit: number;
}

/** Newest first, keyset-paged on (receivedAt, id); by queue along the (queue, received) index. */
export function listDeadLettersQuery(db: Database, filter: DeadLetterFilter) {
  const { cursor } = filter;
  return db
    .select()
    .from(deadLetters)
    .where(
      and(
        filter.queue ? eq(deadLetters.queue, filter.queue) : undefined,
        filter.type ? eq(deadLetters.type, filter.type) : undefined,
        filter.replayed === undefined
          ? undefined
          : filter.replayed
            ? isNotNull(deadLetters.replayedAt)
            : isNull(deadLetters.replayedAt),
        cursor ? beforeCursor(deadLetters.receivedAt, deadLetters.id, cursor) : undefined,
      ),
    )
    .orderBy(desc(deadLetters.receivedAt), desc(deadLetters.id))
    .limit(rowsForPage(filter.limit));
}

export function deadLettersQuery(db: Database, ids: readonly string[]) {
  return db
    .select()
    .from(deadLetters)
    .where(inArray(deadLetters.id, [...ids]));
}

/** Marks letters as replayed now, returning them (with their bodies) to be sent back to their queues. */
export function markReplayedStatement(db: Database, ids: readonly string[], now: number) {
  return db
    .update(deadLetters)
    .set({ replayedAt: now })
    .where(inArray(deadLetters.id, [...ids]))
    .returning();
}

/** Puts back what a letter's replayed time was, when sending it back to its queue failed after all. */
export async function restoreReplayedAt(
  db: Database,
  letters: readonly { id: string; replayedAt: number | null }[],
): Promise<void> {
  if (letters.length === 0) return;
  await db.batch(
    letters.map((letter) =>
      db.update(deadLetters).set({ replayedAt: letter.replayedAt }).where(eq(deadLetters.id, letter.id)),
    ) as [never, ...never[]],
  );
}
