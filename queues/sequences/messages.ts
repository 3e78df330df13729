// The events-queue message of the sequence runner's fan-out: one chunk of enrolments a cron run leased.
import { z } from "zod";

export const SEQUENCE_STEPS_DUE = "sequence.steps_due";

export const StepsDueSchema = z.object({
  /** The lease the cron run took: the chunk runs only the enrolments still under it. */
  claim: z.string().min(1).max(64),
  /** The run's clock (its scheduled time), so a chunk decides as the run would have. */
  now: z.number().int(),
  enrolmentIds: z.array(z.string().min(1).max(64)).min(1).max(100),
});
export type StepsDue = z.infer<typeof StepsDueSchema>;
