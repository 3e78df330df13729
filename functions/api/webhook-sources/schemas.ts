// The zod schemas of the inbound-webhook API: sources (verification, mapping, attribution; secrets shown once,
// then as hints), presets, and the inbox (list, one delivery with its events, replays).
import { z } from "@hono/zod-openapi";
import { INBOX_EVENT_STATUSES, INBOX_STATUSES } from "../../../db/schema/index.ts";
import { TIME_CURSOR_PATTERN } from "../../../db/timeline.ts";
import {
  type InboxEventRow,
  type InboxListRow,
  type InboxRow,
  MAX_REPLAY,
} from "../../../db/webhooks-in/inbox.ts";
import { parseSecrets, type SourceRow, secretHint } from "../../../db/webhooks-in/sources.ts";
import { MappingSchema, UTM_KEYS } from "../../../queues/webhooks-in/mapping.ts";
import { PRESET_IDS } from "../../../queues/webhooks-in/presets.ts";
import { VerificationSchema } from "../../hooks/verification.ts";
import { pageQuery } from "../../openapi.ts";
import { Id } from "../contacts/schemas.ts";

const Secret = z.string().min(8).max(500).openapi({
  description: "Leave it out to have one made (a HubSpot source needs its app's client secret).",
});

const Utm = z.strictObject(
  Object.fromEntries(UTM_KEYS.map((key) => [key, z.string().trim().min(1).max(200).optional()])),
);

const Attribution = z
  .strictObject({
    formId: Id.nullable().optional().openapi({
      description: "The form the leads and engagement count for (scoring rules on form submissions see it).",
    }),
    utm: Utm.optional().openapi({
      description: "The campaign new contacts came from; payload utm.* fields win.",
    }),
  })
  .openapi("InboundWebhookAttribution");

const sourceFields = {
  name: z.string().trim().min(1).max(200),
  verification: VerificationSchema,
  mapping: MappingSchema,
  attribution: Attribution,
  defaultOwnerId: Id.nullable().openapi({ description: "Owner of the contacts the source creates." }),
  retentionDays: z
    .number()
    .int()
    .min(1)
    .max(365)
    .openapi({ description: "How long deliveries stay in the inbox." }),
};

export const SourceCreate = z
  .strictObject({
    name: sourceFields.name,
    preset: z.enum(PRESET_IDS).optional().openapi({
      description:
        "Start from a preset (GET /api/v1/webhook-presets): its verification and mapping, unless given.",
    }),
    verification: sourceFields.verification.optional(),
    secret: Secret.optional(),
    mapping: sourceFields.mapping.optional(),
    attribution: sourceFields.attribution.optional(),
    defaultOwnerId: sourceFields.defaultOwnerId.optional(),
    retentionDays: sourceFields.retentionDays.default(30),
  })
  .superRefine((input, ctx) => {
    if (input.preset) return;
    if (!input.verification) {
      ctx.addIssue({ code: "custom", path: ["verification"], message: "Required without a preset." });
    }
    if (!input.mapping)
      ctx.addIssue({ code: "custom", path: ["mapping"], message: "Required without a preset." });
  })
  .openapi("WebhookSourceCreate");
export type SourceCreateInput = z.infer<typeof SourceCreate>;

export const SourcePatch = z
  .strictObject({
    name: sourceFields.name,
    verification: sourceFields.verification.openapi({
      description: "Settings of the same kind; a source keeps its kind (create another for another kind).",
    }),
    mapping: sourceFields.mapping,
    attribution: sourceFields.attribution,
    defaultOwnerId: sourceFields.defaultOwnerId,
    retentionDays: sourceFields.retentionDays,
  })
  .partial()
  .openapi("WebhookSourcePatch");

const SecretHint = z
  .object({
    id: z.string(),
    hint: z
      .string()
      .openapi({ description: "The secret's last characters; the secret itself is never shown again." }),
    createdAt: z.number().int(),
  })
  .openapi("WebhookSourceSecretHint");

