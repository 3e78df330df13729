import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { auditLog, teamMembers, teams } from "../../../db/schema/index.ts";
import { teamRoutes } from "../../../functions/api/teams/routes.ts";
import { createApp } from "../../../functions/app.ts";
import { apiKeyFor, createTeam, createUser, sessionFor, type TestUser } from "../factories.ts";
import { useTestDatabase } from "../support.ts";

const t = useTestDatabase();
const app = createApp().route("/", teamRoutes);

type Headers = Record<string, string>;
type Json = Record<string, unknown>;

/** Calls once, asserting the request made exactly one database round trip. */
async function once(method: string, path: string, headers: Headers, body?: unknown) {
  let response: Response | undefined;
  const trips = await t.roundTrips(async () => {
    response = await app.request(
      path,
      {
        method,
        headers: { ...headers, "Content-Type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      },
      t.env,
    );
  });
  expect(trips, `${method} ${path} made ${trips} round trips`).toBe(1);
  if (!response) throw new Error("no response");
  return { status: response.status, body: (await response.json()) as Json };
}

async function auditFor(targetId: string) {
  return t.db.select().from(auditLog).where(eq(auditLog.targetId, targetId)).orderBy(auditLog.id);
}

async function membersOf(teamId: string) {
  const rows = await t.db.select().from(teamMembers).where(eq(teamMembers.teamId, teamId));
  return rows
    .map((m) => ({ userId: m.userId, lead: m.isLead }))
    .sort((a, b) => a.userId.localeCompare(b.userId));
}

const unknownId = "0190c3c0-0000-7000-8000-00000000f00d";
let admin: TestUser;
let rep: TestUser;
let manager: TestUser;
let asAdmin: Headers;
let asRep: Headers;

beforeAll(async () => {
  admin = await createUser(t.db, { role: "admin" });
  rep = await createUser(t.db, { role: "rep", name: "Rita Rep" });
  manager = await createUser(t.db, { role: "manager", name: "Max Manager" });
  asAdmin = (await sessionFor(t.db, admin)).headers;
  asRep = (await sessionFor(t.db, rep)).headers;
});

describe("listing teams", () => {
  it("shows every role the teams with their members and leads, in pages", async () => {
    const north = await createTeam(t.db, "North", [{ user: rep }, { user: manager, lead: true }]);
    await createTeam(t.db, "South");
    await createTeam(t.db, "East");
    const { status, body } = await once("GET", "/api/v1/teams", asRep);
    expect(status).toBe(200);
    const items = body.items as Json[];
    expect(items.find((team) => team.id === north)).toMatchObject({
      name: "North",
      members: [
        { userId: manager.id, name: "Max Manager", email: manager.email, active: true, lead: true },
        { userId: rep.id, name: "Rita Rep", email: rep.email, active: true, lead: false },
      ],
    });
    expect(body.nextCursor).toBeNull();

    const first = await once("GET", "/api/v1/teams?limit=2", asRep);
    expect(first.body.items).toHaveLength(2);
    const second = await once("GET", `/api/v1/teams?limit=2&cursor=${String(first.body.nextCursor)}`, asRep);
    expect(
      [...(first.body.items as Json[]), ...(second.body.items as Json[])].map((team) => team.id),
    ).toEqual(items.map((team) => team.id).slice(0, 4));
  });

  it("answers 401 without credentials and 403 to a key without teams:read", async () => {
    expect((await app.request("/api/v1/teams", {}, t.env)).status).toBe(401);
    const key = await apiKeyFor(t.db, admin, ["contacts:read"]);
    expect((await once("GET", "/api/v1/teams", key.headers)).status).toBe(403);
  });
});

describe("creating a team", () => {
  it("creates it with members and a managing lead, and audits it", async () => {
    const { status, body } = await once("POST", "/api/v1/teams", asAdmin, {
      name: "  Enterprise  ",
      members: [{ userId: rep.id }, { userId: manager.id, lead: true }],
    });
    expect(status).toBe(201);
    expect(body).toMatchObject({ name: "Enterprise" });
    const id = String(body.id);
    expect(await membersOf(id)).toEqual(
      [
        { userId: rep.id, lead: false },
        { userId: manager.id, lead: true },
      ].sort((a, b) => a.userId.localeCompare(b.userId)),
    );
    const [entry] = await auditFor(id);
    expect(entry).toMatchObject({ action: "team.created", actorUserId: admin.id, targetType: "team" });
  });

  it("answers 409 for a name in use, 409 for a lead who is not a manager, 404 for an unknown user, writing nothing", async () => {
    await createTeam(t.db, "Taken");
    const before = await t.db.select().from(teams);
    const taken = await once("POST", "/api/v1/teams", asAdmin, { name: "Taken" });
    expect(taken.status).toBe(409);
    expect(taken.body.detail).toContain("Taken");
    const repLead = await once("POST", "/api/v1/teams", asAdmin, {
      name: "Rep led",
      members: [{ userId: rep.id, lead: true }],
    });
    expect(repLead.status).toBe(409);
    expect(repLead.body.detail).toContain("Rita Rep");
    const unknown = await once("POST", "/api/v1/teams", asAdmin, {
      name: "Ghosts",
      members: [{ userId: rep.id }, { userId: unknownId }],
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.detail).toContain(unknownId);
    expect(await t.db.select().from(teams)).toEqual(before);
  });

  it("refuses invalid input with 422 and non-admins with 403", async () => {
    expect((await once("POST", "/api/v1/teams", asAdmin, { name: "" })).status).toBe(422);
    const twice = { name: "Twice", members: [{ userId: rep.id }, { userId: rep.id, lead: true }] };
    expect((await once("POST", "/api/v1/teams", asAdmin, twice)).status).toBe(422);
    expect((await once("POST", "/api/v1/teams", asRep, { name: "By a rep" })).status).toBe(403);
  });
});

describe("renaming a team", () => {
  it("renames it and audits the old and new name", async () => {
    const id = await createTeam(t.db, "Old name");
    const { status, body } = await once("PATCH", `/api/v1/teams/${id}`, asAdmin, { name: "New name" });
    expect(status).toBe(200);
    expect(body).toMatchObject({ id, name: "New name" });
    const [entry] = await auditFor(id);
    expect(entry?.action).toBe("team.updated");
    expect(JSON.parse(entry?.changes ?? "{}")).toEqual({ name: { from: "Old name", to: "New name" } });
  });

  it("answers 409 for a name in use and 404 for an unknown team", async () => {
    await createTeam(t.db, "First");
    const second = await createTeam(t.db, "Second");
    expect((await once("PATCH", `/api/v1/teams/${second}`, asAdmin, { name: "First" })).status).toBe(409);
    expect(await auditFor(second)).toEqual([]);
    expect((await once("PATCH", `/api/v1/teams/${unknownId}`, asAdmin, { name: "Nobody" })).status).toBe(404);
  });
});

describe("replacing the members", () => {
  it("replaces them and audits the old and new list", async () => {
    const id = await createTeam(t.db, "Staffed", [{ user: rep }]);
    const { status, body } = await once("PUT", `/api/v1/teams/${id}/members`, asAdmin, {
      members: [{ userId: manager.id, lead: true }],
    });
    expect(status).toBe(200);
    expect(body.members).toEqual([
      { userId: manager.id, name: "Max Manager", email: manager.email, active: true, lead: true },
    ]);
    expect(await membersOf(id)).toEqual([{ userId: manager.id, lead: true }]);
    const [entry] = await auditFor(id);
    expect(entry?.action).toBe("team.members.changed");
    expect(JSON.parse(entry?.changes ?? "{}")).toEqual({
      from: [{ userId: rep.id, lead: false }],
      to: [{ userId: manager.id, lead: true }],
    });

    const emptied = await once("PUT", `/api/v1/teams/${id}/members`, asAdmin, { members: [] });
    expect(emptied.body.members).toEqual([]);
  });

  it("changes nothing for an unknown user (404) or a lead who is not a manager (409)", async () => {
    const id = await createTeam(t.db, "Steady", [{ user: rep }]);
    const unknown = await once("PUT", `/api/v1/teams/${id}/members`, asAdmin, {
      members: [{ userId: manager.id }, { userId: unknownId }],
    });
    expect(unknown.status).toBe(404);
    const repLead = await once("PUT", `/api/v1/teams/${id}/members`, asAdmin, {
      members: [{ userId: rep.id, lead: true }],
    });
    expect(repLead.status).toBe(409);
    expect(await membersOf(id)).toEqual([{ userId: rep.id, lead: false }]);
    expect(await auditFor(id)).toEqual([]);
  });

  it("answers 404 for an unknown team and 422 without a member list", async () => {
    expect((await once("PUT", `/api/v1/teams/${unknownId}/members`, asAdmin, { members: [] })).status).toBe(
      404,
    );
    const id = await createTeam(t.db, "Listless");
    expect((await once("PUT", `/api/v1/teams/${id}/members`, asAdmin, {})).status).toBe(422);
  });
});
