import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../../db/ids.ts";
import { auditLog, contacts, tasks, users } from "../../../db/schema/index.ts";
import { taskRoutes } from "../../../functions/api/tasks/routes.ts";
import { createApp } from "../../../functions/app.ts";
import { createTeam, createUser, DAY, sessionFor, type TestUser } from "../factories.ts";
import { useTestDatabase } from "../support.ts";

const t = useTestDatabase();
const app = createApp().route("/", taskRoutes);

type Headers = Record<string, string>;
type Json = Record<string, unknown>;
const HOUR = 60 * 60_000;

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
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: (text ? JSON.parse(text) : null) as Json,
  };
}

let repA: TestUser;
let repB: TestUser;
let managerA: TestUser;
let admin: TestUser;
let asRepA: Headers;
let asRepB: Headers;
let asManagerA: Headers;
let asAdmin: Headers;
let asReadOnly: Headers;
let teamA: string;
let teamB: string;

beforeAll(async () => {
  repA = await createUser(t.db, { role: "rep" });
  repB = await createUser(t.db, { role: "rep" });
  managerA = await createUser(t.db, { role: "manager" });
  admin = await createUser(t.db, { role: "admin" });
  const readOnly = await createUser(t.db, { role: "read_only" });
  teamA = await createTeam(t.db, "A", [{ user: repA }, { user: managerA, lead: true }, { user: readOnly }]);
  teamB = await createTeam(t.db, "B", [{ user: repB }]);
  asRepA = (await sessionFor(t.db, repA)).headers;
  asRepB = (await sessionFor(t.db, repB)).headers;
  asManagerA = (await sessionFor(t.db, managerA)).headers;
  asAdmin = (await sessionFor(t.db, admin)).headers;
  asReadOnly = (await sessionFor(t.db, readOnly)).headers;
});

async function taskOf(owner: TestUser, team: string, values: Partial<typeof tasks.$inferInsert> = {}) {
  const now = Date.now();
  const id = newId();
  await t.db
    .insert(tasks)
    .values({ id, title: "T", ownerId: owner.id, teamId: team, createdAt: now, updatedAt: now, ...values });
  return id;
}

describe("creating", () => {
  it("assigns to the caller and their first team by default, with an ETag", async () => {
    const dueAt = Date.now() + DAY;
    const { status, headers, body } = await once("POST", "/api/v1/tasks", asRepA, {
      title: "Send the quote",
      dueAt,
      priority: "high",
    });
    expect(status).toBe(201);
    expect(body).toMatchObject({
      title: "Send the quote",
      dueAt,
      priority: "high",
      status: "open",
      assigneeId: repA.id,
      teamId: teamA,
      version: 1,
    });
    expect(headers.get("ETag")).toBe('W/"1"');
    expect(headers.get("Location")).toBe(`/api/v1/tasks/${String(body.id)}`);
    const [row] = await t.db
      .select()
      .from(tasks)
      .where(eq(tasks.id, String(body.id)));
    expect(row).toMatchObject({ ownerId: repA.id, teamId: teamA });
  });

  it("lets a manager assign to their team and relate the task to a contact they see", async () => {
    const now = Date.now();
    const contactId = newId();
    await t.db
      .insert(contacts)
      .values({ id: contactId, name: "C", ownerId: repA.id, teamId: teamA, createdAt: now, updatedAt: now });
    const { status, body } = await once("POST", "/api/v1/tasks", asManagerA, {
      title: "Follow up",
      assigneeId: repA.id,
      contactId,
    });
    expect(status).toBe(201);
    expect(body).toMatchObject({ assigneeId: repA.id, teamId: teamA, contactId });
    // rep B sees neither the contact nor may hand rep A work.
    expect((await once("POST", "/api/v1/tasks", asRepB, { title: "x", contactId })).status).toBe(404);
  });

  it("refuses an assignee the caller may not give work to, an unknown user, a foreign team, bad bodies", async () => {
    expect((await once("POST", "/api/v1/tasks", asRepB, { title: "x", assigneeId: repA.id })).status).toBe(
      403,
    );
    expect((await once("POST", "/api/v1/tasks", asAdmin, { title: "x", assigneeId: newId() })).status).toBe(
      422,
    );
    expect(
      (await once("POST", "/api/v1/tasks", asAdmin, { title: "x", assigneeId: repA.id, teamId: teamB }))
        .status,
    ).toBe(422);
    expect((await once("POST", "/api/v1/tasks", asReadOnly, { title: "x" })).status).toBe(403);
    const bad = await app.request(
      "/api/v1/tasks",
      {
        method: "POST",
        headers: { ...asRepA, "Content-Type": "application/json" },
        body: JSON.stringify({ title: "" }),
      },
      t.env,
    );
    expect(bad.status).toBe(422);
    expect(await t.db.select().from(tasks).where(eq(tasks.title, "x"))).toEqual([]);
  });
});