export const SourceSchema = z
  .object({
    id: Id,
    name: z.string(),
    endpoint: z.string().openapi({ description: "Where the sender posts: POST {endpoint}." }),
    verification: z.record(z.string(), z.unknown()).openapi({ description: "kind and its settings." }),
    secrets: z.array(SecretHint).openapi({ description: "Newest first; two during a rotation." }),
    mapping: z.record(z.string(), z.unknown()),
    preset: z.string().nullable(),
    attribution: z.record(z.string(), z.unknown()),
    defaultOwnerId: z.string().nullable(),
    retentionDays: z.number().int(),
    version: z.number().int(),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
    archivedAt: z.number().int().nullable(),
  })
  .openapi("WebhookSource");

export const SourceCreated = SourceSchema.extend({
  secret: z.string().openapi({ description: "The secret, in full: shown this once, keep it in the sender." }),
}).openapi("WebhookSourceCreated");

export const SourcePage = z
  .object({ items: z.array(SourceSchema), nextCursor: z.string().nullable() })
  .openapi("WebhookSourcePage");

export const SourceListQuery = z.object({
  ...pageQuery(),
  state: z.enum(["live", "archived", "all"]).default("live"),
});

export const SecretCreate = z
  .strictObject({ secret: Secret.optional() })
  .openapi("WebhookSourceSecretCreate");
export const SecretCreated = z
  .object({
    secretId: z.string(),
    secret: z.string().openapi({ description: "The new secret, in full: shown this once." }),
    source: SourceSchema,
  })
  .openapi("WebhookSourceSecretCreated");
export const SecretRetire = z.strictObject({ secretId: Id }).openapi("WebhookSourceSecretRetire");

export function toSourceView(row: SourceRow, origin: string): z.infer<typeof SourceSchema> {
  return {
    id: row.id,
    name: row.name,
    endpoint: `${origin}/hooks/${row.id}`,
    verification: {
      kind: row.verification,
      ...(JSON.parse(row.verificationConfig) as Record<string, unknown>),
    },
    secrets: parseSecrets(row).map(secretHint),
    mapping: JSON.parse(row.mapping) as Record<string, unknown>,
    preset: row.preset,
    attribution: JSON.parse(row.attribution) as Record<string, unknown>,
    defaultOwnerId: row.defaultOwnerId,
    retentionDays: row.retentionDays,
    version: row.version,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    archivedAt: row.archivedAt,
  };
}

// ---- presets ----

export const PresetSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    verification: z.record(z.string(), z.unknown()),
    mapping: z.record(z.string(), z.unknown()),
    attribution: z.record(z.string(), z.unknown()),
    sample: z.unknown().openapi({ description: "A payload of the shape the preset reads." }),
  })
  .openapi("InboundWebhookPreset");
export const PresetList = z.object({ items: z.array(PresetSchema) }).openapi("InboundWebhookPresetList");

// ---- the inbox ----

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

export const InboxListQuery = z.object({
  ...pageQuery({ cursor: z.string().regex(TIME_CURSOR_PATTERN, "Not a cursor of this list.") }),
  sourceId: Id.optional(),
  status: z.enum(INBOX_STATUSES).optional(),
  q: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .optional()
    .openapi({ description: "Part of the delivery id, the event type or the body (an email, a name)." }),
  from: Time.openapi({ description: "Received at or after (epoch ms or ISO)." }),
  to: Time.openapi({ description: "Received at or before (epoch ms or ISO)." }),
});

const Verification = z
  .object({
    kind: z.string(),
    secret: z.number().int().openapi({ description: "Which secret matched: 1 the newest, 2 the previous." }),
    timestamp: z.number().int().nullable(),
    verifiedAt: z.number().int(),
  })
  .openapi("WebhookInboxVerification");

