// The events-queue messages scoring reacts to: engagement that webhooks and integrations report, and the
// recompute fan-out's own plan and chunk messages. form.submitted (queues/capture/) counts as engagement too.
import { z } from "zod";
import { ENGAGEMENT_KINDS } from "./rules.ts";

/** A contact engaged (or disengaged): emitted by inbound webhooks, e.g. an email provider's open or bounce. */
export const ENGAGEMENT_RECORDED_EVENT = "engagement.recorded";
export const RECOMPUTE_PLAN = "scoring.recompute_planned";
export const RECOMPUTE_CHUNK = "scoring.recompute_chunk";

export const EngagementRecordedSchema = z.object({
  /** The source's own id of the event: the same event delivered twice counts once. */
  eventId: z.string().min(1).max(200),
  contactId: z.string().min(1).max(64),
  kind: z.enum(ENGAGEMENT_KINDS),
  /** When it happened (epoch ms). */
  at: z.number().int(),
  formId: z.string().max(64).nullable().optional(),
});
export type EngagementRecorded = z.infer<typeof EngagementRecordedSchema>;

/** What form.submitted carries that scoring reads (queues/capture/process.ts sends more). */
export const FormSubmittedSchema = z.object({
  formId: z.string(),
  submissionId: z.string(),
  contactId: z.string(),
  receivedAt: z.number().int(),
});

export const RecomputePlanSchema = z.object({ jobId: z.string().min(1).max(64) });

export const RecomputeChunkSchema = z.object({
  jobId: z.string().min(1).max(64),
  chunk: z.number().int().min(0),
  from: z.string(),
  to: z.string().nullable(),
  engagedOnly: z.boolean(),
});
export type RecomputeChunk = z.infer<typeof RecomputeChunkSchema>;
