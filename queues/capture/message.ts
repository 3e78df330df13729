// What a form submission carries from the edge to the capture consumer: everything posted, and what the edge
// saw (page, UTM, address, Turnstile verdict). The same shape is kept in form_submissions.payload, so the
// sweep and a replay can rebuild the message from the row.
import { z } from "zod";

export const FORM_SUBMISSION_TYPE = "form.submission";
export const FORM_SUBMITTED_EVENT = "form.submitted";

const Scalar = z.union([z.string().max(20_000), z.number(), z.boolean(), z.null()]);
export const FieldValueSchema = z.union([Scalar, z.array(Scalar).max(200)]);
export type FieldValue = z.infer<typeof FieldValueSchema>;

export const UtmSchema = z.object({
  source: z.string().max(200).optional(),
  medium: z.string().max(200).optional(),
  campaign: z.string().max(200).optional(),
  term: z.string().max(200).optional(),
  content: z.string().max(200).optional(),
});
export type Utm = z.infer<typeof UtmSchema>;

export const TurnstileSchema = z.object({
  /** Kept only until the consumer has verified it (when the edge could not). */
  token: z.string().max(4096).nullable(),
  /** What the edge's siteverify said; null when the edge did not know the form's secret. */
  verdict: z.enum(["passed", "failed", "unavailable"]).nullable(),
  codes: z.array(z.string().max(100)).max(20).default([]),
});

export const CaptureDataSchema = z.object({
  v: z.literal(1),
  formId: z.string().min(1).max(64),
  submissionId: z.string().min(1).max(64),
  receivedAt: z.number().int(),
  format: z.enum(["json", "form"]),
  lang: z.enum(["en", "vi"]).nullable(),
  fields: z.record(z.string().max(200), FieldValueSchema),
  consent: FieldValueSchema.optional(),
  visitorId: z.string().max(64).nullable(),
  renderedAt: z.number().nullable(),
  honeypot: z.string().max(20_000).nullable(),
  page: z.object({ url: z.string().max(4096).nullable(), referrer: z.string().max(4096).nullable() }),
  utm: UtmSchema,
  userAgent: z.string().max(1000).nullable(),
  ip: z.string().max(100).nullable(),
  /** The Origin header of the post, and the CRM's own origin (the hosted page's). */
  origin: z.string().max(1000).nullable(),
  selfOrigin: z.string().max(1000),
  turnstile: TurnstileSchema,
  /** An admin replayed it: spam checks are skipped, the rest runs again. */
  replay: z.boolean().default(false),
});
export type CaptureData = z.infer<typeof CaptureDataSchema>;
