import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { activityValues } from "../../../db/activities.ts";
import { newId } from "../../../db/ids.ts";
import {
  activities,
  auditLog,
  companies,
  contacts,
  deals,
  pipelines,
  stages,
} from "../../../db/schema/index.ts";
import { activityRoutes } from "../../../functions/api/activities/routes.ts";
import { createApp } from "../../../functions/app.ts";
import { createTeam, createUser, sessionFor, type TestUser } from "../factories.ts";
import { useTestDatabase } from "../support.ts";

const t = useTestDatabase();
const app = createApp().route("/", activityRoutes);

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
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as Json };
}

let repA: TestUser;
let repB: TestUser;
let asRepA: Headers;
let asRepB: Headers;
let asManagerA: Headers;
let asReadOnly: Headers;
let teamA: string;
let teamB: string;
let stageId: string;
let pipelineId: string;

beforeAll(async () => {
  repA = await createUser(t.db, { role: "rep" });
  repB = await createUser(t.db, { role: "rep" });
  const managerA = await createUser(t.db, { role: "manager" });
  const readOnly = await createUser(t.db, { role: "read_only" });
  teamA = await createTeam(t.db, "A", [{ user: repA }, { user: managerA, lead: true }, { user: readOnly }]);
  teamB = await createTeam(t.db, "B", [{ user: repB }]);
  asRepA = (await sessionFor(t.db, repA)).headers;
  asRepB = (await sessionFor(t.db, repB)).headers;
  asManagerA = (await sessionFor(t.db, managerA)).headers;
  asReadOnly = (await sessionFor(t.db, readOnly)).headers;
  const now = Date.now();
  pipelineId = newId();
  stageId = newId();
  await t.db
    .insert(pipelines)
    .values({ id: pipelineId, name: "P", position: 9, createdAt: now, updatedAt: now });
  await t.db.insert(stages).values({
    id: stageId,
    pipelineId,
    name: "S",
    position: 0,
    probability: 10,
    forecastCategory: "pipeline",
    createdAt: now,
    updatedAt: now,
  });
});

async function contactOf(owner: TestUser, team: string) {
  const now = Date.now();
  const id = newId();
  await t.db
    .insert(contacts)
    .values({ id, name: "C", ownerId: owner.id, teamId: team, createdAt: now, updatedAt: now });
  return id;
}

async function companyOf(owner: TestUser, team: string) {
  const now = Date.now();
  const id = newId();
  await t.db
    .insert(companies)
    .values({ id, name: "Co", ownerId: owner.id, teamId: team, createdAt: now, updatedAt: now });
  return id;
}

async function dealOf(owner: TestUser, team: string) {
  const now = Date.now();
  const id = newId();
  await t.db.insert(deals).values({
    id,
    name: "D",
    currency: "USD",
    pipelineId,
    stageId,
    stageEnteredAt: now,
    ownerId: owner.id,
    teamId: team,
    createdAt: now,
    updatedAt: now,
  });
  return id;
}

async function systemEntry(contactId: string) {
  const entry = activityValues({
    type: "stage_change",
    actorUserId: null,
    contactId,
    metadata: { from: "a", to: "b" },
  });
  await t.db.insert(activities).values(entry);
  return entry.id;
}

