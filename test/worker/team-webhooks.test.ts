// A team's Slack and Teams webhooks through the API: admins and the team's own managers (leads or not) read,
// set and remove them; a manager of another team gets 404 and a rep or read-only user 403, with nothing
// written. URLs are https on the services' hosts (real Teams Workflows URLs included), answered masked, and
// a member's notification then reaches the team's channel. Every request is one round trip.
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { auditLog, notificationWebhooks, outbox } from "../../db/schema/index.ts";
import { notifyStatements } from "../../queues/outbound/notify.ts";
import { createTeam, createUser, sessionFor, type TestUser } from "./factories.ts";
import { useTestDatabase } from "./support.ts";

const t = useTestDatabase();

const SLACK = "https://hooks.slack.com/services/T0AAA/B0BBB/SLACKSECRETPATH";
// The shapes Teams gives out: a Workflows (Power Automate) trigger, old and new hosts, and a legacy connector.
const TEAMS_WORKFLOW =
  "https://prod-27.southeastasia.logic.azure.com:443/workflows/0a1b2c/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=TEAMSSECRETSIG";
const TEAMS_POWER_PLATFORM =
  "https://default0a1b2c.3d.environment.api.powerplatform.com:443/powerautomate/automations/direct/workflows/0a1b/triggers/manual/paths/invoke?api-version=1&sig=TEAMSSECRETSIG";
const TEAMS_LEGACY =
  "https://contoso.webhook.office.com/webhookb2/0a1b@0c2d/IncomingWebhook/TEAMSSECRETPATH/0e3f";

let lead: TestUser;
let member: TestUser;
let outsider: TestUser;
let rep: TestUser;
let readOnly: TestUser;
let admin: TestUser;
let teamId: string;

beforeAll(async () => {
  lead = await createUser(t.db, { role: "manager", name: "Lead" });
  member = await createUser(t.db, { role: "manager", name: "Manager, not lead" });
  outsider = await createUser(t.db, { role: "manager", name: "Other team's manager" });
  rep = await createUser(t.db, { name: "Rep" });
  readOnly = await createUser(t.db, { role: "read_only", name: "Viewer" });
  admin = await createUser(t.db, { role: "admin" });
  teamId = await createTeam(t.db, "Webhook team", [
    { user: lead, lead: true },
    { user: member },
    { user: rep },
    { user: readOnly },
  ]);
  await createTeam(t.db, "Outsider's team", [{ user: outsider, lead: true }]);
});

