// The sequences API: create, read, change and delete sequences (managers and admins; 422 on bad steps or an
// unknown template, 412 on a stale If-Match, nothing written on an error); enrol and unenrol contacts with a
// result per contact (404 per contact the caller cannot see, at most one active enrolment per contact), each
// leaving a timeline entry; and the enrolment lists of a sequence and of a contact. One round trip each.
import { eq, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../db/ids.ts";
import { sequenceEnrolments, sequences } from "../../db/schema/index.ts";
import { enrolStatements, unenrolStatements } from "../../db/sequences/enrolments.ts";
import { createUser, type TestUser } from "./factories.ts";
import { DAY, sequencesTest } from "./sequences-support.ts";

const s = sequencesTest();
const { t } = s;

let admin: TestUser;
let manager: TestUser;
let rep: TestUser;
let templateId: string;

beforeAll(async () => {
  admin = await createUser(t.db, { role: "admin" });
  manager = await createUser(t.db, { role: "manager" });
  rep = await createUser(t.db, { role: "rep" });
  templateId = await s.templateVia(await s.as(admin));
});

const emailStep = () => ({ type: "email", delayDays: 0, templateId });
const taskStep = { type: "task", delayDays: 2, title: "Call the lead", dueInDays: 1 };

describe("sequences", () => {
  it("creates one with defaults filled in, reads it with its ETag, and lists it, one round trip each", async () => {
    const api = await s.as(manager);
    const created = await api("/api/v1/sequences", "POST", {
      name: "New leads",
      steps: [emailStep(), taskStep],
    });
    expect(created.status).toBe(201);
    expect(created.trips).toBe(1);
    expect(created.headers.get("Location")).toBe(`/api/v1/sequences/${created.body.id}`);
    expect(created.body).toMatchObject({
      name: "New leads",
      enabled: true,
      activeEnrolments: 0,
      createdBy: manager.id,
      version: 1,
      steps: [
        { type: "email", delayDays: 0, templateId, lang: "en" },
        { type: "task", delayDays: 2, title: "Call the lead", priority: "normal", dueInDays: 1 },
      ],
    });

    const read = await (await s.as(rep))(`/api/v1/sequences/${created.body.id}`);
    expect(read.status).toBe(200);
    expect(read.trips).toBe(1);
    expect(read.headers.get("ETag")).toBe('W/"1"');
    expect(read.body.steps).toEqual(created.body.steps);

    const list = await api("/api/v1/sequences?limit=200");
    expect(list.status).toBe(200);
    expect(list.trips).toBe(1);
    expect(list.body.items.map((i: { id: string }) => i.id)).toContain(created.body.id);
  });

  it("refuses bad steps and unknown templates with a 422 naming the step, writing nothing", async () => {
    const api = await s.as(admin);
    const before = await t.db.select().from(sequences);
    const cases: unknown[] = [
      [],
      [{ type: "sms", delayDays: 0 }],
      [{ type: "email", delayDays: -1, templateId }],
      [{ type: "email", delayDays: 0.5, templateId }],
      [{ type: "task", delayDays: 1 }],
      [{ ...emailStep(), extra: 1 }],
    ];
    for (const steps of cases) {
      const response = await api("/api/v1/sequences", "POST", { name: "Bad", steps });
      expect(response.status, JSON.stringify(steps)).toBe(422);
      expect(response.headers.get("Content-Type")).toContain("application/problem+json");
    }
    const unknown = await api("/api/v1/sequences", "POST", {
      name: "Unknown template",
      steps: [taskStep, { type: "email", delayDays: 1, templateId: newId() }],
    });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors).toEqual([
      { path: "steps.1.templateId", message: "No email template with this id" },
    ]);
    expect(await t.db.select().from(sequences)).toHaveLength(before.length);
  });

  it("lets reps read but not write, and read-only users neither write", async () => {
    const repApi = await s.as(rep);
    const refused = await repApi("/api/v1/sequences", "POST", { name: "Mine", steps: [taskStep] });
    expect(refused.status).toBe(403);
    const id = await s.sequenceVia(await s.as(admin), [taskStep]);
    expect((await repApi(`/api/v1/sequences/${id}`, "PATCH", { name: "x" })).status).toBe(403);
    expect((await repApi(`/api/v1/sequences/${id}`, "DELETE")).status).toBe(403);
    const readOnly = await s.as(await createUser(t.db, { role: "read_only" }));
    expect((await readOnly(`/api/v1/sequences/${id}`)).status).toBe(200);
    expect((await readOnly(`/api/v1/sequences/${id}`, "DELETE")).status).toBe(403);
    const [row] = await t.db.select().from(sequences).where(eq(sequences.id, id));
    expect(row?.deletedAt).toBeNull();
  });

  it("changes name, steps and enabled with If-Match; 412 when stale, 404 when unknown", async () => {
    const api = await s.as(manager);
    const id = await s.sequenceVia(api, [taskStep]);
    const changed = await api(
      `/api/v1/sequences/${id}`,
      "PATCH",
      { name: "Renamed", enabled: false, steps: [taskStep, emailStep()] },
      { "If-Match": 'W/"1"' },
    );
    expect(changed.status).toBe(200);
    expect(changed.trips).toBe(1);
    expect(changed.headers.get("ETag")).toBe('W/"2"');
    expect(changed.body).toMatchObject({ name: "Renamed", enabled: false, version: 2 });
    expect(changed.body.steps).toHaveLength(2);

    const stale = await api(`/api/v1/sequences/${id}`, "PATCH", { name: "Again" }, { "If-Match": 'W/"1"' });
    expect(stale.status).toBe(412);
    const badTemplate = await api(`/api/v1/sequences/${id}`, "PATCH", {
      steps: [{ type: "email", delayDays: 0, templateId: newId() }],
    });
    expect(badTemplate.status).toBe(422);
    const [row] = await t.db.select().from(sequences).where(eq(sequences.id, id));
    expect(row).toMatchObject({ name: "Renamed", version: 2 });
    expect((await api(`/api/v1/sequences/${newId()}`, "PATCH", { name: "x" })).status).toBe(404);
  });

  it("deletes a sequence: its contacts leave it with a timeline entry, and it is gone", async () => {
    const api = await s.as(manager);
    const id = await s.sequenceVia(api, [taskStep]);
    const contactId = await s.contactOf(manager);
    expect(
      (await api(`/api/v1/sequences/${id}/enrolments`, "POST", { contactIds: [contactId] })).status,
    ).toBe(200);

    const deleted = await api(`/api/v1/sequences/${id}`, "DELETE");
    expect(deleted.status).toBe(204);
    expect(deleted.trips).toBe(1);
    const [enrolment] = await s.enrolmentsOf(contactId);
    expect(enrolment).toMatchObject({ status: "stopped", stopReason: "sequence_deleted" });
    const { sequenceEntries } = await s.received(contactId);
    expect(sequenceEntries.map((e) => e.meta.sequenceEvent)).toEqual(["enrolled", "stopped"]);
    expect(sequenceEntries[1]?.subject).toBe("Left sequence “Cadence”: the sequence was deleted");

    expect((await api(`/api/v1/sequences/${id}`)).status).toBe(404);
    expect((await api(`/api/v1/sequences/${id}`, "DELETE")).status).toBe(404);
    expect(
      (await api(`/api/v1/sequences/${id}/enrolments`, "POST", { contactIds: [contactId] })).status,
    ).toBe(404);
  });
});

