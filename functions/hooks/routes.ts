// The public inbound-webhook endpoint, POST /hooks/{sourceId} (functions/hooks/receive.ts), outside /api/v1 and
// documented in the OpenAPI document for whoever configures a sender. The handler reads its body itself (raw
// bytes, for the signature), so nothing here validates a request.
import { z } from "@hono/zod-openapi";
import { createRouter, type Router } from "../app.ts";
import { ApiError, problemContent } from "../errors.ts";
import { receiveDelivery } from "./receive.ts";

/** Source ids are UUIDs; anything else is no source, answered without a lookup. */
const SOURCE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const Accepted = z
  .object({
    id: z.string().openapi({ description: "The delivery in the inbox: GET /api/v1/webhook-inbox/{id}." }),
    deliveryId: z
      .string()
      .openapi({ description: "The delivery's own id (webhook-id, or as the mapping says)." }),
    status: z.literal("accepted"),
  })
  .openapi("InboundDeliveryAccepted");

const Duplicate = z
  .object({ deliveryId: z.string(), status: z.literal("duplicate") })
  .openapi("InboundDeliveryDuplicate");

function documentHooks(registry: Router["openAPIRegistry"]): void {
  registry.registerPath({
    method: "post",
    path: "/hooks/{id}",
    tags: ["Inbound webhooks"],
    summary: "Deliver an event from a marketing tool to a webhook source",
    description:
      "Public; the source's verification decides who may post (Standard Webhooks, HubSpot v3, HMAC-SHA256, a " +
      "token, or HTTP Basic). Any body up to 1 MB, verified byte for byte; a timestamp more than 5 minutes away " +
      "is refused. The answer comes once the delivery is durable (queued, or kept in the inbox); retry 503 after " +
      "Retry-After. A delivery whose id this source already took is answered 200 `duplicate` (when this location " +
      "can tell) or 202, and is processed once either way.",
    request: {
      params: z.object({ id: z.string().openapi({ param: { name: "id", in: "path" } }) }),
      body: { content: { "application/json": { schema: z.unknown() } } },
    },
    responses: {
      202: { description: "Accepted", content: { "application/json": { schema: Accepted } } },
      200: {
        description: "Taken before: not processed again",
        content: { "application/json": { schema: Duplicate } },
      },
      400: problemContent("A timestamp more than 5 minutes from now, or a malformed signature header"),
      401: problemContent("No valid signature, token or credentials for this source"),
      404: problemContent("No such source, or it is archived"),
      413: problemContent("Over 1 MB"),
      503: problemContent("Neither the queue nor the database took it; retry after Retry-After"),
    },
  });
}

const router = createRouter();
documentHooks(router.openAPIRegistry);

export const hookRoutes = router.post("/hooks/:id", async (c) => {
  const id = c.req.param("id") ?? "";
  if (!SOURCE_ID.test(id)) throw new ApiError("not_found", "No such webhook source, or it is archived.");
  return receiveDelivery(c, id.toLowerCase());
});
