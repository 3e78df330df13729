// The zod schemas of the forms API: a form as the API shows it (its definition, never its Turnstile secret),
// the list's query, and a submission from the log.
import { z } from "@hono/zod-openapi";
import type { FormRow } from "../../../db/forms/definitions.ts";
import type { SubmissionRow } from "../../../db/forms/submissions.ts";
import { FORM_SUBMISSION_STATUSES } from "../../../db/schema/index.ts";
import { TIME_CURSOR_PATTERN } from "../../../db/timeline.ts";
import { FormInputSchema, type StoredDefinition } from "../../forms/definition.ts";
import { pageQuery } from "../../openapi.ts";

export const Id = z.string().min(1).max(64);
export const IdParams = z.object({ id: Id.openapi({ param: { name: "id", in: "path" } }) });

const Definition = FormInputSchema.shape;

export const FormSchema = z
  .object({
    id: Id,
    name: z.string(),
    languages: Definition.languages,
    fields: Definition.fields,
    submitLabel: Definition.submitLabel,
    consent: Definition.consent,
    thankYou: Definition.thankYou,
    lifecycleStage: Definition.lifecycleStage,
    leadStatus: Definition.leadStatus,
    deal: Definition.deal,
    defaultOwnerId: z.string().nullable(),
    notify: Definition.notify,
    allowedOrigins: z.array(z.string()),
    spam: z.object({
      honeypotName: z.string(),
      minFillMs: z.number().int(),
      turnstile: z.object({ siteKey: z.string(), secretKeySet: z.boolean() }).nullable(),
      perIpLimit: z.object({ max: z.number().int(), windowMinutes: z.number().int() }).nullable(),
    }),
    links: z.object({
      hosted: z.string().openapi({ description: "The hosted form page." }),
      definition: z.string().openapi({ description: "The public definition the embed reads." }),
      embed: z.string().openapi({ description: "The snippet that puts the form on any page." }),
    }),
    version: z.number().int(),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
    archivedAt: z.number().int().nullable(),
  })
  .openapi("Form");

export type FormView = z.infer<typeof FormSchema>;

export function toFormView(row: FormRow, origin: string): FormView {
  const definition = JSON.parse(row.definition) as StoredDefinition;
  const hosted = `${origin}/f/${row.id}`;
  return {
    id: row.id,
    name: row.name,
    ...definition,
    defaultOwnerId: row.defaultOwnerId,
    spam: {
      ...definition.spam,
      turnstile: definition.spam.turnstile
        ? { siteKey: definition.spam.turnstile.siteKey, secretKeySet: row.turnstileSecret !== null }
        : null,
    },
    links: {
      hosted,
      definition: `${hosted}/definition`,
      embed: `<script src="${origin}/embed.js" data-form="${row.id}" async></script>`,
    },
    version: row.version,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    archivedAt: row.archivedAt,
  };
}

export const FormPage = z
  .object({ items: z.array(FormSchema), nextCursor: z.string().nullable() })
  .openapi("FormPage");

export const FormListQuery = z.object({
  ...pageQuery(),
  state: z.enum(["live", "archived", "all"]).default("live"),
  q: z.string().max(200).optional().openapi({ description: "Part of the name." }),
});

/** Epoch ms, or an ISO date-time. */
const Time = z
  .string()
  .max(40)
  .transform((value, ctx) => {
    const ms = /^\d{1,15}$/.test(value) ? Number(value) : Date.parse(value);
    if (Number.isNaN(ms)) {
      ctx.addIssue({ code: "custom", message: "Epoch milliseconds or an ISO date-time." });
      return z.NEVER;
    }
    return ms;
  })
  .optional();

export const SubmissionListQuery = z.object({
  ...pageQuery({ cursor: z.string().regex(TIME_CURSOR_PATTERN, "Not a cursor of this list.") }),
  status: z.enum(FORM_SUBMISSION_STATUSES).optional(),
  q: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .optional()
    .openapi({ description: "Part of the email or name, or of any value." }),
  from: Time.openapi({ description: "Received at or after (epoch ms or ISO)." }),
  to: Time.openapi({ description: "Received at or before (epoch ms or ISO)." }),
});

export const SubmissionSchema = z
  .object({
    id: Id,
    formId: Id,
    status: z.enum(FORM_SUBMISSION_STATUSES),
    spamReasons: z.array(z.string()),
    error: z.string().nullable(),
    fieldErrors: z
      .array(z.object({ field: z.string(), code: z.string(), message: z.string() }))
      .openapi({ description: "Why a failed submission failed, field by field (empty otherwise)." }),
    fields: z.record(z.string(), z.unknown()).openapi({ description: "What was posted, as it was posted." }),
    consent: z.unknown(),
    email: z.string().nullable(),
    name: z.string().nullable(),
    pageUrl: z.string().nullable(),
    referrer: z.string().nullable(),
    utm: z.record(z.string(), z.string()),
    userAgent: z.string().nullable(),
    clientIp: z.string().nullable(),
    origin: z.string().nullable(),
    visitorId: z.string().nullable(),
    duplicateOf: z.string().nullable(),
    contactId: z.string().nullable(),
    dealId: z.string().nullable(),
    attempts: z.number().int(),
    receivedAt: z.number().int(),
    processedAt: z.number().int().nullable(),
    updatedAt: z.number().int(),
  })
  .openapi("FormSubmission");

export type SubmissionView = z.infer<typeof SubmissionSchema>;

function parsed<T>(text: string | null, fallback: T): T {
  if (text === null) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

export function toSubmissionView(row: SubmissionRow): SubmissionView {
  const payload = parsed<{ fields?: Record<string, unknown>; consent?: unknown }>(row.payload, {});
  const fieldErrors = parsed<unknown>(row.error, null);
  return {
    id: row.id,
    formId: row.formId,
    status: row.status,
    spamReasons: parsed<string[]>(row.spamReasons, []),
    error: row.error,
    fieldErrors: Array.isArray(fieldErrors) ? (fieldErrors as SubmissionView["fieldErrors"]) : [],
    fields: payload.fields ?? {},
    consent: payload.consent ?? null,
    email: row.email,
    name: row.name,
    pageUrl: row.pageUrl,
    referrer: row.referrer,
    utm: parsed<Record<string, string>>(row.utm, {}),
    userAgent: row.userAgent,
    clientIp: row.clientIp,
    origin: row.origin,
    visitorId: row.visitorId,
    duplicateOf: row.duplicateOf,
    contactId: row.contactId,
    dealId: row.dealId,
    attempts: row.attempts,
    receivedAt: row.receivedAt,
    processedAt: row.processedAt,
    updatedAt: row.updatedAt,
  };
}

export const SubmissionPage = z
  .object({ items: z.array(SubmissionSchema), nextCursor: z.string().nullable() })
  .openapi("FormSubmissionPage");

export const ReplaySchema = z
  .object({
    submissionId: Id,
    status: z.enum(["queued", "processed", "duplicate", "spam", "failed"]).openapi({
      description:
        "queued: back on the capture queue; otherwise processed on the spot (the queue was down) with this outcome.",
    }),
  })
  .openapi("FormSubmissionReplay");
