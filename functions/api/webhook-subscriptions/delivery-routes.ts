// The outgoing-webhook delivery log (admins only): deliveries filtered by subscription, status and event, one
// delivery with the body it carries and the receiver's last answer, and replays of one or many. One database
// round trip each; a replay also asks the outbound queue for a delivery pass.
import { keysetPage } from "../../../db/paging.ts";
import {
  deliveryQuery,
  deliveryStatesQuery,
  listDeliveriesQuery,
  readDeliveryQuery,
  replayStatement,
} from "../../../db/webhooks-out/deliveries.ts";
import { requestDelivery } from "../../../queues/webhooks-out/deliver.ts";
import { envelopeBody } from "../../../queues/webhooks-out/envelope.ts";
import { authorizedRead, authorizedWrite, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import { ApiError, problemContent } from "../../errors.ts";
import { body, json } from "../../openapi.ts";
import { IdParams } from "../contacts/schemas.ts";
import { afterResponse } from "./after-response.ts";
import { WEBHOOKS_READ, WEBHOOKS_WRITE } from "./routes.ts";
import {
  DeliveryDetail,
  DeliveryListQuery,
  DeliveryPage,
  DeliverySchema,
  ReplayAccepted,
  ReplayRequest,
} from "./schemas.ts";

const tags = ["Webhooks"];
const record = "webhook_delivery";

const listRoute = defineRoute({
  method: "get",
  path: "/api/v1/webhook-deliveries",
  tags,
  summary: "The delivery log, newest first: filter by subscription, status, event type or event id",
  access: WEBHOOKS_READ,
  record,
  request: { query: DeliveryListQuery },
  responses: { 200: json(DeliveryPage, "One page of deliveries") },
});

const getRoute = defineRoute({
  method: "get",
  path: "/api/v1/webhook-deliveries/{id}",
  tags,
  summary: "One delivery: its attempts, the body it carries and the receiver's last answer",
  access: WEBHOOKS_READ,
  record,
  request: { params: IdParams },
  responses: { 200: json(DeliveryDetail, "The delivery") },
});

const replayOneRoute = defineRoute({
  method: "post",
  path: "/api/v1/webhook-deliveries/{id}/replay",
  tags,
  summary: "Send a delivery again now, on a fresh retry schedule, with the same webhook-id and sequence",
  access: WEBHOOKS_WRITE,
  record,
  request: { params: IdParams },
  responses: {
    202: json(DeliverySchema, "Due now"),
    409: problemContent("Its subscription is disabled, or an attempt is under way"),
  },
});

const replayManyRoute = defineRoute({
  method: "post",
  path: "/api/v1/webhook-deliveries/replay",
  tags,
  summary: "Send many deliveries again: by id, or all a filter matches (e.g. a subscription's skipped ones)",
  description:
    "Deliveries of disabled subscriptions and those with an attempt under way are left alone; the answer " +
    "lists those put back in line.",
  access: WEBHOOKS_WRITE,
  request: body(ReplayRequest),
  responses: { 202: json(ReplayAccepted, "The deliveries due now") },
});

export const webhookDeliveryRoutes = createRouter()
  .openapi(listRoute, async (c) => {
    const { cursor, limit, ...filter } = c.req.valid("query");
    const {
      results: [rows],
    } = await authorizedRead(
      c,
      () => [listDeliveriesQuery(c.get("db"), filter, { before: cursor, limit })] as const,
    );
    return c.json(
      keysetPage(rows, limit, (row) => row),
      200,
    );
  })
  .openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const {
      results: [rows],
    } = await authorizedRead(c, () => [readDeliveryQuery(c.get("db"), id)] as const);
    const row = rows[0];
    if (!row) throw new ApiError("not_found", "Webhook delivery not found");
    const { occurredAt, data, ...delivery } = row;
    const payload = envelopeBody({
      id: row.eventId,
      type: row.eventType,
      occurredAt,
      data,
      sequence: row.sequence,
    });
    return c.json({ ...delivery, payload }, 200);
  })
  .openapi(replayOneRoute, async (c) => {
    const { id } = c.req.valid("param");
    const db = c.get("db");
    const {
      results: [replayed, states, rows],
    } = await authorizedWrite(
      c,
      () =>
        [
          replayStatement(db, { ids: [id] }, Date.now()),
          deliveryStatesQuery(db, [id]),
          deliveryQuery(db, id),
        ] as const,
    );
    const state = states[0];
    if (!state) throw new ApiError("not_found", "Webhook delivery not found");
    if (replayed.length === 0) {
      throw new ApiError(
        "conflict",
        state.enabled
          ? "An attempt of this delivery is under way: wait for it to finish, then replay it if need be."
          : "Its subscription is disabled: enable it (PATCH enabled: true), then replay the delivery.",
      );
    }
    afterResponse(c, requestDelivery(c.env.OUTBOUND_QUEUE));
    const row = rows[0];
    if (!row) throw new Error("the replayed delivery was not read back");
    return c.json(row, 202);
  })
  .openapi(replayManyRoute, async (c) => {
    const selection = c.req.valid("json");
    const {
      results: [replayed],
    } = await authorizedWrite(c, () => [replayStatement(c.get("db"), selection, Date.now())] as const);
    if (replayed.length > 0) afterResponse(c, requestDelivery(c.env.OUTBOUND_QUEUE));
    return c.json({ replayed: replayed.map((row) => row.id) }, 202);
  });