describe("enrolment", () => {
  it("enrols visible contacts once, with a result per contact, a timeline entry each, in one round trip", async () => {
    const id = await s.sequenceVia(await s.as(admin), [taskStep]);
    const api = await s.as(rep);
    const mine = await s.contactOf(rep);
    const other = await s.contactOf(await createUser(t.db, { role: "rep" }));
    const unknown = newId();

    const first = await api(`/api/v1/sequences/${id}/enrolments`, "POST", {
      contactIds: [mine, other, unknown, mine],
    });
    expect(first.status).toBe(200);
    expect(first.trips).toBe(1);
    const enrolmentId = first.body.results[0].enrolmentId as string;
    expect(first.body.results).toEqual([
      { contactId: mine, status: "enrolled", enrolmentId },
      { contactId: other, status: "not_found" },
      { contactId: unknown, status: "not_found" },
      { contactId: mine, status: "already_enrolled", enrolmentId },
    ]);
    expect(first.body.counts).toEqual({ enrolled: 1, already_enrolled: 1, not_found: 2 });

    const again = await api(`/api/v1/sequences/${id}/enrolments`, "POST", { contactIds: [mine] });
    expect(again.body.results).toEqual([{ contactId: mine, status: "already_enrolled", enrolmentId }]);

    expect(await s.enrolmentsOf(other)).toEqual([]);
    const [row] = await s.enrolmentsOf(mine);
    expect(row).toMatchObject({ id: enrolmentId, status: "active", currentStep: 0, enrolledBy: rep.id });
    const { sequenceEntries } = await s.received(mine);
    expect(sequenceEntries).toHaveLength(1);
    expect(sequenceEntries[0]).toMatchObject({
      actorUserId: rep.id,
      subject: "Enrolled in sequence “Cadence”",
    });
    expect(sequenceEntries[0]?.meta).toMatchObject({
      sequenceEvent: "enrolled",
      sequenceId: id,
      enrolmentId,
    });
  });

  it("keeps a contact in a sequence once when two requests enrol it at the same time", async () => {
    const id = await s.sequenceVia(await s.as(admin), [taskStep]);
    const contactId = await s.contactOf(rep);
    const api = await s.as(rep);
    const answers = await Promise.all(
      [1, 2, 3].map(() => api(`/api/v1/sequences/${id}/enrolments`, "POST", { contactIds: [contactId] })),
    );
    const statuses = answers.map((a) => a.body.results[0].status).sort();
    expect(statuses).toEqual(["already_enrolled", "already_enrolled", "enrolled"]);
    expect(await s.enrolmentsOf(contactId)).toHaveLength(1);
  });

  it("answers 409 for a disabled sequence and 404 for an unknown one, writing nothing; 422 without contacts", async () => {
    const adminApi = await s.as(admin);
    const id = await s.sequenceVia(adminApi, [taskStep]);
    await adminApi(`/api/v1/sequences/${id}`, "PATCH", { enabled: false });
    const contactId = await s.contactOf(rep);
    const api = await s.as(rep);
    const disabled = await api(`/api/v1/sequences/${id}/enrolments`, "POST", { contactIds: [contactId] });
    expect(disabled.status).toBe(409);
    expect(disabled.body.detail).toContain("disabled");
    expect(disabled.trips).toBe(1);
    const unknown = await api(`/api/v1/sequences/${newId()}/enrolments`, "POST", { contactIds: [contactId] });
    expect(unknown.status).toBe(404);
    expect((await api(`/api/v1/sequences/${id}/enrolments`, "POST", { contactIds: [] })).status).toBe(422);
    expect((await api(`/api/v1/sequences/${id}/enrolments`, "POST", {})).status).toBe(422);
    const readOnly = await s.as(await createUser(t.db, { role: "read_only" }));
    expect(
      (await readOnly(`/api/v1/sequences/${id}/enrolments`, "POST", { contactIds: [contactId] })).status,
    ).toBe(403);
    expect(await s.enrolmentsOf(contactId)).toEqual([]);
    expect((await s.received(contactId)).timeline).toEqual([]);
  });

  it("unenrols with a result per contact and a timeline entry; the contact can be enrolled again later", async () => {
    const id = await s.sequenceVia(await s.as(admin), [taskStep]);
    const api = await s.as(rep);
    const mine = await s.contactOf(rep);
    const notIn = await s.contactOf(rep);
    const hidden = await s.contactOf(await createUser(t.db, { role: "rep" }));
    await s
      .as(admin)
      .then((a) => a(`/api/v1/sequences/${id}/enrolments`, "POST", { contactIds: [mine, hidden] }));
    const first = (await s.enrolmentsOf(mine))[0]?.id;

    const out = await api(`/api/v1/sequences/${id}/unenrolments`, "POST", {
      contactIds: [mine, notIn, hidden],
    });
    expect(out.status).toBe(200);
    expect(out.trips).toBe(1);
    expect(out.body.results).toEqual([
      { contactId: mine, status: "unenrolled", enrolmentId: first },
      { contactId: notIn, status: "not_enrolled" },
      { contactId: hidden, status: "not_found" },
    ]);
    expect(out.body.counts).toEqual({ unenrolled: 1, not_enrolled: 1, not_found: 1 });
    expect((await s.enrolmentsOf(mine))[0]).toMatchObject({ status: "stopped", stopReason: "manual" });
    // Rep B's contact stays: the rep could not see it.
    expect((await s.enrolmentsOf(hidden))[0]).toMatchObject({ status: "active" });
    const stopped = (await s.received(mine)).sequenceEntries.at(-1);
    expect(stopped).toMatchObject({
      actorUserId: rep.id,
      subject: "Left sequence “Cadence”: taken out by hand",
    });

    const back = await api(`/api/v1/sequences/${id}/enrolments`, "POST", { contactIds: [mine] });
    expect(back.body.results[0].status).toBe("enrolled");
    expect(back.body.results[0].enrolmentId).not.toBe(first);
    expect(
      (await api(`/api/v1/sequences/${newId()}/unenrolments`, "POST", { contactIds: [mine] })).status,
    ).toBe(404);
  });
});

