// The routing rules API: admins replace assignment and SLA rules (validated: 422; If-Match: 412), a user sets
// their own availability and an admin anyone's, and the dry run shows the rule, the next pick (without
// advancing the rotation) and the SLA deadline. Each request is one database round trip.
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { auditLog } from "../../db/schema/index.ts";
import { assignLead } from "../../queues/assignment/engine.ts";
import { makeLeads } from "./assignment-support.ts";
import { createTeam, createUser, sessionFor, type TestUser } from "./factories.ts";
import { useTestDatabase } from "./support.ts";

const t = useTestDatabase();
type Headers = Record<string, string>;
let admin: Headers;
let manager: Headers;
let rep: Headers;
let repUser: TestUser;
let members: TestUser[];
let teamId: string;

beforeAll(async () => {
  admin = (await sessionFor(t.db, await createUser(t.db, { role: "admin" }))).headers;
  manager = (await sessionFor(t.db, await createUser(t.db, { role: "manager" }))).headers;
  repUser = await createUser(t.db, { role: "rep" });
  rep = (await sessionFor(t.db, repUser)).headers;
  members = [await createUser(t.db, { name: "A" }), await createUser(t.db, { name: "B" })];
  teamId = await createTeam(
    t.db,
    "Dry run",
    members.map((user) => ({ user })),
  );
});

