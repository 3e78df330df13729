import { beforeAll, describe, expect, it } from "vitest";
import { activityValues } from "../../../db/activities.ts";
import { newId } from "../../../db/ids.ts";
import {
  activities,
  companies,
  contacts,
  contactTags,
  dealContacts,
  deals,
  pipelines,
  stages,
  tasks,
} from "../../../db/schema/index.ts";
import { activityRoutes } from "../../../functions/api/activities/routes.ts";
import { contact360Routes } from "../../../functions/api/contact-360/routes.ts";
import { createApp } from "../../../functions/app.ts";
import { createTeam, createUser, sessionFor, type TestUser } from "../factories.ts";
import { useTestDatabase } from "../support.ts";

const t = useTestDatabase();
const app = createApp().route("/", contact360Routes).route("/", activityRoutes);

type Headers = Record<string, string>;
type Json = Record<string, unknown>;

async function once(path: string, headers: Headers) {
  let response: Response | undefined;
  const trips = await t.roundTrips(async () => {
    response = await app.request(path, { headers }, t.env);
  });
  expect(trips, `GET ${path} made ${trips} round trips`).toBe(1);
  if (!response) throw new Error("no response");
  return { status: response.status, body: (await response.json()) as Json };
}

let repA: TestUser;
let repB: TestUser;
let asRepA: Headers;
let asRepB: Headers;
let asManagerA: Headers;
let teamA: string;
let teamB: string;
let pipelineId: string;
let stageId: string;