describe("logging", () => {
  it("logs a note on a contact, with the caller as actor", async () => {
    const contactId = await contactOf(repA, teamA);
    const { status, body } = await once("POST", "/api/v1/activities", asRepA, {
      type: "note",
      contactId,
      body: "Met at the fair",
    });
    expect(status).toBe(201);
    expect(body).toMatchObject({
      type: "note",
      contactId,
      body: "Met at the fair",
      actorUserId: repA.id,
      editable: true,
    });
    const [row] = await t.db
      .select()
      .from(activities)
      .where(eq(activities.id, String(body.id)));
    expect(row).toMatchObject({ type: "note", contactId, actorUserId: repA.id });
  });

  it("logs a call with its outcome and duration, an email, and a meeting with attendees", async () => {
    const contactId = await contactOf(repA, teamA);
    const dealId = await dealOf(repA, teamA);
    const call = await once("POST", "/api/v1/activities", asRepA, {
      type: "call",
      contactId,
      dealId,
      outcome: "left_voicemail",
      durationSeconds: 42,
    });
    expect(call.status).toBe(201);
    expect(call.body).toMatchObject({ dealId, metadata: { outcome: "left_voicemail", durationSeconds: 42 } });
    const email = await once("POST", "/api/v1/activities", asRepA, {
      type: "email",
      contactId,
      subject: "Quote",
      to: ["a@example.com"],
    });
    expect(email.body).toMatchObject({
      subject: "Quote",
      metadata: { direction: "outbound", to: ["a@example.com"] },
    });
    const meeting = await once("POST", "/api/v1/activities", asRepA, {
      type: "meeting",
      contactId,
      startsAt: 1_000,
      endsAt: 2_000,
      attendees: [{ name: "Lan", email: "lan@example.com" }],
    });
    expect(meeting.status).toBe(201);
    expect(meeting.body.metadata).toEqual({
      startsAt: 1_000,
      endsAt: 2_000,
      attendees: [{ name: "Lan", email: "lan@example.com" }],
    });
  });

  it("refuses bodies that are not valid", async () => {
    const contactId = await contactOf(repA, teamA);
    const bad = [
      { type: "note", body: "attached to nothing" },
      { type: "call", contactId, outcome: "maybe" },
      { type: "meeting", contactId, startsAt: 2_000, endsAt: 1_000 },
      { type: "stage_change", contactId },
      { type: "note", contactId, extra: 1 },
    ];
    for (const body of bad) {
      const response = await app.request(
        "/api/v1/activities",
        {
          method: "POST",
          headers: { ...asRepA, "Content-Type": "application/json" },
          body: JSON.stringify(body),
        },
        t.env,
      );
      expect(response.status, JSON.stringify(body)).toBe(422);
    }
  });

  it("answers 404 for a record the caller may not change, or an unknown one, and writes nothing", async () => {
    const contactId = await contactOf(repA, teamA);
    const companyId = await companyOf(repA, teamA);
    for (const body of [
      { type: "note", contactId, body: "sneaky" },
      { type: "note", companyId, body: "sneaky" },
      { type: "note", contactId: newId(), body: "sneaky" },
    ]) {
      expect((await once("POST", "/api/v1/activities", asRepB, body)).status).toBe(404);
    }
    // One of two records writable is not enough: the entry would show on the other.
    const ownDeal = await dealOf(repB, teamB);
    expect(
      (await once("POST", "/api/v1/activities", asRepB, { type: "note", contactId, dealId: ownDeal })).status,
    ).toBe(404);
    expect(await t.db.select().from(activities).where(eq(activities.body, "sneaky"))).toEqual([]);
    expect((await once("POST", "/api/v1/activities", asReadOnly, { type: "note", contactId })).status).toBe(
      403,
    );
  });
});

