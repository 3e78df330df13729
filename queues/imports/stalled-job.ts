// Every minute: background work of imports and erasures whose next message was lost (a queue send failed
// after its batch committed) is sent again. Every such message is guarded in its own batch, so one sent twice
// does its work once.
import { sql } from "drizzle-orm";
import type { CronJob } from "../cron/job.ts";
import { eraseMessage } from "../privacy/handlers.ts";
import { chunkMessage, undoMessage } from "./messages.ts";

/** A run with no progress for this long is nudged (a chunk takes seconds). */
const STALLED_AFTER_MS = 5 * 60_000;
const PENDING_AFTER_MS = 60_000;

export const dataStalled: CronJob = {
  name: "data-stalled",
  staleAfterMs: 5 * 60_000,
  async run({ db, queues }, scheduledAt) {
    const [runs, erasures] = await db.batch([
      db.all<{ id: string; status: string; run: number; nextChunk: number; undoCursor: string | null }>(
        sql`select id, status, run, next_chunk as nextChunk, undo_cursor as undoCursor from imports
          where status in ('running', 'dry_running', 'undoing') and updated_at < ${scheduledAt - STALLED_AFTER_MS}
          order by updated_at limit 100`,
      ),
      db.all<{ id: string }>(
        sql`select id from privacy_requests where status = 'pending' and created_at < ${scheduledAt - PENDING_AFTER_MS}
          order by created_at limit 100`,
      ),
    ]);
    const messages = [
      ...runs.map((r) =>
        r.status === "undoing"
          ? undoMessage({ importId: r.id, cursor: r.undoCursor ?? "" }, scheduledAt)
          : chunkMessage({ importId: r.id, run: r.run, chunk: r.nextChunk }, scheduledAt),
      ),
      ...erasures.map((e) => eraseMessage(e.id, scheduledAt)),
    ];
    if (messages.length === 0) return null;
    await queues.events.sendBatch(messages.map((body) => ({ body })));
    return `re-sent ${runs.length} import runs and ${erasures.length} erasures`;
  },
};
