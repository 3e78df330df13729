// The outbox for admins in development and tests: the messages the system would send, readable without a
// mail server. Production answers 404.
import { z } from "@hono/zod-openapi";
import { listOutboxQuery } from "../../../db/outbox.ts";
import { keysetPage } from "../../../db/paging.ts";
import { authorizedRead, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import { ApiError } from "../../errors.ts";
import { json, pageQuery } from "../../openapi.ts";

const OutboxMessage = z
  .object({
    id: z.string(),
    channel: z.enum(["email", "slack", "teams"]),
    recipient: z.string(),
    subject: z.string(),
    body: z.string(),
    template: z.string(),
    status: z.enum(["pending", "sending", "sent", "failed"]),
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

const listOutboxRoute = defineRoute({
  method: "get",
  path: "/api/v1/outbox",
  tags: ["System"],
  summary: "Messages written to the outbox, newest first (development and test only)",
  access: { scope: "outbox:read", roles: ["admin"] },
  record: "outbox_message",
  request: {
    query: z.object(pageQuery()),
  },
  responses: {
    200: json(OutboxPage, "A page of messages"),
  },
});

export const outboxRoutes = createRouter().openapi(listOutboxRoute, async (c) => {
  // In production the email engine delivers these messages, and their bodies hold live secrets (password
  // reset and invitation links): reading them here would let an admin take over any account. So the route
  // does not exist there, and answers before touching the database.
  const environment = c.get("config").ENVIRONMENT;
  if (environment !== "development" && environment !== "test") {
    throw new ApiError("not_found", `No route for ${c.req.method} ${c.req.path}`);
  }
  const { limit, cursor } = c.req.valid("query");
  const db = c.get("db");
  const { results } = await authorizedRead(
    c,
    () => [listOutboxQuery(db, { before: cursor, limit })] as const,
  );
  const page = keysetPage(results[0], limit, (row) => row);
  return c.json(page, 200);
});