describe("reading and changing one task", () => {
  it("reads a task with its ETag; others' tasks are 404", async () => {
    const id = await taskOf(repA, teamA);
    const mine = await once("GET", `/api/v1/tasks/${id}`, asRepA);
    expect(mine.status).toBe(200);
    expect(mine.headers.get("ETag")).toBe('W/"1"');
    expect((await once("GET", `/api/v1/tasks/${id}`, asManagerA)).status).toBe(200);
    expect((await once("GET", `/api/v1/tasks/${id}`, asRepB)).status).toBe(404);
    expect((await once("GET", `/api/v1/tasks/${newId()}`, asRepA)).status).toBe(404);
  });

  it("changes with If-Match, and answers 412 to a stale version", async () => {
    const id = await taskOf(repA, teamA);
    const changed = await once(
      "PATCH",
      `/api/v1/tasks/${id}`,
      { ...asRepA, "If-Match": 'W/"1"' },
      { title: "New" },
    );
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ title: "New", version: 2 });
    expect(changed.headers.get("ETag")).toBe('W/"2"');
    const stale = await once(
      "PATCH",
      `/api/v1/tasks/${id}`,
      { ...asRepA, "If-Match": 'W/"1"' },
      { title: "Lost" },
    );
    expect(stale.status).toBe(412);
    const [row] = await t.db.select().from(tasks).where(eq(tasks.id, id));
    expect(row).toMatchObject({ title: "New", version: 2 });
    expect((await once("PATCH", `/api/v1/tasks/${id}`, asRepB, { title: "x" })).status).toBe(404);
    // A malformed If-Match is refused before the database is asked.
    const malformed = await app.request(
      `/api/v1/tasks/${id}`,
      {
        method: "PATCH",
        headers: { ...asRepA, "If-Match": "3", "Content-Type": "application/json" },
        body: "{}",
      },
      t.env,
    );
    expect(malformed.status).toBe(400);
  });

  it("completes (completedAt), reopens, and snoozes (clearing reminderSentAt)", async () => {
    const id = await taskOf(repA, teamA, {
      dueAt: Date.now(),
      remindAt: Date.now(),
      reminderSentAt: Date.now(),
    });
    const done = await once("PATCH", `/api/v1/tasks/${id}`, asRepA, { status: "done" });
    expect(done.body).toMatchObject({ status: "done" });
    expect(done.body.completedAt).toEqual(expect.any(Number));
    const again = await once("PATCH", `/api/v1/tasks/${id}`, asRepA, { status: "done" });
    expect(again.body.completedAt).toBe(done.body.completedAt);
    const reopened = await once("PATCH", `/api/v1/tasks/${id}`, asRepA, { status: "open" });
    expect(reopened.body).toMatchObject({ status: "open", completedAt: null });
    const later = Date.now() + 2 * DAY;
    const snoozed = await once("PATCH", `/api/v1/tasks/${id}`, asRepA, {
      dueAt: later,
      remindAt: later - HOUR,
    });
    expect(snoozed.body).toMatchObject({
      dueAt: later,
      remindAt: later - HOUR,
      reminderSentAt: null,
      version: 5,
    });
  });

  it("deletes (soft, audited, If-Match), restores, and hides deleted tasks", async () => {
    const id = await taskOf(repA, teamA);
    expect((await once("DELETE", `/api/v1/tasks/${id}`, asRepB)).status).toBe(404);
    expect((await once("DELETE", `/api/v1/tasks/${id}`, { ...asRepA, "If-Match": 'W/"7"' })).status).toBe(
      412,
    );
    expect((await once("DELETE", `/api/v1/tasks/${id}`, { ...asRepA, "If-Match": 'W/"1"' })).status).toBe(
      204,
    );
    const [row] = await t.db.select().from(tasks).where(eq(tasks.id, id));
    expect(row?.deletedAt).toEqual(expect.any(Number));
    expect((await once("GET", `/api/v1/tasks/${id}`, asRepA)).status).toBe(404);
    expect((await once("DELETE", `/api/v1/tasks/${id}`, asRepA)).status).toBe(404);
    expect((await once("PATCH", `/api/v1/tasks/${id}`, asRepA, { title: "x" })).status).toBe(404);
    const audit = await t.db.select().from(auditLog).where(eq(auditLog.targetId, id));
    expect(audit).toMatchObject([{ action: "record.deleted", targetType: "task", actorUserId: repA.id }]);

    expect((await once("POST", `/api/v1/tasks/${id}/restore`, asRepB)).status).toBe(404);
    const restored = await once("POST", `/api/v1/tasks/${id}/restore`, asRepA);
    expect(restored.status).toBe(200);
    expect(restored.body).toMatchObject({ id, version: 3 });
    expect((await once("GET", `/api/v1/tasks/${id}`, asRepA)).status).toBe(200);
    expect((await once("POST", `/api/v1/tasks/${newId()}/restore`, asAdmin)).status).toBe(404);
  });
});

