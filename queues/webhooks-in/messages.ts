// The messages of inbound webhooks. On crm-capture: a verified delivery, from the edge to the consumer (with
// its raw body, or without it when the body is already in the inbox: large bodies, replays, the sweep). On
// crm-events: `webhook.event`, one per event of every processed delivery, for workflows and other engines.
import { z } from "zod";

export const WEBHOOK_DELIVERY_TYPE = "webhook.delivery";
export const WEBHOOK_EVENT = "webhook.event";

export const VerificationRecordSchema = z.object({
  kind: z.string().max(40),
  /** Which of the source's secrets matched: 1 the newest, 2 the previous one during a rotation. */
  secret: z.union([z.literal(1), z.literal(2)]),
  /** The sender's timestamp (epoch ms), for schemes that sign one. */
  timestamp: z.number().int().nullable(),
  verifiedAt: z.number().int(),
});
export type VerificationRecord = z.infer<typeof VerificationRecordSchema>;

export const WebhookDeliveryDataSchema = z.object({
  v: z.literal(1),
  /** The inbox row's id (ours); the envelope id too. */
  inboxId: z.string().min(1).max(64),
  sourceId: z.string().min(1).max(64),
  /** The sender's id of the delivery: with the source, the key that keeps it from being processed twice. */
  deliveryId: z.string().min(1).max(200),
  receivedAt: z.number().int(),
  contentType: z.string().max(200).nullable(),
  headers: z.record(z.string().max(100), z.string().max(2000)),
  query: z.record(z.string().max(200), z.string().max(2000)),
  /** Null: the body is in the inbox row already (written at the edge, or kept from the first delivery). */
  body: z.string().nullable(),
  bodyEncoding: z.enum(["utf8", "base64"]),
  verification: VerificationRecordSchema,
  /** An admin replayed it (the inbox row was set back to received). */
  replay: z.boolean().default(false),
});
export type WebhookDeliveryData = z.infer<typeof WebhookDeliveryDataSchema>;

/** One event of a processed delivery, on crm-events (id `webhook.event:<inboxId>:<index>`). */
export const WebhookEventSchema = z.object({
  sourceId: z.string(),
  /** The inbox row (GET /api/v1/webhook-inbox/{deliveryId}). */
  deliveryId: z.string(),
  /** The event's type as the mapping read it; null when the mapping names no type. */
  eventType: z.string().nullable(),
  /** The contact the event concerned (found or created); null when there was none. */
  contactId: z.string().nullable(),
  /** The event as it was posted (one item of a list); null when it was too large for a queue message. */
  payload: z.unknown(),
});
export type WebhookEvent = z.infer<typeof WebhookEventSchema>;