beforeAll(async () => {
  repA = await createUser(t.db, { role: "rep" });
  repB = await createUser(t.db, { role: "rep" });
  const managerA = await createUser(t.db, { role: "manager" });
  teamA = await createTeam(t.db, "A", [{ user: repA }, { user: managerA, lead: true }]);
  teamB = await createTeam(t.db, "B", [{ user: repB }]);
  asRepA = (await sessionFor(t.db, repA)).headers;
  asRepB = (await sessionFor(t.db, repB)).headers;
  asManagerA = (await sessionFor(t.db, managerA)).headers;
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

const owned = (owner: TestUser, team: string) => {
  const now = Date.now();
  return { ownerId: owner.id, teamId: team, createdAt: now, updatedAt: now };
};

async function deal(owner: TestUser, team: string, contactId: string, name: string) {
  const id = newId();
  await t.db.insert(deals).values({
    id,
    name,
    currency: "VND",
    amount: 5_000_000,
    pipelineId,
    stageId,
    stageEnteredAt: Date.now(),
    ...owned(owner, team),
  });
  await t.db.insert(dealContacts).values({ dealId: id, contactId });
  return id;
}

/** A contact of rep A with a company, deals (one rep B's), tasks (one done, one deleted) and 30 timeline entries. */
async function seed() {
  const companyId = newId();
  await t.db.insert(companies).values({
    id: companyId,
    name: "Công ty ABC",
    domain: `abc-${companyId.slice(-8)}.vn`,
    ...owned(repA, teamA),
  });
  const contactId = newId();
  await t.db.insert(contacts).values({
    id: contactId,
    name: "Nguyễn Văn A",
    email: `a-${contactId.slice(-6)}@abc.vn`,
    emails: JSON.stringify([`a-${contactId.slice(-6)}@abc.vn`]),
    companyId,
    ...owned(repA, teamA),
  });
  await t.db.insert(contactTags).values([
    { contactId, tag: "vip" },
    { contactId, tag: "hanoi" },
  ]);
  const ownDeal = await deal(repA, teamA, contactId, "Own deal");
  const foreignDeal = await deal(repB, teamB, contactId, "B's deal");
  const openTask = newId();
  await t.db.insert(tasks).values([
    { id: openTask, title: "Call back", contactId, dueAt: Date.now(), ...owned(repA, teamA) },
    { id: newId(), title: "Done", contactId, status: "done", ...owned(repA, teamA) },
    { id: newId(), title: "Deleted", contactId, deletedAt: Date.now(), ...owned(repA, teamA) },
  ]);
  const entries = Array.from({ length: 30 }, (_, i) =>
    activityValues({
      type: "note",
      actorUserId: repA.id,
      contactId,
      body: `n${i}`,
      occurredAt: 1_000_000 + i,
    }),
  );
  await t.db.insert(activities).values(entries);
  return { companyId, contactId, ownDeal, foreignDeal, openTask, entries };
}

describe("the contact 360", () => {
  it("returns the contact, company, visible deals, open tasks and the first timeline page in one round trip", async () => {
    const s = await seed();
    const { status, body } = await once(`/api/v1/contacts/${s.contactId}/360?timelineLimit=10`, asRepA);
    expect(status).toBe(200);
    expect(body.contact).toMatchObject({
      id: s.contactId,
      name: "Nguyễn Văn A",
      tags: ["hanoi", "vip"],
      companyId: s.companyId,
    });
    expect(body.company).toMatchObject({
      id: s.companyId,
      name: "Công ty ABC",
      domain: `abc-${s.companyId.slice(-8)}.vn`,
    });
    expect((body.deals as Json[]).map((d) => d.id)).toEqual([s.ownDeal]);
    expect((body.openTasks as Json[]).map((task) => task.id)).toEqual([s.openTask]);
    const timeline = body.timeline as { items: Json[]; nextCursor: string };
    expect(timeline.items.map((a) => a.body)).toEqual([
      "n29",
      "n28",
      "n27",
      "n26",
      "n25",
      "n24",
      "n23",
      "n22",
      "n21",
      "n20",
    ]);

    // The timeline continues through the activities list, each entry once.
    const seen = timeline.items.map((a) => String(a.id));
    let cursor: string | null = timeline.nextCursor;
    while (cursor) {
      const next = await once(
        `/api/v1/activities?contactId=${s.contactId}&limit=10&cursor=${cursor}`,
        asRepA,
      );
      for (const item of next.body.items as Json[]) seen.push(String(item.id));
      cursor = next.body.nextCursor as string | null;
    }
    expect(seen).toEqual([...s.entries].reverse().map((e) => e.id));
  });

  it("shows a manager of the team the same, and the owner of a deal only their part when they see the contact", async () => {
    const s = await seed();
    const manager = await once(`/api/v1/contacts/${s.contactId}/360`, asManagerA);
    expect(manager.status).toBe(200);
    expect((manager.body.deals as Json[]).map((d) => d.id)).toEqual([s.ownDeal]);
  });

  it("answers 404 for a contact the caller may not see, an unknown one, or a deleted one", async () => {
    const s = await seed();
    const hidden = await once(`/api/v1/contacts/${s.contactId}/360`, asRepB);
    expect(hidden.status).toBe(404);
    expect(JSON.stringify(hidden.body)).not.toContain("Nguyễn");
    expect((await once(`/api/v1/contacts/${newId()}/360`, asRepA)).status).toBe(404);
    const gone = newId();
    await t.db
      .insert(contacts)
      .values({ id: gone, name: "Gone", deletedAt: Date.now(), ...owned(repA, teamA) });
    expect((await once(`/api/v1/contacts/${gone}/360`, asRepA)).status).toBe(404);
  });

  it("hides a company the caller may not see", async () => {
    const companyId = newId();
    await t.db.insert(companies).values({ id: companyId, name: "B's company", ...owned(repB, teamB) });
    const contactId = newId();
    await t.db.insert(contacts).values({ id: contactId, name: "Shared", companyId, ...owned(repA, teamA) });
    const { body } = await once(`/api/v1/contacts/${contactId}/360`, asRepA);
    expect(body.company).toBeNull();
    expect(body.deals).toEqual([]);
    expect(body.timeline).toEqual({ items: [], nextCursor: null });
  });
});
