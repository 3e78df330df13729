// The caller's calendar feed: whether one exists, create or regenerate its secret URL (shown once: only its hash
// is kept, so a lost URL is replaced, not looked up), and turn it off.
import { z } from "@hono/zod-openapi";
import { deleteFeedStatement, readFeedQuery, upsertFeedStatement } from "../../../db/calendar/feed.ts";
import { authorizedRead, authorizedWrite, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import { randomToken, sha256Hex } from "../../auth/secrets.ts";
import { json } from "../../openapi.ts";

const FeedStatus = z
  .object({ active: z.boolean(), createdAt: z.number().int().nullable() })
  .openapi("CalendarFeedStatus");

const FeedUrl = z
  .object({
    url: z.string().openapi({ description: "Subscribe to this URL in Google, Apple or Outlook calendar." }),
    createdAt: z.number().int(),
  })
  .openapi("CalendarFeedUrl");

// Every user, read-only ones included, may subscribe to their own tasks and meetings.
const own = { scope: "profile:write", write: false } as const;

const readFeedRoute = defineRoute({
  method: "get",
  path: "/api/v1/calendar/feed",
  tags: ["Calendar"],
  summary: "Whether the caller has a calendar feed URL",
  access: { scope: "profile:read" },
  responses: { 200: json(FeedStatus, "The feed's state") },
});

const regenerateFeedRoute = defineRoute({
  method: "post",
  path: "/api/v1/calendar/feed",
  tags: ["Calendar"],
  summary: "Create or regenerate the caller's secret calendar feed URL (the previous URL stops working)",
  access: own,
  responses: { 201: json(FeedUrl, "The new URL, shown this once") },
});

const deleteFeedRoute = defineRoute({
  method: "delete",
  path: "/api/v1/calendar/feed",
  tags: ["Calendar"],
  summary: "Turn the caller's calendar feed off",
  access: own,
  responses: { 204: { description: "No feed any more" } },
});

export const calendarRoutes = createRouter()
  .openapi(readFeedRoute, async (c) => {
    const db = c.get("db");
    const { results } = await authorizedRead(c, (me) => [readFeedQuery(db, me)] as const);
    const row = results[0][0];
    return c.json({ active: row !== undefined, createdAt: row?.createdAt ?? null }, 200);
  })
  .openapi(regenerateFeedRoute, async (c) => {
    const db = c.get("db");
    const secret = randomToken(32);
    const now = Date.now();
    const hash = await sha256Hex(secret);
    await authorizedWrite(c, (me) => [upsertFeedStatement(db, me, hash, now)] as const);
    const url = new URL(`/cal/${secret}.ics`, c.req.url).toString();
    return c.json({ url, createdAt: now }, 201);
  })
  .openapi(deleteFeedRoute, async (c) => {
    const db = c.get("db");
    await authorizedWrite(c, (me) => [deleteFeedStatement(db, me)] as const);
    return c.body(null, 204);
  });