async function call(user: TestUser, method: string, path: string, body?: unknown) {
  const { headers } = await sessionFor(t.db, user);
  let response: Response | undefined;
  const trips = await t.roundTrips(async () => {
    response = await t.fetch(path, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  });
  if (!response) throw new Error("no response");
  const text = await response.text();
  return { status: response.status, type: response.headers.get("Content-Type"), text, trips };
}

const path = (id = teamId) => `/api/v1/teams/${id}/webhooks`;

async function stored(id = teamId) {
  return (await t.db.select().from(notificationWebhooks).where(eq(notificationWebhooks.teamId, id)))
    .map((row) => [row.channel, row.url, row.userId])
    .sort();
}

describe("team webhooks", () => {
  it("lets the team's lead set both, answers them masked, and lists them masked", async () => {
    const set = await call(lead, "PUT", path(), { slack: SLACK, teams: TEAMS_WORKFLOW });
    expect(set.status).toBe(200);
    expect(set.trips).toBe(1);
    const view = JSON.parse(set.text) as { slack: string; teams: string };
    expect(view.slack).toMatch(/^https:\/\/hooks\.slack\.com\/…/);
    expect(view.teams).toMatch(/^https:\/\/prod-27\.southeastasia\.logic\.azure\.com\/…/);
    expect(set.text).not.toContain("SECRET");
    expect(await stored()).toEqual([
      ["slack", SLACK, null],
      ["teams", TEAMS_WORKFLOW, null],
    ]);

    const listed = await call(lead, "GET", path());
    expect(listed.status).toBe(200);
    expect(listed.trips).toBe(1);
    expect(JSON.parse(listed.text)).toEqual(view);
    expect(listed.text).not.toContain("SECRET");

    // The audit entry names the channels that changed, never a URL.
    const entries = await t.db.select().from(auditLog).where(eq(auditLog.targetId, teamId));
    expect(entries.map((e) => [e.action, e.actorUserId, JSON.parse(e.changes ?? "{}")])).toContainEqual([
      "team.updated",
      lead.id,
      { webhooks: { slack: "set", teams: "set" } },
    ]);
    expect(JSON.stringify(entries)).not.toContain("SECRET");
  });

  it("accepts every shape of Teams URL, and lets another manager of the team and an admin change them", async () => {
    for (const [user, url] of [
      [member, TEAMS_POWER_PLATFORM],
      [admin, TEAMS_LEGACY],
    ] as const) {
      const response = await call(user, "PUT", path(), { teams: url });
      expect(response.status, user.name).toBe(200);
      expect((await stored()).find(([channel]) => channel === "teams")?.[1]).toBe(url);
    }
  });

  it("carries a member's notification to the team's channel", async () => {
    const [first, ...rest] = notifyStatements(t.db, {
      userId: rep.id,
      kind: "mention",
      title: "Mentioned",
      body: "b",
    });
    if (first) await t.db.batch([first, ...rest]);
    const [slackHook] = await t.db
      .select()
      .from(notificationWebhooks)
      .where(eq(notificationWebhooks.url, SLACK));
    const rows = await t.db.select().from(outbox).where(eq(outbox.userId, rep.id));
    expect(rows.map((r) => [r.channel, r.recipient]).sort()).toContainEqual(["slack", slackHook?.id]);
  });

  it("removes one channel, then both, with DELETE", async () => {
    await call(lead, "PUT", path(), { slack: SLACK, teams: TEAMS_LEGACY });
    const one = await call(lead, "DELETE", `${path()}?channel=slack`);
    expect(one.status).toBe(204);
    expect(one.trips).toBe(1);
    expect(await stored()).toEqual([["teams", TEAMS_LEGACY, null]]);
    const both = await call(member, "DELETE", path());
    expect(both.status).toBe(204);
    expect(await stored()).toEqual([]);
    expect(JSON.parse((await call(lead, "GET", path())).text)).toEqual({ slack: null, teams: null });
    // Removing with null through PUT does the same.
    await call(lead, "PUT", path(), { slack: SLACK });
    expect((await call(lead, "PUT", path(), { slack: null })).status).toBe(200);
    expect(await stored()).toEqual([]);
  });
});

describe("who may not", () => {
  it("answers 404 to a manager of another team and for an unknown team, 403 to a rep or viewer, writing nothing", async () => {
    await call(lead, "PUT", path(), { slack: SLACK });
    const before = await stored();
    for (const [method, body] of [
      ["GET", undefined],
      ["PUT", { slack: `${SLACK}X` }],
      ["DELETE", undefined],
    ] as const) {
      const hidden = await call(outsider, method, path(), body);
      expect(hidden.status, `${method} by another manager`).toBe(404);
      expect(hidden.type).toBe("application/problem+json");
      expect(hidden.trips).toBe(1);
      const unknown = await call(admin, method, path("0190aaaa-0000-7000-8000-000000000000"), body);
      expect(unknown.status, `${method} on an unknown team`).toBe(404);
      for (const user of [rep, readOnly]) {
        const refused = await call(user, method, path(), body);
        expect(refused.status, `${method} by ${user.name}`).toBe(403);
        expect(refused.type).toBe("application/problem+json");
      }
    }
    expect(await stored()).toEqual(before);
  });

  it("refuses URLs that are not https incoming webhooks of the service, and empty or unknown changes, with 422", async () => {
    const before = await stored();
    for (const body of [
      { slack: "http://hooks.slack.com/services/T/B/X" },
      { slack: "https://hooks.slack.com.evil.example/services/T/B/X" },
      { slack: TEAMS_LEGACY },
      { teams: "https://example.com/webhookb2/x" },
      { teams: "not a url" },
      {},
      { discord: "https://discord.com/api/webhooks/1/x" },
    ]) {
      const response = await call(lead, "PUT", path(), body);
      expect(response.status, JSON.stringify(body)).toBe(422);
      expect(response.type).toBe("application/problem+json");
    }
    expect((await call(lead, "DELETE", `${path()}?channel=email`)).status).toBe(422);
    expect(await stored()).toEqual(before);
  });
});