async function call(method: string, path: string, headers: Headers, body?: unknown) {
  let response: Response | undefined;
  const trips = await t.roundTrips(async () => {
    response = await t.fetch(path, {
      method,
      headers: { ...headers, "Content-Type": "application/json", "X-CRM-Request": "1" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  });
  if (!response) throw new Error("no response");
  expect(trips).toBeLessThanOrEqual(1);
  return {
    status: response.status,
    etag: response.headers.get("ETag"),
    body: (await response.json()) as Record<string, unknown>,
  };
}

const teamRules = () => ({
  rules: [{ id: "everyone", name: "Everyone", when: [], assignTo: { type: "team", teamId } }],
  fallbackOwnerId: null,
});

describe("assignment rules", () => {
  it("lets an admin replace them, with If-Match", async () => {
    const first = await call("PUT", "/api/v1/assignment/rules", admin, teamRules());
    expect(first.status).toBe(200);
    expect(first.etag).toBe('W/"1"');
    const read = await call("GET", "/api/v1/assignment/rules", manager);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ version: 1, rules: { rules: [{ id: "everyone" }] } });
    expect(
      (await call("PUT", "/api/v1/assignment/rules", { ...admin, "If-Match": 'W/"1"' }, teamRules())).status,
    ).toBe(200);
    const stale = await call(
      "PUT",
      "/api/v1/assignment/rules",
      { ...admin, "If-Match": 'W/"1"' },
      teamRules(),
    );
    expect(stale.status).toBe(412);
    const audit = await t.db.select().from(auditLog).where(eq(auditLog.action, "routing_rules.updated"));
    expect(audit.map((a) => a.targetId)).toEqual(["assignment", "assignment"]);
  });

  it("refuses bad rules with 422", async () => {
    const bad = [
      { rules: [{ id: "x", name: "No target", when: [] }] },
      {
        rules: [
          {
            id: "x",
            name: "Bad field",
            when: [{ field: "shoeSize", in: ["42"] }],
            assignTo: { type: "user", userId: repUser.id },
          },
        ],
      },
      {
        rules: [
          {
            id: "x",
            name: "Empty test",
            when: [{ field: "country" }],
            assignTo: { type: "user", userId: repUser.id },
          },
        ],
      },
      {
        rules: [
          { id: "x", name: "Ghost team", when: [], assignTo: { type: "team", teamId: "no-such-team" } },
        ],
      },
      { rules: [], fallbackOwnerId: "no-such-user" },
      {
        rules: [
          { id: "same", name: "1", when: [], assignTo: { type: "user", userId: repUser.id } },
          { id: "same", name: "2", when: [], assignTo: { type: "user", userId: repUser.id } },
        ],
      },
    ];
    for (const body of bad) {
      const response = await call("PUT", "/api/v1/assignment/rules", admin, body);
      expect(response.status, JSON.stringify(body)).toBe(422);
    }
    const sla = await call("PUT", "/api/v1/sla/rules", admin, {
      rules: [{ id: "s", name: "Zero", minutes: 0 }],
    });
    expect(sla.status).toBe(422);
  });

  it("keeps writes to admins and reads to admins and managers", async () => {
    expect((await call("PUT", "/api/v1/assignment/rules", manager, teamRules())).status).toBe(403);
    expect((await call("PUT", "/api/v1/sla/rules", rep, { rules: [] })).status).toBe(403);
    expect((await call("GET", "/api/v1/assignment/rules", rep)).status).toBe(403);
    expect((await call("GET", "/api/v1/sla/rules", manager)).status).toBe(200);
  });
});

describe("availability", () => {
  const week = { mon: [{ start: "09:00", end: "17:00" }] };

  it("lets a user set their own, and an admin anyone's", async () => {
    const own = await call("PUT", `/api/v1/users/${repUser.id}/availability`, rep, {
      workingHours: week,
      outOfOffice: [{ from: 1_000, to: 2_000, note: "Tết" }],
    });
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({
      version: 1,
      availability: { outOfOffice: [{ from: 1_000, to: 2_000 }] },
    });
    const other = members[0] as TestUser;
    expect(
      (await call("PUT", `/api/v1/users/${other.id}/availability`, rep, { maxOpenLeads: 1 })).status,
    ).toBe(404);
    expect((await call("GET", `/api/v1/users/${other.id}/availability`, rep)).status).toBe(404);
    expect(
      (await call("PUT", `/api/v1/users/${repUser.id}/availability`, admin, { maxOpenLeads: 5 })).status,
    ).toBe(200);
    const stale = await call(
      "PUT",
      `/api/v1/users/${repUser.id}/availability`,
      { ...rep, "If-Match": 'W/"1"' },
      {},
    );
    expect(stale.status).toBe(412);
    const read = await call("GET", `/api/v1/users/${repUser.id}/availability`, rep);
    expect(read).toMatchObject({ status: 200, etag: 'W/"2"', body: { availability: { maxOpenLeads: 5 } } });
  });

  it("refuses impossible hours and ranges with 422", async () => {
    for (const body of [
      { workingHours: { mon: [{ start: "17:00", end: "09:00" }] } },
      { workingHours: { funday: [] } },
      { outOfOffice: [{ from: 5, to: 1 }] },
    ]) {
      expect((await call("PUT", `/api/v1/users/${repUser.id}/availability`, rep, body)).status).toBe(422);
    }
  });
});

describe("dry run", () => {
  it("shows the rule, the next pick without advancing the rotation, and the SLA deadline", async () => {
    await call("PUT", "/api/v1/assignment/rules", admin, teamRules());
    await call("PUT", "/api/v1/sla/rules", admin, {
      rules: [{ id: "fast", name: "Fast", minutes: 15, businessHours: false }],
    });
    const [contactId] = await makeLeads(t.db, 1);
    const at = Date.UTC(2026, 10, 23, 3, 0);
    const first = await call("POST", "/api/v1/assignment/dry-run", admin, { contactId, at });
    expect(first.status).toBe(200);
    const second = await call("POST", "/api/v1/assignment/dry-run", admin, { contactId, at });
    expect(second.body).toEqual(first.body);
    expect(first.body).toMatchObject({
      assignment: { ruleId: "everyone", via: "rule" },
      sla: { ruleId: "fast", dueAt: at + 15 * 60_000 },
    });
    const predicted = (first.body.assignment as { wouldAssignTo: string }).wouldAssignTo;
    expect(members.map((m) => m.id)).toContain(predicted);
    // The real assignment picks whom the dry run said.
    const outcome = await assignLead(t.db, {
      eventId: "dry-run-check",
      contactId: contactId as string,
      formId: null,
      reason: "form",
    });
    expect(outcome).toMatchObject({ status: "assigned", userId: predicted });
    // And the next dry run names the other member.
    const [next] = await makeLeads(t.db, 1);
    const after = await call("POST", "/api/v1/assignment/dry-run", admin, { contactId: next, at });
    expect((after.body.assignment as { wouldAssignTo: string }).wouldAssignTo).not.toBe(predicted);
  });

  it("answers 404 for a contact the caller may not see", async () => {
    const [hidden] = await makeLeads(t.db, 1, { ownerId: repUser.id });
    expect((await call("POST", "/api/v1/assignment/dry-run", manager, { contactId: hidden })).status).toBe(
      404,
    );
    expect((await call("POST", "/api/v1/assignment/dry-run", admin, { contactId: "nobody" })).status).toBe(
      404,
    );
  });
});