describe("reading the timeline", () => {
  it("lists a contact's entries newest first, by type, and pages each exactly once", async () => {
    const contactId = await contactOf(repA, teamA);
    const base = Date.now() - 1_000_000;
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      // Pairs share a time, so the id breaks the tie.
      const entry = activityValues({
        type: i % 5 === 0 ? "call" : "note",
        actorUserId: repA.id,
        contactId,
        occurredAt: base + Math.floor(i / 2) * 1000,
      });
      await t.db.insert(activities).values(entry);
      ids.push(entry.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const path: string = `/api/v1/activities?contactId=${contactId}&limit=10${cursor ? `&cursor=${cursor}` : ""}`;
      const { status, body } = await once("GET", path, asRepA);
      expect(status).toBe(200);
      for (const item of body.items as Json[]) seen.push(String(item.id));
      cursor = body.nextCursor as string | null;
      // A new entry logged between pages is newer than the cursor: it does not disturb the walk.
      await t.db
        .insert(activities)
        .values(activityValues({ type: "note", actorUserId: repA.id, contactId, occurredAt: Date.now() }));
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    const expected = [...ids].sort((a, b) => {
      const at = (id: string) => Math.floor(ids.indexOf(id) / 2);
      return at(b) - at(a) || (a < b ? 1 : -1);
    });
    expect(seen).toEqual(expected);

    const calls = await once("GET", `/api/v1/activities?contactId=${contactId}&type=call`, asRepA);
    expect((calls.body.items as Json[]).map((a) => a.type)).toEqual(["call", "call", "call", "call", "call"]);
  });

  it("shows an entry to whoever sees one of its records, and hides it from everyone else", async () => {
    const contactId = await contactOf(repA, teamA);
    const dealOfB = await dealOf(repB, teamB);
    const onlyA = activityValues({ type: "note", actorUserId: repA.id, contactId, body: "A's" });
    const shared = activityValues({
      type: "note",
      actorUserId: repA.id,
      contactId,
      dealId: dealOfB,
      body: "both",
    });
    await t.db.insert(activities).values([onlyA, shared]);

    expect((await once("GET", `/api/v1/activities/${onlyA.id}`, asManagerA)).status).toBe(200);
    expect((await once("GET", `/api/v1/activities/${onlyA.id}`, asRepB)).status).toBe(404);
    expect((await once("GET", `/api/v1/activities/${shared.id}`, asRepB)).status).toBe(200);
    const list = await once("GET", `/api/v1/activities?contactId=${contactId}`, asRepB);
    expect((list.body.items as Json[]).map((a) => a.id)).toEqual([shared.id]);
    const all = await once("GET", "/api/v1/activities?limit=200", asRepB);
    expect((all.body.items as Json[]).map((a) => a.id)).not.toContain(onlyA.id);
    expect((await once("GET", `/api/v1/activities/${newId()}`, asRepA)).status).toBe(404);
  });

  it("refuses a cursor it did not make", async () => {
    const response = await app.request("/api/v1/activities?cursor=nope", { headers: asRepA }, t.env);
    expect(response.status).toBe(422);
  });
});

describe("editing and removing", () => {
  it("edits a note, and a call's details", async () => {
    const contactId = await contactOf(repA, teamA);
    const note = activityValues({ type: "note", actorUserId: repA.id, contactId, body: "draft" });
    const call = activityValues({
      type: "call",
      actorUserId: repA.id,
      contactId,
      metadata: { outcome: "busy", durationSeconds: 5 },
    });
    await t.db.insert(activities).values([note, call]);
    const edited = await once("PATCH", `/api/v1/activities/${note.id}`, asRepA, {
      body: "final",
      subject: "S",
    });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ body: "final", subject: "S" });
    const callEdit = await once("PATCH", `/api/v1/activities/${call.id}`, asManagerA, {
      outcome: "connected",
    });
    expect(callEdit.status).toBe(200);
    expect(callEdit.body.metadata).toEqual({ outcome: "connected", durationSeconds: 5 });
  });

  it("refuses details of another type (422), system entries (409) and invisible entries (404)", async () => {
    const contactId = await contactOf(repA, teamA);
    const note = activityValues({ type: "note", actorUserId: repA.id, contactId, body: "keep" });
    const meeting = activityValues({
      type: "meeting",
      actorUserId: repA.id,
      contactId,
      metadata: { startsAt: 1_000, endsAt: 2_000 },
    });
    await t.db.insert(activities).values([note, meeting]);
    expect((await once("PATCH", `/api/v1/activities/${note.id}`, asRepA, { outcome: "busy" })).status).toBe(
      422,
    );
    expect((await once("PATCH", `/api/v1/activities/${meeting.id}`, asRepA, { endsAt: 500 })).status).toBe(
      422,
    );
    const system = await systemEntry(contactId);
    const conflict = await once("PATCH", `/api/v1/activities/${system}`, asRepA, { body: "rewrite" });
    expect(conflict.status).toBe(409);
    expect(String(conflict.body.detail)).toContain("system entries");
    expect((await once("PATCH", `/api/v1/activities/${note.id}`, asRepB, { body: "x" })).status).toBe(404);
    expect((await once("PATCH", `/api/v1/activities/${newId()}`, asRepA, { body: "x" })).status).toBe(404);
    expect((await once("PATCH", `/api/v1/activities/${note.id}`, asReadOnly, { body: "x" })).status).toBe(
      403,
    );
    const [row] = await t.db.select().from(activities).where(eq(activities.id, note.id));
    expect(row?.body).toBe("keep");
  });

  it("removes a logged entry (with an audit entry), but not a system entry or someone else's", async () => {
    const contactId = await contactOf(repA, teamA);
    const note = activityValues({ type: "note", actorUserId: repA.id, contactId });
    await t.db.insert(activities).values(note);
    expect((await once("DELETE", `/api/v1/activities/${note.id}`, asRepB)).status).toBe(404);
    expect((await once("DELETE", `/api/v1/activities/${note.id}`, asRepA)).status).toBe(204);
    expect((await once("GET", `/api/v1/activities/${note.id}`, asRepA)).status).toBe(404);
    expect((await once("DELETE", `/api/v1/activities/${note.id}`, asRepA)).status).toBe(404);
    const audit = await t.db.select().from(auditLog).where(eq(auditLog.targetId, note.id));
    expect(audit).toMatchObject([{ action: "record.deleted", targetType: "activity", actorUserId: repA.id }]);
    const system = await systemEntry(contactId);
    expect((await once("DELETE", `/api/v1/activities/${system}`, asRepA)).status).toBe(409);
  });
});
