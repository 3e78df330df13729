// Outgoing webhook subscriptions (admins only): CRUD with ETag / If-Match, the event catalogue, secret rotation
// and a test event. A target is checked against the SSRF guard before anything is written; the secret is in
// the answers that make it and nowhere else. Every request is one database round trip.
import { keysetPage } from "../../../db/paging.ts";
import { testEventStatements } from "../../../db/webhooks-out/deliveries.ts";
import {
  createSubscriptionStatement,
  deleteSubscriptionStatements,
  listSubscriptionsQuery,
  readSubscriptionQuery,
  rotateSecretStatement,
  toSubscription,
  updateSubscriptionStatements,
} from "../../../db/webhooks-out/subscriptions.ts";
import { eventCatalogue, TEST_EVENT_TYPE } from "../../../queues/webhooks-out/catalogue.ts";
import { requestDelivery } from "../../../queues/webhooks-out/deliver.ts";
import { checkTarget } from "../../../queues/webhooks-out/target-guard.ts";
import { authorizedRead, authorizedWrite, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import { ApiError, problemContent } from "../../errors.ts";
import { etag, ifMatchVersion, preconditionFailed } from "../../etag.ts";
import { body, json } from "../../openapi.ts";
import { IdParams } from "../contacts/schemas.ts";
import { afterResponse } from "./after-response.ts";
import {
  EventCatalogue,
  RotateRequest,
  SubscriptionCreate,
  SubscriptionListQuery,
  SubscriptionPage,
  SubscriptionPatch,
  SubscriptionSchema,
  SubscriptionWithSecret,
  TestAccepted,
} from "./schemas.ts";

const tags = ["Webhooks"];
// Subscriptions send the organisation's data elsewhere: only admins see or change them.
export const WEBHOOKS_READ = { scope: "webhooks:read", roles: ["admin"] } as const;
export const WEBHOOKS_WRITE = { scope: "webhooks:write", write: true, roles: ["admin"] } as const;
const record = "webhook_subscription";

const catalogueRoute = defineRoute({
  method: "get",
  path: "/api/v1/webhook-event-types",
  tags,
  summary: "The event types a subscription may ask for",
  access: WEBHOOKS_READ,
  responses: { 200: json(EventCatalogue, "Every event type, with what it means") },
});

const listRoute = defineRoute({
  method: "get",
  path: "/api/v1/webhook-subscriptions",
  tags,
  summary: "List webhook subscriptions, newest first (keyset pages)",
  access: WEBHOOKS_READ,
  record,
  request: { query: SubscriptionListQuery },
  responses: { 200: json(SubscriptionPage, "One page of subscriptions") },
});

const createRoute = defineRoute({
  method: "post",
  path: "/api/v1/webhook-subscriptions",
  tags,
  summary: "Create a webhook subscription; the answer shows its signing secret, once",
  description:
    "Deliveries follow the Standard Webhooks spec: `webhook-id`, `webhook-timestamp` and `webhook-signature` " +
    "(`v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` under the secret), and `webhook-sequence`.",
  access: WEBHOOKS_WRITE,
  request: body(SubscriptionCreate),
  responses: { 201: json(SubscriptionWithSecret, "Created, with its secret") },
});

const getRoute = defineRoute({
  method: "get",
  path: "/api/v1/webhook-subscriptions/{id}",
  tags,
  summary: "Read a webhook subscription (ETag)",
  access: WEBHOOKS_READ,
  record,
  request: { params: IdParams },
  responses: { 200: json(SubscriptionSchema, "The subscription") },
});

const patchRoute = defineRoute({
  method: "patch",
  path: "/api/v1/webhook-subscriptions/{id}",
  tags,
  summary: "Change a webhook subscription, or turn it off or on (If-Match)",
  description:
    "While a subscription is off, the events it asks for are kept as `skipped` deliveries; replay them " +
    "(POST /api/v1/webhook-deliveries/replay with `subscriptionId` and `status: skipped`) once it is on again.",
  access: WEBHOOKS_WRITE,
  record,
  request: { params: IdParams, ...body(SubscriptionPatch) },
  responses: {
    200: json(SubscriptionSchema, "Updated"),
    412: problemContent("If-Match names a version that is no longer current"),
  },
});

const deleteRoute = defineRoute({
  method: "delete",
  path: "/api/v1/webhook-subscriptions/{id}",
  tags,
  summary: "Delete a webhook subscription and its delivery log",
  access: WEBHOOKS_WRITE,
  record,
  request: { params: IdParams },
  responses: { 204: { description: "Deleted" } },
});

const rotateRoute = defineRoute({
  method: "post",
  path: "/api/v1/webhook-subscriptions/{id}/rotate-secret",
  tags,
  summary: "Make a new signing secret; the old one keeps signing too for a grace period",
  description:
    "During the grace period every delivery carries two signatures in `webhook-signature`, the new secret's " +
    "first, so receivers can switch to the new secret whenever they are ready.",
  access: WEBHOOKS_WRITE,
  record,
  request: { params: IdParams, ...body(RotateRequest) },
  responses: { 200: json(SubscriptionWithSecret, "The subscription with its new secret, shown once") },
});

const testRoute = defineRoute({
  method: "post",
  path: "/api/v1/webhook-subscriptions/{id}/test",
  tags,
  summary: "Send a test event (`webhook.test`) to the subscription's endpoint",
  description: "Delivered, retried and logged like any other event. The subscription must be enabled.",
  access: WEBHOOKS_WRITE,
  record,
  request: { params: IdParams },
  responses: {
    202: json(TestAccepted, "Queued: follow it in the delivery log"),
    409: problemContent("The subscription is disabled"),
  },
});

function notFound(): never {
  throw new ApiError("not_found", "Webhook subscription not found");
}

/** The target, checked before anything is written: a refused one is a 422 that names the reason. */
function checkedUrl(url: string, allowPrivate: boolean): string {
  const check = checkTarget(url, allowPrivate);
  if (!check.ok) {
    throw new ApiError("validation_failed", `url: ${check.reason}`, {
      errors: [{ path: "url", message: check.reason }],
    });
  }
  return url;
}

export const webhookSubscriptionRoutes = createRouter()
  .openapi(catalogueRoute, async (c) => {
    await authorizedRead(c, () => [] as const);
    return c.json({ types: eventCatalogue() }, 200);
  })
  .openapi(listRoute, async (c) => {
    const { cursor, limit } = c.req.valid("query");
    const {
      results: [rows],
    } = await authorizedRead(
      c,
      () => [listSubscriptionsQuery(c.get("db"), { before: cursor, limit })] as const,
    );
    const now = Date.now();
    return c.json(
      keysetPage(rows, limit, (row) => toSubscription(row, now)),
      200,
    );
  })
  .openapi(createRoute, async (c) => {
    const input = c.req.valid("json");
    const url = checkedUrl(input.url, c.get("config").WEBHOOKS_ALLOW_PRIVATE_TARGETS);
    const {
      results: [rows],
    } = await authorizedWrite(
      c,
      (me) => [createSubscriptionStatement(c.get("db"), me, { ...input, url }, Date.now())] as const,
    );
    const row = rows[0];
    if (!row) throw new Error("the insert returned no row");
    return c.json({ ...toSubscription(row), secret: row.secret }, 201, {
      ETag: etag(row.version),
      Location: `/api/v1/webhook-subscriptions/${row.id}`,
    });
  })
  .openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const {
      results: [rows],
    } = await authorizedRead(c, () => [readSubscriptionQuery(c.get("db"), id)] as const);
    const row = rows[0] ?? notFound();
    return c.json(toSubscription(row), 200, { ETag: etag(row.version) });
  })
  .openapi(patchRoute, async (c) => {
    const { id } = c.req.valid("param");
    const ifMatch = ifMatchVersion(c);
    const input = c.req.valid("json");
    if (input.url !== undefined) checkedUrl(input.url, c.get("config").WEBHOOKS_ALLOW_PRIVATE_TARGETS);
    const {
      results: [updated, , current],
    } = await authorizedWrite(c, () =>
      updateSubscriptionStatements(c.get("db"), id, input, ifMatch, Date.now()),
    );
    const row = updated[0];
    if (!row) throw current[0] ? preconditionFailed() : notFound();
    return c.json(toSubscription(row), 200, { ETag: etag(row.version) });
  })
  .openapi(deleteRoute, async (c) => {
    const { id } = c.req.valid("param");
    const {
      results: [, deleted],
    } = await authorizedWrite(c, () => deleteSubscriptionStatements(c.get("db"), id));
    if (deleted.length === 0) notFound();
    return c.body(null, 204);
  })
  .openapi(rotateRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { graceSeconds } = c.req.valid("json");
    const {
      results: [rows],
    } = await authorizedWrite(
      c,
      () => [rotateSecretStatement(c.get("db"), id, graceSeconds * 1000, Date.now())] as const,
    );
    const row = rows[0] ?? notFound();
    return c.json({ ...toSubscription(row), secret: row.secret }, 200, { ETag: etag(row.version) });
  })
  .openapi(testRoute, async (c) => {
    const { id } = c.req.valid("param");
    const db = c.get("db");
    const { event, statements } = testEventStatements(db, id, Date.now());
    const {
      results: [exists, , , deliveries],
    } = await authorizedWrite(c, () => [readSubscriptionQuery(db, id), ...statements] as const);
    if (!exists[0]) notFound();
    const delivery = (deliveries as { rows: { id: unknown }[] }).rows[0];
    if (!delivery) {
      throw new ApiError(
        "conflict",
        "The subscription is disabled: enable it (PATCH enabled: true), then test it.",
      );
    }
    afterResponse(c, requestDelivery(c.env.OUTBOUND_QUEUE));
    return c.json({ eventId: event.id, deliveryId: String(delivery.id), type: TEST_EVENT_TYPE }, 202);
  });
