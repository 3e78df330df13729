// Events the speed-to-lead engine sends: a breach whose rule reassigns, for the assignment engine.
import { z } from "zod";

export const SLA_BREACHED_EVENT = "sla.breached";

export const SlaBreachedSchema = z.object({
  clockId: z.string(),
  contactId: z.string(),
  ownerId: z.string().nullable(),
});
export type SlaBreached = z.infer<typeof SlaBreachedSchema>;
