// The caller's notifications: the in-app feed with its unread count, marking read, which channels carry each
// kind of notification, and the caller's Slack / Teams incoming webhooks. Each answer is the caller's own.
import { z } from "@hono/zod-openapi";
import {
  effectivePreferences,
  feedQuery,
  markAllReadStatement,
  markReadStatement,
  ownNotificationGuard,
  preferencesQuery,
  setPreferencesStatements,
  setWebhooksStatements,
  unreadCountQuery,
  webhooksQuery,
} from "../../../db/notifications/index.ts";
import { keysetPage } from "../../../db/paging.ts";
import { NOTIFICATION_CHANNELS, NOTIFICATION_KINDS } from "../../../db/schema/index.ts";
import { DEFAULT_CHANNELS } from "../../../queues/outbound/notify.ts";
import { authorizedRead, authorizedWrite, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import { body, json, pageQuery } from "../../openapi.ts";
import { WebhooksPatch, WebhooksView, webhooksView } from "./webhook-schemas.ts";

const Kind = z.enum(NOTIFICATION_KINDS);
const Channel = z.enum(NOTIFICATION_CHANNELS);

const NotificationItem = z
  .object({
    id: z.string(),
    kind: Kind,
    title: z.string(),
    body: z.string(),
    link: z.string().nullable(),
    contactId: z.string().nullable(),
    createdAt: z.number().int(),
    readAt: z.number().int().nullable(),
  })
  .openapi("Notification");

const Feed = z
  .object({
    items: z.array(NotificationItem),
    nextCursor: z.string().nullable(),
    unreadCount: z.number().int(),
  })
  .openapi("NotificationFeed");

const Preferences = z.object(
  Object.fromEntries(NOTIFICATION_KINDS.map((kind) => [kind, z.array(Channel)])) as Record<
    (typeof NOTIFICATION_KINDS)[number],
    z.ZodArray<typeof Channel>
  >,
);
const PreferencesView = Preferences.openapi("NotificationPreferences");
const PreferencesPatch = Preferences.partial()
  .strict()
  .refine((value) => Object.keys(value).length > 0, "Give at least one kind")
  .openapi("NotificationPreferencesPatch");

const WebhooksPatchSchema = WebhooksPatch.openapi("NotificationWebhooksPatch");

const READ = { scope: "profile:read" } as const;
const WRITE = { scope: "profile:write", write: true } as const;

const feedRoute = defineRoute({
  method: "get",
  path: "/api/v1/notifications",
  tags: ["Notifications"],
  summary: "The caller's notifications, newest first, with the unread count",
  access: READ,
  record: "notification",
  request: { query: z.object({ ...pageQuery(), unread: z.enum(["true", "false"]).optional() }) },
  responses: { 200: json(Feed, "A page of the feed") },
});

const unreadRoute = defineRoute({
  method: "get",
  path: "/api/v1/notifications/unread-count",
  tags: ["Notifications"],
  summary: "How many of the caller's notifications are unread",
  access: READ,
  responses: { 200: json(z.object({ count: z.number().int() }), "The unread count") },
});

const readRoute = defineRoute({
  method: "post",
  path: "/api/v1/notifications/{id}/read",
  tags: ["Notifications"],
  summary: "Mark one of the caller's notifications read",
  access: WRITE,
  record: "notification",
  request: { params: z.object({ id: z.string().max(128) }) },
  responses: { 200: json(NotificationItem, "The notification, read") },
});

const readAllRoute = defineRoute({
  method: "post",
  path: "/api/v1/notifications/read-all",
  tags: ["Notifications"],
  summary: "Mark all the caller's notifications read",
  access: WRITE,
  responses: { 200: json(z.object({ updated: z.number().int() }), "How many were unread") },
});

const getPreferencesRoute = defineRoute({
  method: "get",
  path: "/api/v1/notifications/preferences",
  tags: ["Notifications"],
  summary: "The channels of each kind of notification (the caller's choices over the defaults)",
  access: READ,
  responses: { 200: json(PreferencesView, "Channels per kind") },
});

const setPreferencesRoute = defineRoute({
  method: "put",
  path: "/api/v1/notifications/preferences",
  tags: ["Notifications"],
  summary: "Choose the channels of some kinds of notification; the others keep theirs",
  access: WRITE,
  request: body(PreferencesPatch),
  responses: { 200: json(PreferencesView, "Channels per kind, after the change") },
});

const setWebhooksRoute = defineRoute({
  method: "put",
  path: "/api/v1/notifications/webhooks",
  tags: ["Notifications"],
  summary: "Set (a URL) or remove (null) the caller's Slack and Teams incoming webhooks",
  access: WRITE,
  request: body(WebhooksPatchSchema),
  responses: { 200: json(WebhooksView, "The caller's webhooks, masked") },
});

const getWebhooksRoute = defineRoute({
  method: "get",
  path: "/api/v1/notifications/webhooks",
  tags: ["Notifications"],
  summary: "The caller's Slack and Teams incoming webhooks, masked",
  access: READ,
  responses: { 200: json(WebhooksView, "The caller's webhooks, masked") },
});

export const notificationRoutes = createRouter()
  .openapi(feedRoute, async (c) => {
    const { limit, cursor, unread } = c.req.valid("query");
    const db = c.get("db");
    const { results } = await authorizedRead(
      c,
      (me) =>
        [
          feedQuery(db, me, { before: cursor, limit, unread: unread === "true" }),
          unreadCountQuery(db, me),
        ] as const,
    );
    const page = keysetPage(results[0], limit, (row) => row);
    return c.json({ ...page, unreadCount: results[1][0]?.count ?? 0 }, 200);
  })
  .openapi(unreadRoute, async (c) => {
    const db = c.get("db");
    const { results } = await authorizedRead(c, (me) => [unreadCountQuery(db, me)] as const);
    return c.json({ count: results[0][0]?.count ?? 0 }, 200);
  })
  .openapi(readAllRoute, async (c) => {
    const db = c.get("db");
    const { results } = await authorizedWrite(c, (me) => [markAllReadStatement(db, me, Date.now())] as const);
    return c.json({ updated: results[0].length }, 200);
  })
  .openapi(readRoute, async (c) => {
    const { id } = c.req.valid("param");
    const db = c.get("db");
    const { results } = await authorizedWrite(
      c,
      (me) => [ownNotificationGuard(db, me, id), markReadStatement(db, me, id, Date.now())] as const,
    );
    const [row] = results[1];
    // The guard answered 404 already for a notification that is not the caller's; this is belt and braces.
    if (!row) throw new Error("mark read returned no row after its guard passed");
    return c.json(row, 200);
  })
  .openapi(getPreferencesRoute, async (c) => {
    const db = c.get("db");
    const { results } = await authorizedRead(c, (me) => [preferencesQuery(db, me)] as const);
    return c.json(effectivePreferences(results[0], DEFAULT_CHANNELS), 200);
  })
  .openapi(setPreferencesRoute, async (c) => {
    const changes = c.req.valid("json");
    const db = c.get("db");
    const { results } = await authorizedWrite(
      c,
      (me) => [...setPreferencesStatements(db, me, changes, Date.now()), preferencesQuery(db, me)] as const,
    );
    const rows = results.at(-1) as Awaited<ReturnType<typeof preferencesQuery>>;
    return c.json(effectivePreferences(rows, DEFAULT_CHANNELS), 200);
  })
  .openapi(setWebhooksRoute, async (c) => {
    const changes = c.req.valid("json");
    const db = c.get("db");
    const { results } = await authorizedWrite(
      c,
      (me) => [...setWebhooksStatements(db, me, changes, Date.now()), webhooksQuery(db, me)] as const,
    );
    return c.json(webhooksView(results.at(-1) as Awaited<ReturnType<typeof webhooksQuery>>), 200);
  })
  .openapi(getWebhooksRoute, async (c) => {
    const db = c.get("db");
    const { results } = await authorizedRead(c, (me) => [webhooksQuery(db, me)] as const);
    return c.json(webhooksView(results[0]), 200);
  });
