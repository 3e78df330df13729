// The outbox for admins: the list of messages the system would send (development and tests only), and replay
// of the messages that failed for good (every environment: a replay shows no body, recipient or subject).
import { z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { callerAuditStatement } from "../../../db/audit-queries.ts";
import {
  listOutboxQuery,
  moreFailedQuery,
  OUTBOX_CHANNELS,
  OUTBOX_STATUSES,
  outboxSummaryQuery,
  type ReplayFilter,
  replayCountSql,
  replayFailedStatement,
  replayOutboxStatement,
} from "../../../db/outbox.ts";
import { keysetPage } from "../../../db/paging.ts";
import { NOTIFICATION_KINDS } from "../../../db/schema/index.ts";
import { authorizedRead, authorizedWrite, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import { ApiError, problemContent } from "../../errors.ts";
import { body, json, pageQuery } from "../../openapi.ts";
import { requestOrigin } from "../../request-origin.ts";

// Outbox ids are UUIDs, or a notification's id with a suffix (its email or one of its webhooks).
const OutboxId = z.string().min(1).max(128);
const Status = z.enum(OUTBOX_STATUSES);
const Channel = z.enum(OUTBOX_CHANNELS);

const OutboxMessage = z
  .object({
    id: z.string(),
    channel: Channel,
    recipient: z.string(),
    subject: z.string(),
    body: z.string(),
    template: z.string(),
    status: Status,
    createdAt: z.number().int(),
    sentAt: z.number().int().nullable(),
    html: z.string().nullable(),
    kind: z.string().nullable(),
    userId: z.string().nullable(),
    contactId: z.string().nullable(),
    notificationId: z.string().nullable(),
    link: z.string().nullable(),
    attempts: z.number().int(),
    nextAttemptAt: z.number().int().nullable(),
    leaseUntil: z.number().int().nullable(),
    lastError: z.string().nullable(),
    providerMessageId: z.string().nullable(),
  })
  .openapi("OutboxMessage");

const OutboxPage = z
  .object({ items: z.array(OutboxMessage), nextCursor: z.string().nullable() })
  .openapi("OutboxPage");

const OutboxSummary = z
  .object({
    id: z.string(),
    channel: Channel,
    template: z.string(),
    kind: z.string().nullable(),
    status: Status,
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    createdAt: z.number().int(),
  })
  .openapi("OutboxMessageSummary", { description: "A message without its recipient, subject or body." });

const ReplayFilterSchema = z
  .strictObject({
    channel: Channel.optional(),
    kind: z.enum(NOTIFICATION_KINDS).optional(),
    template: z.string().min(1).max(200).optional().openapi({ example: "notification:lead_assigned" }),
    userId: z.string().min(1).max(64).optional().openapi({ description: "The user a notification was for." }),
    createdFrom: z.number().int().min(0).optional().openapi({ description: "Epoch ms, inclusive." }),
    createdTo: z.number().int().min(0).optional().openapi({ description: "Epoch ms, exclusive." }),
    limit: z
      .number()
      .int()
      .min(1)
      .max(500)
      .default(100)
      .openapi({ description: "At most this many, oldest first." }),
  })
  .refine((f) => f.createdFrom === undefined || f.createdTo === undefined || f.createdFrom < f.createdTo, {
    message: "createdFrom must be before createdTo",
    path: ["createdTo"],
  })
  .openapi("OutboxReplayFilter");

const ReplayResult = z
  .object({
    replayed: z.number().int().openapi({ description: "How many failed messages were put back in line." }),
    ids: z.array(z.string()),
    more: z.boolean().openapi({ description: "Failed messages matching the filter remain: call again." }),
  })
  .openapi("OutboxReplayResult");

const admin = { scope: "outbox:write", roles: ["admin"], write: true } as const;

const listOutboxRoute = defineRoute({
  method: "get",
  path: "/api/v1/outbox",
  tags: ["System"],
  summary: "Messages written to the outbox, newest first (development and test only)",
  access: { scope: "outbox:read", roles: ["admin"] },
  record: "outbox_message",
  request: {
    query: z.object({
      ...pageQuery({ cursor: OutboxId }),
      status: Status.optional().openapi({ description: "Only messages in this state, e.g. `failed`." }),
    }),
  },
  responses: {
    200: json(OutboxPage, "A page of messages"),
  },
});

const replayOneRoute = defineRoute({
  method: "post",
  path: "/api/v1/outbox/{id}/replay",
  tags: ["System"],
  summary: "Send a failed message again, from a fresh count of attempts, at the next outbox pass",
  access: admin,
  record: "failed_outbox_message",
  request: { params: z.object({ id: OutboxId.openapi({ param: { name: "id", in: "path" } }) }) },
  responses: {
    200: json(OutboxSummary, "Back in line (status pending, no attempts yet)"),
    409: problemContent("The message has not failed: it is pending, being sent, or sent"),
  },
});

const replayManyRoute = defineRoute({
  method: "post",
  path: "/api/v1/outbox/replay",
  tags: ["System"],
  summary: "Send again the failed messages that match a filter, the oldest first, at most `limit` per call",
  access: admin,
  request: body(ReplayFilterSchema),
  responses: { 200: json(ReplayResult, "How many were put back in line, and whether more remain") },
});

export const outboxRoutes = createRouter()
  .openapi(listOutboxRoute, async (c) => {
    // In production the outbound engine delivers these messages, and their bodies hold live secrets (password
    // reset and invitation links): reading them here would let an admin take over any account. So the route
    // does not exist there, and answers before touching the database.
    const environment = c.get("config").ENVIRONMENT;
    if (environment !== "development" && environment !== "test") {
      throw new ApiError("not_found", `No route for ${c.req.method} ${c.req.path}`);
    }
    const { limit, cursor, status } = c.req.valid("query");
    const db = c.get("db");
    const { results } = await authorizedRead(
      c,
      () => [listOutboxQuery(db, { before: cursor, limit, status })] as const,
    );
    const page = keysetPage(results[0], limit, (row) => row);
    return c.json(page, 200);
  })
  .openapi(replayManyRoute, async (c) => {
    const filter: ReplayFilter = c.req.valid("json");
    const db = c.get("db");
    const now = Date.now();
    const count = replayCountSql(filter);
    const {
      results: [, replayed, more],
    } = await authorizedWrite(
      c,
      (me) =>
        [
          // Before the replay, which it counts: one entry for the whole call, and none when nothing matched.
          callerAuditStatement(
            db,
            me,
            { action: "outbox.replayed", targetType: "outbox_message", targetId: null },
            requestOrigin(c),
            now,
            {
              when: sql`${count} > 0`,
              changes: sql`json_object('filter', json(${JSON.stringify(filter)}), 'count', ${count})`,
            },
          ),
          replayFailedStatement(db, filter),
          moreFailedQuery(db, filter),
        ] as const,
    );
    return c.json(
      { replayed: replayed.length, ids: replayed.map((row) => row.id), more: Boolean(more[0]?.more) },
      200,
    );
  })
  .openapi(replayOneRoute, async (c) => {
    const { id } = c.req.valid("param");
    const db = c.get("db");
    const now = Date.now();
    const {
      results: [, replayed, found],
    } = await authorizedWrite(
      c,
      (me) =>
        [
          callerAuditStatement(
            db,
            me,
            { action: "outbox.replayed", targetType: "outbox_message", targetId: id },
            requestOrigin(c),
            now,
            { when: sql`exists (select 1 from outbox where id = ${id} and status = 'failed')` },
          ),
          replayOutboxStatement(db, id),
          outboxSummaryQuery(db, id),
        ] as const,
    );
    const row = replayed[0];
    if (row) return c.json(row, 200);
    const current = found[0];
    if (!current) throw new ApiError("not_found", "Not found");
    throw new ApiError(
      "conflict",
      `Only failed messages can be replayed; this one is ${current.status}` +
        (current.status === "sent" ? "." : ", and the outbox will deliver it without a replay."),
    );
  });