describe("enrolment lists", () => {
  it("shows a sequence's enrolments of contacts the caller sees, filtered by state, with the next due time", async () => {
    const owner = await s.userIn("Asia/Ho_Chi_Minh");
    const adminApi = await s.as(admin);
    const id = await s.sequenceVia(adminApi, [taskStep, emailStep()]);
    const a = await s.contactOf(owner);
    const b = await s.contactOf(owner);
    const hidden = await s.contactOf(await createUser(t.db, { role: "rep" }));
    await adminApi(`/api/v1/sequences/${id}/enrolments`, "POST", { contactIds: [a, b, hidden] });
    await adminApi(`/api/v1/sequences/${id}/unenrolments`, "POST", { contactIds: [b] });

    const ownerApi = await s.as(owner);
    const all = await ownerApi(`/api/v1/sequences/${id}/enrolments`);
    expect(all.status).toBe(200);
    expect(all.trips).toBe(1);
    expect(all.body.items.map((i: { contactId: string }) => i.contactId).sort()).toEqual([a, b].sort());
    const active = await ownerApi(`/api/v1/sequences/${id}/enrolments?status=active`);
    expect(active.body.items).toHaveLength(1);
    const item = active.body.items[0];
    const [row] = await t.db.select().from(sequenceEnrolments).where(eq(sequenceEnrolments.id, item.id));
    expect(item).toMatchObject({
      contactId: a,
      sequenceId: id,
      sequenceName: "Cadence",
      status: "active",
      currentStep: 0,
      totalSteps: 2,
      stopReason: null,
      steps: [],
    });
    // Two business days after enrolment, at 09:00 in Ho Chi Minh City (02:00 UTC).
    expect(new Date(item.nextStepAt).getUTCHours()).toBe(2);
    expect(item.nextStepAt).toBeGreaterThan((row?.enrolledAt ?? 0) + DAY);
    const stopped = await ownerApi(`/api/v1/sequences/${id}/enrolments?status=stopped`);
    expect(stopped.body.items).toMatchObject([{ contactId: b, stopReason: "manual", nextStepAt: null }]);

    const page = await adminApi(`/api/v1/sequences/${id}/enrolments?limit=2`);
    expect(page.body.items).toHaveLength(2);
    const next = await adminApi(`/api/v1/sequences/${id}/enrolments?limit=2&cursor=${page.body.nextCursor}`);
    expect(next.body.items).toHaveLength(1);
    expect(next.body.nextCursor).toBeNull();
    expect((await ownerApi(`/api/v1/sequences/${newId()}/enrolments`)).status).toBe(404);
    expect((await ownerApi(`/api/v1/sequences/${id}/enrolments?status=paused`)).status).toBe(422);
  });

  it("shows a contact's enrolments across sequences; 404 for a contact the caller cannot see", async () => {
    const adminApi = await s.as(admin);
    const first = await s.sequenceVia(adminApi, [taskStep], "First");
    const second = await s.sequenceVia(adminApi, [taskStep], "Second");
    const contactId = await s.contactOf(rep);
    await adminApi(`/api/v1/sequences/${first}/enrolments`, "POST", { contactIds: [contactId] });
    await adminApi(`/api/v1/sequences/${second}/enrolments`, "POST", { contactIds: [contactId] });

    const list = await (await s.as(rep))(`/api/v1/contacts/${contactId}/sequence-enrolments`);
    expect(list.status).toBe(200);
    expect(list.trips).toBe(1);
    expect(list.body.items.map((i: { sequenceName: string }) => i.sequenceName)).toEqual(["Second", "First"]);
    const stranger = await s.as(await createUser(t.db, { role: "rep" }));
    expect((await stranger(`/api/v1/contacts/${contactId}/sequence-enrolments`)).status).toBe(404);
  });
});

