// The zod schemas of the outgoing-webhooks API: subscriptions (the secret appears only in the answers that
// make one), the event catalogue, the delivery log and its filters, and replays.
import { z } from "@hono/zod-openapi";
import { WEBHOOK_DELIVERY_STATUSES, WEBHOOK_DISABLED_REASONS } from "../../../db/schema/index.ts";
import { REPLAY_LIMIT } from "../../../db/webhooks-out/deliveries.ts";
import { DEFAULT_ROTATION_GRACE_MS } from "../../../db/webhooks-out/subscriptions.ts";
import {
  ALL_EVENTS,
  isWebhookEventType,
  TEST_EVENT_TYPE,
  WEBHOOK_EVENT_TYPES,
} from "../../../queues/webhooks-out/catalogue.ts";
import { pageQuery } from "../../openapi.ts";
import { Id } from "../contacts/schemas.ts";

const EventName = z
  .string()
  .max(100)
  .refine((type) => type === ALL_EVENTS || isWebhookEventType(type), {
    error: `Unknown event type; known: ${ALL_EVENTS}, ${WEBHOOK_EVENT_TYPES.join(", ")}`,
  });

const Events = z
  .array(EventName)
  .min(1)
  .max(WEBHOOK_EVENT_TYPES.length + 1)
  .transform((events) => [...new Set(events)])
  .openapi({
    description: `Event types (GET /api/v1/webhook-event-types lists them), or ["${ALL_EVENTS}"] for every one, including types added later.`,
    example: ["contact.created", "deal.won"],
  });

const Url = z.string().trim().min(1).max(2000).openapi({
  description:
    "Where deliveries are POSTed: http(s) only; private, loopback and link-local addresses and local names are refused.",
  example: "https://hooks.example.com/crm",
});

const subscriptionFields = {
  url: Url,
  events: Events,
  description: z.string().trim().max(500).nullable().optional(),
  enabled: z
    .boolean()
    .optional()
    .openapi({ description: "true by default. false keeps events as skipped deliveries." }),
};

export const SubscriptionCreate = z.strictObject(subscriptionFields).openapi("WebhookSubscriptionCreate");
export const SubscriptionPatch = z
  .strictObject(subscriptionFields)
  .partial()
  .openapi("WebhookSubscriptionPatch");

export const SubscriptionSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    description: z.string().nullable(),
    events: z.array(z.string()),
    enabled: z.boolean(),
    disabledReason: z.enum(WEBHOOK_DISABLED_REASONS).nullable().openapi({
      description:
        "manual: an admin turned it off; gone: the endpoint answered 410; failing: a delivery failed its whole retry schedule with no success since; target_refused: the URL is no longer allowed.",
    }),
    disabledAt: z.number().int().nullable(),
    previousSecretExpiresAt: z.number().int().nullable().openapi({
      description: "During a secret rotation: until when deliveries also carry the old secret's signature.",
    }),
    lastSequence: z.number().int().openapi({ description: "The sequence number of the latest delivery." }),
    lastSuccessAt: z.number().int().nullable(),
    version: z.number().int(),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
  })
  .openapi("WebhookSubscription");

export const SubscriptionWithSecret = SubscriptionSchema.extend({
  secret: z.string().openapi({
    description: "whsec_ and base64: the signing secret. Shown only in this answer: keep it now.",
    example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  }),
}).openapi("WebhookSubscriptionWithSecret");

export const SubscriptionPage = z
  .object({ items: z.array(SubscriptionSchema), nextCursor: z.string().nullable() })
  .openapi("WebhookSubscriptionPage");

export const SubscriptionListQuery = z.object(pageQuery());

export const RotateRequest = z
  .strictObject({
    graceSeconds: z
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 3600)
      .default(DEFAULT_ROTATION_GRACE_MS / 1000)
      .openapi({
        description: "How long the old secret keeps signing too (0: stop at once). A day by default.",
      }),
  })
  .openapi("WebhookSecretRotation");

export const TestAccepted = z
  .object({
    eventId: z.string(),
    deliveryId: z.string(),
    type: z.string().openapi({ example: TEST_EVENT_TYPE }),
  })
  .openapi("WebhookTestAccepted");

export const EventCatalogue = z
  .object({
    types: z.array(z.object({ type: z.string(), description: z.string() })),
  })
  .openapi("WebhookEventCatalogue");

const DeliveryFields = {
  id: z
    .string()
    .openapi({ description: "Also the webhook-id header: the same on every attempt and replay." }),
  subscriptionId: z.string(),
  eventId: z.string(),
  eventType: z.string(),
  sequence: z.number().int(),
  status: z.enum(WEBHOOK_DELIVERY_STATUSES),
  attempts: z
    .number()
    .int()
    .openapi({ description: "Attempts since the delivery was made or last replayed." }),
  nextAttemptAt: z.number().int().nullable(),
  lastAttemptAt: z.number().int().nullable(),
  responseStatus: z.number().int().nullable(),
  durationMs: z.number().int().nullable(),
  error: z.string().nullable(),
  deliveredAt: z.number().int().nullable(),
  createdAt: z.number().int(),
};

export const DeliverySchema = z.object(DeliveryFields).openapi("WebhookDelivery");

export const DeliveryDetail = z
  .object({
    ...DeliveryFields,
    url: z.string(),
    payload: z.string().openapi({ description: "The body as sent (the same bytes on every attempt)." }),
    responseBody: z
      .string()
      .nullable()
      .openapi({ description: "The start of the last answer (1,000 characters)." }),
  })
  .openapi("WebhookDeliveryDetail");

export const DeliveryPage = z
  .object({ items: z.array(DeliverySchema), nextCursor: z.string().nullable() })
  .openapi("WebhookDeliveryPage");

const Filters = {
  subscriptionId: Id.optional(),
  status: z.enum(WEBHOOK_DELIVERY_STATUSES).optional(),
  eventType: z.string().max(100).optional(),
  eventId: z.string().max(128).optional(),
};

export const DeliveryListQuery = z.object({ ...pageQuery(), ...Filters });

export const ReplayRequest = z
  .union([
    z.strictObject({ ids: z.array(Id).min(1).max(REPLAY_LIMIT) }),
    z
      .strictObject(Filters)
      .refine((filter) => Object.values(filter).some((value) => value !== undefined), "Give ids or a filter"),
  ])
  .openapi("WebhookReplayRequest", {
    description: `Deliveries by id, or every delivery a filter matches (e.g. a subscription's skipped ones), at most ${REPLAY_LIMIT}.`,
  });

export const ReplayAccepted = z
  .object({
    replayed: z.array(z.string()).openapi({ description: "The deliveries put back in line, due now." }),
  })
  .openapi("WebhookReplayAccepted");