const inboxFields = {
  id: Id,
  sourceId: Id,
  deliveryId: z.string(),
  status: z.enum(INBOX_STATUSES),
  eventType: z.string().nullable(),
  eventCount: z.number().int(),
  contentType: z.string().nullable(),
  verification: Verification,
  error: z.string().nullable(),
  attempts: z.number().int(),
  replays: z.number().int(),
  receivedAt: z.number().int(),
  processedAt: z.number().int().nullable(),
  erasedAt: z
    .number()
    .int()
    .nullable()
    .openapi({
      description:
        "When the body, headers and query were blanked because the delivery concerned someone erased on request; " +
        "such a delivery cannot be replayed.",
    }),
};

export const InboxItem = z
  .object({ ...inboxFields, bodyBytes: z.number().int() })
  .openapi("WebhookInboxItem");

export const InboxPage = z
  .object({ items: z.array(InboxItem), nextCursor: z.string().nullable() })
  .openapi("WebhookInboxPage");

export const InboxDetail = z
  .object({
    ...inboxFields,
    headers: z.record(z.string(), z.string()).openapi({ description: "As received, without credentials." }),
    query: z.record(z.string(), z.string()),
    body: z.string().openapi({ description: "The raw body (base64 when bodyEncoding says so)." }),
    bodyEncoding: z.enum(["utf8", "base64"]),
    events: z.array(
      z.object({
        index: z.number().int(),
        eventType: z.string().nullable(),
        eventId: z.string(),
        status: z.enum(INBOX_EVENT_STATUSES),
        contactId: z.string().nullable(),
        actions: z.array(z.string()),
      }),
    ),
  })
  .openapi("WebhookInboxDelivery");

export const ReplayMany = z
  .strictObject({
    ids: z.array(Id).min(1).max(MAX_REPLAY).optional(),
    sourceId: Id.optional(),
    status: z.enum(["processed", "failed"]).optional(),
  })
  .refine((input) => input.ids || input.sourceId || input.status, {
    message: "Name the deliveries: ids, or a sourceId and/or status (the oldest 100 are replayed).",
  })
  .openapi("WebhookInboxReplayRequest");

export const ReplayResult = z
  .object({
    replayed: z.number().int(),
    ids: z.array(z.string()),
    status: z.enum(["queued", "pending"]).openapi({
      description:
        "queued: on the capture queue now; pending: the queue was down, the minute sweep takes them.",
    }),
  })
  .openapi("WebhookInboxReplayResult");

function verificationOf(text: string): z.infer<typeof Verification> {
  try {
    const parsed = JSON.parse(text) as z.infer<typeof Verification>;
    return {
      kind: parsed.kind,
      secret: parsed.secret,
      timestamp: parsed.timestamp,
      verifiedAt: parsed.verifiedAt,
    };
  } catch {
    return { kind: "unknown", secret: 1, timestamp: null, verifiedAt: 0 };
  }
}

export function toInboxItem(row: InboxListRow): z.infer<typeof InboxItem> {
  return { ...row, verification: verificationOf(row.verification) };
}

export function toInboxDetail(row: InboxRow, events: InboxEventRow[]): z.infer<typeof InboxDetail> {
  return {
    id: row.id,
    sourceId: row.sourceId,
    deliveryId: row.deliveryId,
    status: row.status,
    eventType: row.eventType,
    eventCount: row.eventCount,
    contentType: row.contentType,
    verification: verificationOf(row.verification),
    error: row.error,
    attempts: row.attempts,
    replays: row.replays,
    receivedAt: row.receivedAt,
    processedAt: row.processedAt,
    erasedAt: row.erasedAt,
    headers: JSON.parse(row.headers) as Record<string, string>,
    query: JSON.parse(row.queryParams) as Record<string, string>,
    body: row.body,
    bodyEncoding: row.bodyEncoding,
    events: events.map((e) => ({
      index: e.idx,
      eventType: e.eventType,
      eventId: e.eventId,
      status: e.status,
      contactId: e.contactId,
      actions: JSON.parse(e.actions) as string[],
    })),
  };
}
