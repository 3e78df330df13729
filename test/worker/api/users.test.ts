import { and, eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import {
  apiKeys,
  auditLog,
  oneTimeTokens,
  outbox,
  sessions,
  teamMembers,
  users,
} from "../../../db/schema/index.ts";
import { userRoutes } from "../../../functions/api/users/routes.ts";
import { createApp } from "../../../functions/app.ts";
import { sha256Hex } from "../../../functions/auth/secrets.ts";
import { apiKeyFor, createTeam, createUser, sessionFor, type TestUser } from "../factories.ts";
import { useTestDatabase } from "../support.ts";

const t = useTestDatabase();
const app = createApp().route("/", userRoutes);

type Headers = Record<string, string>;
type Json = Record<string, unknown>;

function call(method: string, path: string, headers: Headers = {}, body?: unknown) {
  return app.request(
    path,
    {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    },
    t.env,
  );
}

/** Calls once, asserting the request made exactly one database round trip. */
async function once(method: string, path: string, headers: Headers = {}, body?: unknown) {
  let response: Response | undefined;
  const trips = await t.roundTrips(async () => {
    response = await call(method, path, headers, body);
  });
  expect(trips, `${method} ${path} made ${trips} round trips`).toBe(1);
  if (!response) throw new Error("no response");
  return { status: response.status, body: (await response.json()) as Json };
}

async function userRow(id: string) {
  const [row] = await t.db.select().from(users).where(eq(users.id, id));
  if (!row) throw new Error(`no user ${id}`);
  return row;
}

async function auditFor(targetId: string) {
  return t.db.select().from(auditLog).where(eq(auditLog.targetId, targetId)).orderBy(auditLog.id);
}

let admin: TestUser;
let rep: TestUser;
let manager: TestUser;
let asAdmin: Headers;
let asRep: Headers;
let teamA: string;
let teamB: string;

beforeAll(async () => {
  admin = await createUser(t.db, { role: "admin", name: "Alice Admin" });
  rep = await createUser(t.db, { role: "rep", name: "Rita Rep" });
  manager = await createUser(t.db, { role: "manager", name: "Max Manager" });
  teamA = await createTeam(t.db, "Team A", [{ user: rep }, { user: manager, lead: true }]);
  teamB = await createTeam(t.db, "Team B");
  asAdmin = (await sessionFor(t.db, admin)).headers;
  asRep = (await sessionFor(t.db, rep)).headers;
});

describe("reading users", () => {
  it("lists active and inactive users with their teams to any role, never a password or TOTP field", async () => {
    const inactive = await createUser(t.db, { active: false });
    const { status, body } = await once("GET", "/api/v1/users?limit=200", asRep);
    expect(status).toBe(200);
    const items = body.items as Json[];
    expect(items.map((u) => u.id)).toEqual(expect.arrayContaining([admin.id, rep.id, inactive.id]));
    expect(items.find((u) => u.id === inactive.id)?.active).toBe(false);
    expect(items.find((u) => u.id === manager.id)?.teams).toEqual([
      { id: teamA, name: "Team A", lead: true },
    ]);
    for (const item of items) {
      expect(Object.keys(item).sort()).toEqual(
        [
          "active",
          "createdAt",
          "email",
          "id",
          "invitationPending",
          "locale",
          "name",
          "role",
          "teams",
          "timeZone",
          "updatedAt",
        ].sort(),
      );
    }
    expect(JSON.stringify(body)).not.toMatch(/pbkdf2|passwordHash|totp/i);
  });

  it("filters by role, active, team and a part of the name or email", async () => {
    const ids = async (query: string) =>
      ((await once("GET", `/api/v1/users?${query}`, asRep)).body.items as Json[]).map((u) => u.id);
    expect(await ids("role=manager")).toEqual([manager.id]);
    expect(await ids(`teamId=${teamA}`)).toEqual([rep.id, manager.id]);
    expect(await ids("active=false")).not.toContain(rep.id);
    expect(await ids("active=true")).toContain(rep.id);
    expect(await ids("q=rITA")).toEqual([rep.id]);
    expect(await ids(`q=${encodeURIComponent(rep.email.slice(0, 8))}`)).toContain(rep.id);
    // LIKE wildcards in q are matched literally.
    expect(await ids("q=%25")).toEqual([]);
  });

  it("pages with a cursor until nextCursor is null, each user once", async () => {
    const seen: unknown[] = [];
    let cursor: unknown = null;
    let pages = 0;
    do {
      const query: string = cursor ? `limit=2&cursor=${cursor}` : "limit=2";
      const { body } = await once("GET", `/api/v1/users?${query}`, asRep);
      seen.push(...(body.items as Json[]).map((u) => u.id));
      cursor = body.nextCursor;
      pages += 1;
    } while (cursor && pages < 50);
    const all = (await once("GET", "/api/v1/users?limit=200", asRep)).body.items as Json[];
    expect(seen).toEqual(all.map((u) => u.id));
    expect(pages).toBeGreaterThan(1);
  });

  it("refuses a limit outside 1–200 with 422", async () => {
    expect((await call("GET", "/api/v1/users?limit=0", asRep)).status).toBe(422);
    expect((await call("GET", "/api/v1/users?limit=201", asRep)).status).toBe(422);
  });

  it("reads one user, and answers 404 for an unknown id", async () => {
    const { status, body } = await once("GET", `/api/v1/users/${manager.id}`, asRep);
    expect(status).toBe(200);
    expect(body).toMatchObject({ id: manager.id, role: "manager", active: true, invitationPending: false });
    expect((await once("GET", "/api/v1/users/0190c3c0-0000-7000-8000-000000000000", asRep)).status).toBe(404);
  });

  it("answers 401 without credentials", async () => {
    expect((await call("GET", "/api/v1/users")).status).toBe(401);
  });
});

describe("inviting", () => {
  it("creates the user without a password, their teams, a hashed single-use token, the email and the audit entry", async () => {
    const before = Date.now();
    const { status, body } = await once("POST", "/api/v1/users", asAdmin, {
      email: "  Ada.Lovelace@Example.COM ",
      name: "Ada Lovelace",
      role: "manager",
      teamIds: [teamA, teamB],
      leadTeamIds: [teamB],
      locale: "en-GB",
      timeZone: "Europe/London",
    });
    expect(status).toBe(201);
    expect(body).toMatchObject({
      email: "ada.lovelace@example.com",
      name: "Ada Lovelace",
      role: "manager",
      active: true,
      invitationPending: true,
      locale: "en-GB",
      timeZone: "Europe/London",
      teams: [
        { id: teamA, name: "Team A", lead: false },
        { id: teamB, name: "Team B", lead: true },
      ],
    });
    const id = String(body.id);
    expect((await userRow(id)).passwordHash).toBeNull();

    const [message] = await t.db
      .select()
      .from(outbox)
      .where(eq(outbox.recipient, "ada.lovelace@example.com"));
    expect(message).toMatchObject({ template: "invite", status: "pending", channel: "email" });
    expect(message?.body).toContain("Hello Ada Lovelace,");
    const token = /http:\/\/localhost\/invite\?token=([\w-]+)/.exec(message?.body ?? "")?.[1];
    expect(token).toBeDefined();

    const tokens = await t.db.select().from(oneTimeTokens).where(eq(oneTimeTokens.userId, id));
    expect(tokens).toHaveLength(1);
    expect(tokens[0]).toMatchObject({
      kind: "invite",
      usedAt: null,
      tokenHash: await sha256Hex(token ?? ""),
    });
    expect(tokens[0]?.expiresAt).toBeGreaterThanOrEqual(before + 7 * 24 * 60 * 60_000);
    // The raw token lives only in the email; the database keeps its hash.
    const stored = JSON.stringify([tokens, await userRow(id), await auditFor(id)]);
    expect(stored).not.toContain(token);

    const [entry] = await auditFor(id);
    expect(entry).toMatchObject({ action: "user.invited", actorUserId: admin.id, targetType: "user" });
    expect(JSON.parse(entry?.changes ?? "{}")).toMatchObject({
      email: "ada.lovelace@example.com",
      role: "manager",
    });
  });

  it("records an API key as the actor when a key invites", async () => {
    const key = await apiKeyFor(t.db, admin, ["users:write"]);
    const { status, body } = await once("POST", "/api/v1/users", key.headers, {
      email: "by-key@example.com",
      name: "By Key",
      role: "rep",
    });
    expect(status).toBe(201);
    const [entry] = await auditFor(String(body.id));
    expect(entry).toMatchObject({ action: "user.invited", actorUserId: admin.id, actorApiKeyId: key.id });
  });

  it("answers 409 for an email that exists, whatever its case, and writes nothing", async () => {
    const outboxBefore = (await t.db.select().from(outbox)).length;
    const { status, body } = await once("POST", "/api/v1/users", asAdmin, {
      email: rep.email.toUpperCase(),
      name: "Again",
      role: "rep",
    });
    expect(status).toBe(409);
    expect(body.detail).toContain("already exists");
    expect(await t.db.select().from(outbox)).toHaveLength(outboxBefore);
  });

  it("answers 404 for an unknown team and writes nothing", async () => {
    const { status, body } = await once("POST", "/api/v1/users", asAdmin, {
      email: "no-team@example.com",
      name: "No Team",
      role: "rep",
      teamIds: ["0190c3c0-0000-7000-8000-00000000dead"],
    });
    expect(status).toBe(404);
    expect(body.detail).toContain("0190c3c0-0000-7000-8000-00000000dead");
    expect(await t.db.select().from(users).where(eq(users.email, "no-team@example.com"))).toEqual([]);
    expect(await t.db.select().from(outbox).where(eq(outbox.recipient, "no-team@example.com"))).toEqual([]);
  });

  it("refuses invalid input with 422", async () => {
    const invalid = [
      { email: "not-an-email", name: "X", role: "rep" },
      { email: "x@example.com", name: "X", role: "owner" },
      { email: "x@example.com", name: "X", role: "rep", timeZone: "Mars/Olympus" },
      { email: "x@example.com", name: "X", role: "rep", teamIds: [teamA], leadTeamIds: [teamA] },
      { email: "x@example.com", name: "X", role: "manager", teamIds: [teamA], leadTeamIds: [teamB] },
      { email: "x@example.com", name: "X", role: "rep", password: "sneaky" },
    ];
    for (const body of invalid) expect((await call("POST", "/api/v1/users", asAdmin, body)).status).toBe(422);
  });

  it("lets only admins invite", async () => {
    const body = { email: "rep-invites@example.com", name: "X", role: "rep" };
    expect((await once("POST", "/api/v1/users", asRep, body)).status).toBe(403);
    expect((await once("POST", "/api/v1/users", asRep, {})).status).toBe(403);
  });
});

describe("changing a user", () => {
  it("changes profile and role, auditing old and new values", async () => {
    const user = await createUser(t.db, { role: "rep", name: "Before" });
    const { status, body } = await once("PATCH", `/api/v1/users/${user.id}`, asAdmin, {
      name: "After",
      timeZone: "Asia/Tokyo",
      role: "read_only",
    });
    expect(status).toBe(200);
    expect(body).toMatchObject({ name: "After", timeZone: "Asia/Tokyo", role: "read_only" });
    const entries = await auditFor(user.id);
    const role = entries.find((e) => e.action === "user.role.changed");
    expect(JSON.parse(role?.changes ?? "{}")).toEqual({ role: { from: "rep", to: "read_only" } });
    const updated = entries.find((e) => e.action === "user.updated");
    expect(JSON.parse(updated?.changes ?? "{}")).toEqual({
      name: { from: "Before", to: "After" },
      timeZone: { from: "UTC", to: "Asia/Tokyo" },
    });
    expect(role?.actorUserId).toBe(admin.id);
  });

  it("replaces memberships, with leads for a manager, and a demoted manager stops leading", async () => {
    const user = await createUser(t.db, { role: "manager" });
    const first = await once("PATCH", `/api/v1/users/${user.id}`, asAdmin, {
      teamIds: [teamA, teamB],
      leadTeamIds: [teamA],
    });
    expect(first.body.teams).toEqual([
      { id: teamA, name: "Team A", lead: true },
      { id: teamB, name: "Team B", lead: false },
    ]);
    const second = await once("PATCH", `/api/v1/users/${user.id}`, asAdmin, { teamIds: [teamB] });
    expect(second.body.teams).toEqual([{ id: teamB, name: "Team B", lead: false }]);
    await once("PATCH", `/api/v1/users/${user.id}`, asAdmin, { teamIds: [teamA], leadTeamIds: [teamA] });
    const demoted = await once("PATCH", `/api/v1/users/${user.id}`, asAdmin, { role: "rep" });
    expect(demoted.body.teams).toEqual([{ id: teamA, name: "Team A", lead: false }]);
  });

  it("refuses leads for a user who is not a manager (409), and unknown teams (404), changing nothing", async () => {
    const user = await createUser(t.db, { role: "rep", name: "Unchanged" });
    const leads = await once("PATCH", `/api/v1/users/${user.id}`, asAdmin, {
      name: "Changed",
      teamIds: [teamA],
      leadTeamIds: [teamA],
    });
    expect(leads.status).toBe(409);
    const unknown = await once("PATCH", `/api/v1/users/${user.id}`, asAdmin, {
      name: "Changed",
      teamIds: [teamA, "0190c3c0-0000-7000-8000-00000000beef"],
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.detail).toContain("0190c3c0-0000-7000-8000-00000000beef");
    expect((await userRow(user.id)).name).toBe("Unchanged");
    expect(await t.db.select().from(teamMembers).where(eq(teamMembers.userId, user.id))).toEqual([]);
    expect(await auditFor(user.id)).toEqual([]);
  });

  it("answers 404 for an unknown user and 422 for an unknown field", async () => {
    const unknown = "0190c3c0-0000-7000-8000-000000000001";
    expect((await once("PATCH", `/api/v1/users/${unknown}`, asAdmin, { name: "X" })).status).toBe(404);
    expect(
      (await call("PATCH", `/api/v1/users/${rep.id}`, asAdmin, { email: "new@example.com" })).status,
    ).toBe(422);
  });
});

describe("deactivating", () => {
  it("refuses the user's session and API keys at once, revokes them in the data, and audits it", async () => {
    const user = await createUser(t.db, { role: "rep" });
    const session = await sessionFor(t.db, user);
    const key = await apiKeyFor(t.db, user, ["users:read"]);
    expect((await call("GET", "/api/v1/users", session.headers)).status).toBe(200);

    const { status, body } = await once("PATCH", `/api/v1/users/${user.id}`, asAdmin, { active: false });
    expect(status).toBe(200);
    expect(body.active).toBe(false);
    expect((await call("GET", "/api/v1/users", session.headers)).status).toBe(401);
    expect((await call("GET", "/api/v1/users", key.headers)).status).toBe(401);
    const [sessionRow] = await t.db.select().from(sessions).where(eq(sessions.id, session.sessionId));
    expect(sessionRow?.revokedAt).toEqual(expect.any(Number));
    const [keyRow] = await t.db.select().from(apiKeys).where(eq(apiKeys.id, key.id));
    expect(keyRow?.revokedAt).toEqual(expect.any(Number));
    const [entry] = (await auditFor(user.id)).filter((e) => e.action === "user.deactivated");
    expect(JSON.parse(entry?.changes ?? "{}")).toEqual({ active: { from: true, to: false } });

    // Reactivating lets the user log in again; the old session stays revoked.
    const back = await once("PATCH", `/api/v1/users/${user.id}`, asAdmin, { active: true });
    expect(back.body.active).toBe(true);
    expect((await auditFor(user.id)).map((e) => e.action)).toContain("user.reactivated");
    expect((await call("GET", "/api/v1/users", session.headers)).status).toBe(401);
  });

  it("expires a deactivated invitee's unused invitation", async () => {
    const invited = await once("POST", "/api/v1/users", asAdmin, {
      email: "leaver@example.com",
      name: "Leaver",
      role: "rep",
    });
    const id = String(invited.body.id);
    await once("PATCH", `/api/v1/users/${id}`, asAdmin, { active: false });
    const [token] = await t.db.select().from(oneTimeTokens).where(eq(oneTimeTokens.userId, id));
    expect(token?.expiresAt).toBeLessThanOrEqual(Date.now());
  });
});

describe("the last active admin", () => {
  it("cannot demote or deactivate themselves; with another admin they can", async () => {
    // No other test of this file makes an admin, so the file's admin is the only active one.
    const soloAdmins = await t.db
      .select()
      .from(users)
      .where(and(eq(users.role, "admin"), eq(users.active, true)));
    expect(soloAdmins.map((u) => u.id)).toEqual([admin.id]);

    for (const change of [{ active: false }, { role: "manager" }, { role: "rep", active: false }]) {
      const { status, body } = await once("PATCH", `/api/v1/users/${admin.id}`, asAdmin, change);
      expect(status).toBe(409);
      expect(body.detail).toMatch(/last active admin/);
    }
    expect(await userRow(admin.id)).toMatchObject({ role: "admin", active: true });
    expect((await call("GET", "/api/v1/users", asAdmin)).status).toBe(200);

    const second = await createUser(t.db, { role: "admin" });
    const demoted = await once("PATCH", `/api/v1/users/${second.id}`, asAdmin, { role: "manager" });
    expect(demoted.status).toBe(200);
    await once("PATCH", `/api/v1/users/${second.id}`, asAdmin, { role: "admin" });
    const asSecond = (await sessionFor(t.db, { ...second, role: "admin" })).headers;
    const selfDemoted = await once("PATCH", `/api/v1/users/${admin.id}`, asAdmin, { role: "manager" });
    expect(selfDemoted.status).toBe(200);
    // The first admin's own change took effect at once: they are no longer allowed to manage users.
    expect((await once("PATCH", `/api/v1/users/${second.id}`, asAdmin, { name: "X" })).status).toBe(403);
    await once("PATCH", `/api/v1/users/${admin.id}`, asSecond, { role: "admin" });
  });
});

describe("sending the invitation again", () => {
  it("issues a new token and email, and earlier links stop working", async () => {
    const invited = await once("POST", "/api/v1/users", asAdmin, {
      email: "again@example.com",
      name: "Again",
      role: "rep",
    });
    const id = String(invited.body.id);
    const { status, body } = await once("POST", `/api/v1/users/${id}/invitation`, asAdmin);
    expect(status).toBe(201);
    expect(body).toMatchObject({ userId: id, email: "again@example.com" });

    const messages = await t.db.select().from(outbox).where(eq(outbox.recipient, "again@example.com"));
    expect(messages).toHaveLength(2);
    const latest = /token=([\w-]+)/.exec(messages.at(-1)?.body ?? "")?.[1] ?? "";
    const tokens = await t.db.select().from(oneTimeTokens).where(eq(oneTimeTokens.userId, id));
    expect(tokens).toHaveLength(2);
    const live = tokens.filter((token) => token.expiresAt > Date.now());
    expect(live.map((token) => token.tokenHash)).toEqual([await sha256Hex(latest)]);
    expect((await auditFor(id)).map((e) => e.action)).toEqual(["user.invited", "user.invited"]);
  });

  it("answers 409 for a user with a password or a deactivated one, and 404 for an unknown one", async () => {
    const withPassword = await once("POST", `/api/v1/users/${rep.id}/invitation`, asAdmin);
    expect(withPassword.status).toBe(409);
    expect(withPassword.body.detail).toMatch(/already set a password/);
    const invited = await once("POST", "/api/v1/users", asAdmin, {
      email: "gone@example.com",
      name: "G",
      role: "rep",
    });
    await once("PATCH", `/api/v1/users/${String(invited.body.id)}`, asAdmin, { active: false });
    const deactivated = await once("POST", `/api/v1/users/${String(invited.body.id)}/invitation`, asAdmin);
    expect(deactivated.status).toBe(409);
    expect(deactivated.body.detail).toMatch(/deactivated/);
    const unknown = await once(
      "POST",
      "/api/v1/users/0190c3c0-0000-7000-8000-000000000002/invitation",
      asAdmin,
    );
    expect(unknown.status).toBe(404);
    expect(await t.db.select().from(outbox).where(eq(outbox.recipient, "gone@example.com"))).toHaveLength(1);
  });
});
