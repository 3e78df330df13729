// The inbox of inbound deliveries, for admins: every verified delivery with its raw body, how it was verified,
// what became of it and why it failed; filtered by source and status, searched, paged newest first; and
// replays, of one or many (set back to received and queued again without their bodies, which the consumer
// reads from the row; with the queue down, the minute sweep takes them). One database round trip each.
import { sql } from "drizzle-orm";
import type { Context } from "hono";
import { callerAuditStatement } from "../../../db/audit-queries.ts";
import { webhookInbox } from "../../../db/schema/index.ts";
import { decodeTimeCursor, encodeTimeCursor } from "../../../db/timeline.ts";
import {
  inboxEventsQuery,
  inboxRowQuery,
  listInboxQuery,
  replayDeliveriesStatement,
  replayDeliveryStatement,
} from "../../../db/webhooks-in/inbox.ts";
import { WEBHOOK_DELIVERY_TYPE, type WebhookDeliveryData } from "../../../queues/webhooks-in/messages.ts";
import { authorizedRead, authorizedWrite, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import type { AppEnv } from "../../env.ts";
import { ApiError, problemContent } from "../../errors.ts";
import { body, json } from "../../openapi.ts";
import { requestOrigin } from "../../request-origin.ts";
import { IdParams } from "../contacts/schemas.ts";
import { tags, WEBHOOKS_READ, WEBHOOKS_WRITE } from "./common.ts";
import {
  InboxDetail,
  InboxListQuery,
  InboxPage,
  ReplayMany,
  ReplayResult,
  toInboxDetail,
  toInboxItem,
} from "./schemas.ts";

const listRoute = defineRoute({
  method: "get",
  path: "/api/v1/webhook-inbox",
  tags,
  summary:
    "The inbox of inbound deliveries, newest first: filter by source, status and time, search the body",
  access: WEBHOOKS_READ,
  record: "webhook_inbox_delivery",
  request: { query: InboxListQuery },
  responses: { 200: json(InboxPage, "One page of deliveries") },
});

const getRoute = defineRoute({
  method: "get",
  path: "/api/v1/webhook-inbox/{id}",
  tags,
  summary: "One delivery: its headers and raw body, verification, status, error and events",
  access: WEBHOOKS_READ,
  record: "webhook_inbox_delivery",
  request: { params: IdParams },
  responses: { 200: json(InboxDetail, "The delivery") },
});

const replayRoute = defineRoute({
  method: "post",
  path: "/api/v1/webhook-inbox/{id}/replay",
  tags,
  summary: "Process a delivery again, with the source's mapping as it is now",
  description:
    "The timeline gets a new entry for events that log one; engagement keeps its event id, so scoring counts it once.",
  access: WEBHOOKS_WRITE,
  record: "webhook_inbox_delivery",
  request: { params: IdParams },
  responses: {
    202: json(ReplayResult, "Set to be processed again"),
    409: problemContent("The delivery is still waiting to be processed"),
  },
});

const replayManyRoute = defineRoute({
  method: "post",
  path: "/api/v1/webhook-inbox/replay",
  tags,
  summary: "Process many deliveries again: by id, or the oldest 100 of a source and/or status",
  access: WEBHOOKS_WRITE,
  request: body(ReplayMany),
  responses: { 202: json(ReplayResult, "Set to be processed again") },
});

type Replayed = { id: string; sourceId: string; deliveryId: string };

/** Queues the replayed deliveries (their bodies stay in the inbox); with the queue down, the sweep takes them. */
async function queueReplays(
  c: Context<AppEnv>,
  rows: Replayed[],
  now: number,
): Promise<"queued" | "pending"> {
  if (rows.length === 0) return "queued";
  const messages = rows.map((row) => {
    const data: WebhookDeliveryData = {
      v: 1,
      inboxId: row.id,
      sourceId: row.sourceId,
      deliveryId: row.deliveryId,
      receivedAt: now,
      contentType: null,
      headers: {},
      query: {},
      body: null,
      bodyEncoding: "utf8",
      verification: { kind: "replay", secret: 1, timestamp: null, verifiedAt: now },
      replay: true,
    };
    return { body: { id: `${row.id}:replay:${now}`, type: WEBHOOK_DELIVERY_TYPE, createdAt: now, data } };
  });
  try {
    await c.env.CAPTURE_QUEUE.sendBatch(messages);
    return "queued";
  } catch (error) {
    console.warn(
      JSON.stringify({
        level: "warn",
        requestId: c.get("requestId"),
        message: "replays left to the sweep: the capture queue refused them",
        error: error instanceof Error ? error.message.slice(0, 200) : String(error).slice(0, 200),
      }),
    );
    return "pending";
  }
}

export const webhookInboxRoutes = createRouter()
  .openapi(listRoute, async (c) => {
    const { limit, cursor, sourceId, status, q, from, to } = c.req.valid("query");
    const {
      results: [rows],
    } = await authorizedRead(
      c,
      () =>
        [
          listInboxQuery(c.get("db"), {
            sourceId,
            status,
            q,
            from,
            to,
            cursor: decodeTimeCursor(cursor),
            limit,
          }),
        ] as const,
    );
    const kept = rows.slice(0, limit);
    const last = kept.at(-1);
    return c.json(
      {
        items: kept.map(toInboxItem),
        nextCursor:
          rows.length > limit && last ? encodeTimeCursor({ at: last.receivedAt, id: last.id }) : null,
      },
      200,
    );
  })
  .openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const db = c.get("db");
    const {
      results: [rows, events],
    } = await authorizedRead(c, () => [inboxRowQuery(db, id), inboxEventsQuery(db, id)] as const);
    const row = rows[0];
    if (!row) throw new ApiError("not_found", "Not found");
    return c.json(toInboxDetail(row, events), 200);
  })
  .openapi(replayRoute, async (c) => {
    const { id } = c.req.valid("param");
    const db = c.get("db");
    const now = Date.now();
    const {
      results: [replayed, , rows],
    } = await authorizedWrite(
      c,
      (me) =>
        [
          replayDeliveryStatement(db, id, now),
          callerAuditStatement(
            db,
            me,
            { action: "webhook_inbox.replayed", targetType: "webhook_inbox", targetId: id },
            requestOrigin(c),
            now,
            {
              when: sql`exists (select 1 from ${webhookInbox} where id = ${id} and status = 'received' and updated_at = ${now})`,
            },
          ),
          inboxRowQuery(db, id),
        ] as const,
    );
    if (replayed.length === 0) {
      const row = rows[0];
      if (!row) throw new ApiError("not_found", "Not found");
      if (row.erasedAt !== null) {
        throw new ApiError(
          "conflict",
          "The delivery concerned someone erased on request: its payload is gone, so it cannot be replayed.",
        );
      }
      throw new ApiError("conflict", "The delivery is still waiting to be processed; it needs no replay.");
    }
    const status = await queueReplays(c, replayed, now);
    return c.json({ replayed: 1, ids: [id], status }, 202);
  })
  .openapi(replayManyRoute, async (c) => {
    const selection = c.req.valid("json");
    const db = c.get("db");
    const now = Date.now();
    const {
      results: [replayed],
    } = await authorizedWrite(
      c,
      (me) =>
        [
          replayDeliveriesStatement(db, selection, now),
          callerAuditStatement(
            db,
            me,
            {
              action: "webhook_inbox.replayed",
              targetType: "webhook_inbox",
              targetId: null,
              changes: selection,
            },
            requestOrigin(c),
            now,
            {
              when: sql`exists (select 1 from ${webhookInbox} where status = 'received' and updated_at = ${now})`,
            },
          ),
        ] as const,
    );
    const status = await queueReplays(c, replayed, now);
    return c.json({ replayed: replayed.length, ids: replayed.map((r) => r.id), status }, 202);
  });
