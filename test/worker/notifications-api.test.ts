// The notifications API: the caller's feed with its unread count, marking read (one's own only), channel
// preferences (validated), webhooks (masked), and that notifyStatements honours the choices.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { newId } from "../../db/ids.ts";
import { notifications, notificationWebhooks, outbox } from "../../db/schema/index.ts";
import { notifyStatements } from "../../queues/outbound/notify.ts";
import { createTeam, createUser, sessionFor, type TestUser } from "./factories.ts";
import { useTestDatabase } from "./support.ts";

const t = useTestDatabase();

async function as(user: TestUser) {
  const { headers } = await sessionFor(t.db, user);
  return (path: string, method = "GET", body?: unknown) =>
    t.fetch(path, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
}

async function notify(
  user: TestUser,
  kind: "mention" | "reminder" | "digest",
  title: string,
  at = Date.now(),
) {
  const [first, ...rest] = notifyStatements(
    t.db,
    { userId: user.id, kind, title, body: "b", link: "/x" },
    at,
  );
  if (first) await t.db.batch([first, ...rest]);
}

interface Feed {
  items: { id: string; title: string; readAt: number | null }[];
  nextCursor: string | null;
  unreadCount: number;
}

describe("notifications feed", () => {
  it("lists the caller's own notifications, newest first, with the unread count", async () => {
    const me = await createUser(t.db);
    const other = await createUser(t.db);
    await notify(me, "mention", "first");
    await notify(me, "mention", "second");
    await notify(other, "mention", "not mine");
    const call = await as(me);
    const feed = (await (await call("/api/v1/notifications")).json()) as Feed;
    expect(feed.items.map((n) => n.title)).toEqual(["second", "first"]);
    expect(feed.unreadCount).toBe(2);
    const paged = (await (await call("/api/v1/notifications?limit=1")).json()) as Feed;
    expect(paged.items).toHaveLength(1);
    expect(paged.nextCursor).toBe(paged.items[0]?.id);
    expect(await (await call("/api/v1/notifications/unread-count")).json()).toEqual({ count: 2 });
  });

  it("marks one read, then all; another's notification is a 404", async () => {
    const me = await createUser(t.db);
    const other = await createUser(t.db);
    await notify(me, "mention", "a");
    await notify(me, "mention", "b");
    await notify(other, "mention", "theirs");
    const call = await as(me);
    const feed = (await (await call("/api/v1/notifications")).json()) as Feed;
    const first = feed.items[0];
    if (!first) throw new Error("empty feed");

    const read = await call(`/api/v1/notifications/${first.id}/read`, "POST");
    expect(read.status).toBe(200);
    expect(((await read.json()) as { readAt: number | null }).readAt).toEqual(expect.any(Number));
    expect(await (await call("/api/v1/notifications/unread-count")).json()).toEqual({ count: 1 });
    const unread = (await (await call("/api/v1/notifications?unread=true")).json()) as Feed;
    expect(unread.items.map((n) => n.title)).toEqual(["a"]);

    const [theirs] = await t.db.select().from(notifications).where(eq(notifications.userId, other.id));
    const refused = await call(`/api/v1/notifications/${theirs?.id}/read`, "POST");
    expect(refused.status).toBe(404);
    expect(refused.headers.get("Content-Type")).toBe("application/problem+json");
    const [still] = await t.db.select().from(notifications).where(eq(notifications.userId, other.id));
    expect(still?.readAt).toBeNull();

    expect(await (await call("/api/v1/notifications/read-all", "POST")).json()).toEqual({ updated: 1 });
    expect(await (await call("/api/v1/notifications/unread-count")).json()).toEqual({ count: 0 });
    expect(await (await (await as(other))("/api/v1/notifications/unread-count")).json()).toEqual({
      count: 1,
    });
  });
});

describe("notification preferences", () => {
  it("answers the defaults, stores choices per kind, and refuses unknown kinds and channels with 422", async () => {
    const me = await createUser(t.db);
    const call = await as(me);
    const defaults = (await (await call("/api/v1/notifications/preferences")).json()) as Record<
      string,
      string[]
    >;
    expect(defaults.reminder).toEqual(["in_app", "email", "slack", "teams"]);
    expect(defaults.digest).toEqual(["email"]);

    const set = await call("/api/v1/notifications/preferences", "PUT", { reminder: ["slack"], mention: [] });
    expect(set.status).toBe(200);
    const after = (await set.json()) as Record<string, string[]>;
    expect(after.reminder).toEqual(["slack"]);
    expect(after.mention).toEqual([]);
    expect(after.digest).toEqual(["email"]);

    for (const bad of [{ reminder: ["pigeon"] }, { birthday: ["email"] }, {}, { reminder: "email" }]) {
      const refused = await call("/api/v1/notifications/preferences", "PUT", bad);
      expect(refused.status, JSON.stringify(bad)).toBe(422);
      expect(refused.headers.get("Content-Type")).toBe("application/problem+json");
    }
  });

  it("routes a notification to the chosen channels only, the user's and their team's webhooks", async () => {
    const me = await createUser(t.db);
    const teammate = await createUser(t.db);
    const team = await createTeam(t.db, "Notify team", [{ user: me }, { user: teammate }]);
    const teamHook = { id: newId(), teamId: team, channel: "slack" as const, createdAt: Date.now() };
    await t.db
      .insert(notificationWebhooks)
      .values({ ...teamHook, url: "https://hooks.slack.com/services/TEAM" });
    const call = await as(me);
    const webhooks = await call("/api/v1/notifications/webhooks", "PUT", {
      slack: "https://hooks.slack.com/services/T000/B000/XXXXSECRET",
      teams: "https://contoso.webhook.office.com/webhookb2/abc/IncomingWebhook/def/SECRETXYZ",
    });
    expect(webhooks.status).toBe(200);
    const masked = (await webhooks.json()) as { slack: string; teams: string };
    expect(masked.slack).not.toContain("SECRET");
    expect(masked.teams).not.toContain("SECRET");
    const badUrl = await call("/api/v1/notifications/webhooks", "PUT", { slack: "http://example.com/x" });
    expect(badUrl.status).toBe(422);
    const notUrl = await call("/api/v1/notifications/webhooks", "PUT", { teams: "not a url" });
    expect(notUrl.status).toBe(422);
    expect(notUrl.headers.get("Content-Type")).toBe("application/problem+json");
    // Read back, masked as the PUT answered.
    const read = await call("/api/v1/notifications/webhooks");
    expect(read.status).toBe(200);
    expect(await read.json()).toEqual(masked);

    // Mentions: the feed and Slack only; nothing by email or Teams.
    await call("/api/v1/notifications/preferences", "PUT", { mention: ["in_app", "slack"], digest: [] });
    await notify(me, "mention", "ping");
    await notify(me, "digest", "muted");
    const rows = await t.db.select().from(outbox).where(eq(outbox.userId, me.id));
    // One to the user's own Slack webhook, one to the team's.
    expect(rows.map((r) => [r.channel, r.kind])).toEqual([
      ["slack", "mention"],
      ["slack", "mention"],
    ]);
    expect(rows.map((r) => r.recipient)).toContain(teamHook.id);
    const feed = await t.db
      .select()
      .from(notifications)
      .where(eq(notifications.userId, me.id))
      .orderBy(notifications.id);
    expect(feed.map((n) => [n.title, n.inApp])).toEqual([
      ["ping", true],
      ["muted", false],
    ]);
  });
});