describe("lists", () => {
  it("today, overdue and upcoming follow the caller's time zone", async () => {
    // A zone without daylight saving, so the test can work out its day without the code under test.
    const owner = await createUser(t.db, { role: "rep" });
    await t.db.update(users).set({ timeZone: "Asia/Ho_Chi_Minh" }).where(eq(users.id, owner.id));
    const team = await createTeam(t.db, "TZ", [{ user: owner }]);
    const asOwner = (await sessionFor(t.db, owner)).headers;
    const now = Date.now();
    const offset = 7 * HOUR;
    const start = Math.floor((now + offset) / DAY) * DAY - offset;
    const end = start + DAY;
    const yesterday = await taskOf(owner, team, { dueAt: start - HOUR });
    const earlyToday = await taskOf(owner, team, { dueAt: Math.min(start + 1, now - 1) });
    const laterToday = await taskOf(owner, team, { dueAt: Math.max(end - 1, now + 1) });
    const tomorrow = await taskOf(owner, team, { dueAt: end + HOUR });
    await taskOf(owner, team, { dueAt: now + 1, status: "done" });
    await taskOf(owner, team, { dueAt: now + 1, deletedAt: now });
    await taskOf(repA, teamA, { dueAt: now + 1 });

    const ids = async (view: string) => {
      const { status, body } = await once("GET", `/api/v1/tasks?view=${view}&assigneeId=me`, asOwner);
      expect(status).toBe(200);
      expect(body.nextCursor).toBeNull();
      return (body.items as Json[]).map((task) => task.id);
    };
    expect(await ids("today")).toEqual([earlyToday, laterToday]);
    expect(await ids("overdue")).toEqual([yesterday, earlyToday]);
    expect(await ids("upcoming")).toEqual([tomorrow]);
    // The done task too; never the deleted one or another assignee's.
    expect(await ids("all")).toHaveLength(5);
  });

  it("pages every view, each task once, and shows a rep of another team none of it", async () => {
    const owner = await createUser(t.db, { role: "rep" });
    const team = await createTeam(t.db, "Paged", [{ user: owner }]);
    const asOwner = (await sessionFor(t.db, owner)).headers;
    const created: string[] = [];
    for (let i = 0; i < 12; i++)
      created.push(await taskOf(owner, team, { dueAt: Date.now() + (i + 1) * 2 * DAY }));
    for (const view of ["all", "upcoming"]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const path: string = `/api/v1/tasks?view=${view}&assigneeId=${owner.id}&limit=5${cursor ? `&cursor=${cursor}` : ""}`;
        const { body } = await once("GET", path, asOwner);
        for (const item of body.items as Json[]) seen.push(String(item.id));
        cursor = body.nextCursor as string | null;
      } while (cursor);
      expect([...seen].sort()).toEqual([...created].sort());
      expect(new Set(seen).size).toBe(seen.length);
    }
    for (const view of ["all", "today", "overdue", "upcoming"]) {
      const { body } = await once("GET", `/api/v1/tasks?view=${view}&limit=200`, asRepB);
      expect((body.items as Json[]).filter((task) => created.includes(String(task.id)))).toEqual([]);
      const theirs = await once("GET", `/api/v1/tasks?view=${view}&assigneeId=${owner.id}`, asRepB);
      expect(theirs.body.items).toEqual([]);
    }
  });

  it("refuses a cursor of another view", async () => {
    const response = await app.request(
      `/api/v1/tasks?view=today&cursor=${newId()}`,
      { headers: asRepA },
      t.env,
    );
    expect(response.status).toBe(422);
  });
});
