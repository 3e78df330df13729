// The public calendar feed, GET /cal/{secret}.ics: the secret is the credential, so the route needs no login and
// reads everything it shows in one round trip keyed by the secret's hash.
import { feedEvents, feedQueries } from "../../db/calendar/feed.ts";
import { renderCalendar } from "../../db/calendar/ics.ts";
import { createRouter } from "../app.ts";
import { sha256Hex } from "../auth/secrets.ts";
import { ApiError } from "../errors.ts";

/** What randomToken(32) makes: 43 base64url characters. Anything else is no feed, answered without a lookup. */
const SECRET = /^([A-Za-z0-9_-]{43})\.ics$/;

function notFound(): ApiError {
  return new ApiError("not_found", "No such calendar feed: the URL may have been regenerated.");
}

export const publicCalendarRoutes = createRouter().get("/cal/:file", async (c) => {
  const secret = SECRET.exec(c.req.param("file"))?.[1];
  if (!secret) throw notFound();
  const db = c.get("db");
  const now = Date.now();
  const [first, ...rest] = feedQueries(db, await sha256Hex(secret), now);
  const rows = await db.batch([first, ...rest]);
  const feed = feedEvents(rows, new URL(c.req.url).hostname);
  if (!feed) throw notFound();
  return c.body(renderCalendar(feed.name, feed.events, now), 200, {
    "Content-Type": "text/calendar; charset=utf-8",
    "Content-Disposition": 'inline; filename="crm.ics"',
    // The URL is a credential: no shared cache may keep a copy.
    "Cache-Control": "private, max-age=300",
    "Referrer-Policy": "no-referrer",
  });
});
