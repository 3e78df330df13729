// The rollups' fan-out: a chunk of day buckets to recompute, sent on the events queue when a run has more than it
// does itself (the first run, a time zone change). Recomputing is idempotent, so a redelivery changes nothing.
import { z } from "zod";
import { newId } from "../../db/ids.ts";
import type { DayBound } from "../../db/reports/days.ts";
import { ROLLUP_KINDS, type RollupKind, recomputeStatements } from "../../db/reports/rollups.ts";
import type { MessageHandlers } from "../consume.ts";
import type { QueueMessage } from "../message.ts";

export const ROLLUP_RECOMPUTE = "reports.rollup";

/** Days a batch recomputes at most: a month of buckets stays a short transaction at any size. */
export const CHUNK_DAYS = 31;

const RollupChunkSchema = z.object({
  days: z
    .array(
      z.object({
        day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
        start: z.number().int(),
        end: z.number().int(),
      }),
    )
    .min(1)
    .max(CHUNK_DAYS),
  kinds: z.array(z.enum(ROLLUP_KINDS)).min(1),
});

export interface RollupChunk {
  days: DayBound[];
  kinds: RollupKind[];
}

export function rollupMessage(chunk: RollupChunk, now: number): QueueMessage {
  return { id: newId(), type: ROLLUP_RECOMPUTE, createdAt: now, data: chunk };
}

export const rollupHandlers: MessageHandlers = {
  [ROLLUP_RECOMPUTE]: async (message, { db }) => {
    const { days, kinds } = RollupChunkSchema.parse(message.data);
    const [first, ...rest] = recomputeStatements(db, days, kinds);
    if (first) await db.batch([first, ...rest]);
  },
};
