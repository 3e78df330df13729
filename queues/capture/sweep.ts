// Submissions the edge wrote straight to the database while the capture queue was down (status "received"),
// and replays whose message went missing, are put back on the queue by the every-minute sweep; if the queue is
// still down, a few are processed on the spot so that leads keep coming in.
import { eq, inArray } from "drizzle-orm";
import { pendingSubmissionsQuery, touchSubmissionsStatement } from "../../db/forms/submissions.ts";
import { formSubmissions } from "../../db/schema/index.ts";
import type { ConsumerServices } from "../consume.ts";
import type { QueueMessage } from "../message.ts";
import { type CaptureData, CaptureDataSchema, FORM_SUBMISSION_TYPE } from "./message.ts";
import { processCapture } from "./process.ts";

/** A submission this long untouched in "received" is taken to have no message on its way. */
export const PENDING_AFTER_MS = 60_000;
const PER_RUN = 200;
const DIRECTLY_PER_RUN = 20;
/** Queues take at most 100 messages and 256 KB a batch; submissions are at most about 20 KB each. */
const BATCH_MESSAGES = 100;
const BATCH_BYTES = 200_000;

function batches(messages: QueueMessage[]): QueueMessage[][] {
  const out: QueueMessage[][] = [];
  let current: QueueMessage[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = JSON.stringify(message).length;
    if (current.length > 0 && (current.length >= BATCH_MESSAGES || bytes + size > BATCH_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

export async function sweepPendingSubmissions(
  services: ConsumerServices,
  now: number,
): Promise<string | null> {
  const { db } = services;
  const rows = await pendingSubmissionsQuery(db, now, PENDING_AFTER_MS, PER_RUN);
  if (rows.length === 0) return null;
  const pending: CaptureData[] = [];
  const unreadable: string[] = [];
  for (const row of rows) {
    let payload: unknown;
    try {
      payload = JSON.parse(row.payload);
    } catch {
      payload = null;
    }
    const parsed = CaptureDataSchema.safeParse(payload);
    if (parsed.success) pending.push(parsed.data);
    else unreadable.push(row.id);
  }
  if (unreadable.length > 0) {
    await db
      .update(formSubmissions)
      .set({ status: "failed", error: "The kept payload could not be read.", updatedAt: now })
      .where(inArray(formSubmissions.id, unreadable));
  }
  const messages: QueueMessage[] = pending.map((data) => ({
    id: data.submissionId,
    type: FORM_SUBMISSION_TYPE,
    createdAt: now,
    data,
  }));
  try {
    for (const batch of batches(messages)) {
      await services.queues.capture.sendBatch(batch.map((body) => ({ body })));
    }
    if (messages.length > 0) {
      await touchSubmissionsStatement(
        db,
        messages.map((m) => m.id),
        now,
      );
    }
    return `capture: ${messages.length} pending submission(s) queued`;
  } catch (error) {
    console.warn(
      JSON.stringify({
        level: "warn",
        message: "capture queue down; processing directly",
        error: String(error),
      }),
    );
  }
  let processed = 0;
  for (const data of pending.slice(0, DIRECTLY_PER_RUN)) {
    try {
      await processCapture(data, services);
      processed += 1;
    } catch (error) {
      // Its row stays "received" (or is processed, its event to follow): the next sweep tries again.
      console.error(
        JSON.stringify({ level: "error", submissionId: data.submissionId, error: String(error) }),
      );
      await db
        .update(formSubmissions)
        .set({ updatedAt: now })
        .where(eq(formSubmissions.id, data.submissionId))
        .catch(() => undefined);
    }
  }
  return `capture: queue down, ${processed} of ${pending.length} pending submission(s) processed directly`;
}