describe("statements for workflows", () => {
  type Items = [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]];

  it("enrol and unenrol inside another batch, only while its condition holds, saying what they did", async () => {
    const adminApi = await s.as(admin);
    const first = await s.sequenceVia(adminApi, [taskStep], "First");
    const second = await s.sequenceVia(adminApi, [taskStep], "Second");
    const contactId = await s.contactOf(rep);
    const now = Date.now();
    const cause = { workflowId: "wf-1", runId: "run-1", depth: 1 };

    const held = enrolStatements(
      t.db,
      { sequenceId: first, contactId, enrolledBy: null, cause, when: sql`0` },
      now,
    );
    expect((await t.db.batch(held as Items))[0]).toEqual([]);
    expect(await s.enrolmentsOf(contactId)).toEqual([]);

    for (const sequenceId of [first, second]) {
      const [rows] = await t.db.batch(
        enrolStatements(t.db, { sequenceId, contactId, enrolledBy: null, cause, when: sql`1` }, now) as Items,
      );
      expect(rows).toEqual([{ id: expect.any(String), contactId }]);
    }
    const [again] = await t.db.batch(
      enrolStatements(t.db, { sequenceId: first, contactId, enrolledBy: null }, now) as Items,
    );
    expect(again).toEqual([]);
    const entered = (await s.received(contactId)).sequenceEntries;
    expect(entered).toHaveLength(2);
    expect(entered[0]?.meta).toMatchObject({ sequenceEvent: "enrolled", enrolledBy: null, cause });

    await t.db.batch(
      unenrolStatements(
        t.db,
        { sequenceId: first, contactId, reason: "workflow", when: sql`0` },
        now,
      ) as Items,
    );
    expect((await s.enrolmentsOf(contactId)).map((e) => e.status)).toEqual(["active", "active"]);
    await t.db.batch(
      unenrolStatements(t.db, { sequenceId: first, contactId, reason: "workflow" }, now) as Items,
    );
    const after = await s.enrolmentsOf(contactId);
    expect(after.find((e) => e.sequenceId === first)).toMatchObject({
      status: "stopped",
      stopReason: "workflow",
    });
    expect(after.find((e) => e.sequenceId === second)).toMatchObject({ status: "active" });
    const stopped = (await s.received(contactId)).sequenceEntries.find(
      (e) => e.meta.sequenceEvent === "stopped",
    );
    expect(stopped?.subject).toBe("Left sequence “First”: taken out by a workflow");

    // Without a sequence: out of every one.
    await t.db.batch(unenrolStatements(t.db, { contactId, reason: "workflow" }, now) as Items);
    expect((await s.enrolmentsOf(contactId)).map((e) => e.status)).toEqual(["stopped", "stopped"]);
  });
});
