// The workflow engine's own message on crm-events: run step N of a run. It names the run's record so that a
// step reads everything it needs in one round trip.
import { z } from "zod";
import { newId } from "../../db/ids.ts";
import type { QueueMessage } from "../message.ts";

export const WORKFLOW_STEP = "workflow.step";

export const StepMessageSchema = z.object({
  runId: z.string().min(1).max(64),
  step: z.number().int().min(0),
  recordType: z.enum(["contact", "company", "deal", "task"]).nullable(),
  recordId: z.string().max(64).nullable(),
});
export type StepMessage = z.infer<typeof StepMessageSchema>;

/** Cloudflare Queues delay a message by at most 12 hours; longer waits are woken by the minute job. */
export const MAX_QUEUE_DELAY_SECONDS = 12 * 60 * 60;

export function stepMessage(data: StepMessage, now = Date.now()): QueueMessage {
  return { id: newId(), type: WORKFLOW_STEP, createdAt: now, data };
}

/** Sends step messages, 100 at a time (a queue's sendBatch limit), each with its delay. */
export async function sendSteps(
  queue: Queue<QueueMessage>,
  steps: readonly { data: StepMessage; delaySeconds?: number }[],
  now = Date.now(),
): Promise<void> {
  for (let i = 0; i < steps.length; i += 100) {
    await queue.sendBatch(
      steps.slice(i, i + 100).map((s) => ({
        body: stepMessage(s.data, now),
        ...(s.delaySeconds ? { delaySeconds: s.delaySeconds } : {}),
      })),
    );
  }
}
