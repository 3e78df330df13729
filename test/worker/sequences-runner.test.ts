// The sequence runner, driven by the minute cron with the scheduled time as the clock: business-day delays
// counted on the owner's own calendar (UTC+7 and UTC−5, across a weekend), steps at 09:00 owner-local time,
// each step once however the cron fires (twice, overlapping, or two runners with the lease out of the way),
// emails through the templates' send path (consent respected), tasks for the owner, and a large run fanned
// out through the events queue.
import { eq, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { beforeAll, describe, expect, it } from "vitest";
import { contacts, sequenceEnrolments, sequenceStepRuns, settings } from "../../db/schema/index.ts";
import { enrolStatements } from "../../db/sequences/enrolments.ts";
import { SEQUENCE_STEPS_DUE } from "../../queues/sequences/messages.ts";
import { executeRun, leaseDue, planRun } from "../../queues/sequences/runner.ts";
import { createUser, type TestUser } from "./factories.ts";
import { DAY, MINUTE, sequencesTest } from "./sequences-support.ts";

// One database for the file: each test keeps to its own days, as a cron's lease is per job and minute.
const s = sequencesTest();
const { t } = s;

let admin: TestUser;
let api: Awaited<ReturnType<typeof s.as>>;
let transactional: string;
let marketing: string;

beforeAll(async () => {
  admin = await createUser(t.db, { role: "admin" });
  api = await s.as(admin);
  transactional = await s.templateVia(api, "transactional");
  marketing = await s.templateVia(api, "marketing");
});

/** Enrols as a workflow would, at a chosen time (the API enrols at the wall clock). */
async function enrolAt(sequenceId: string, contactId: string, at: number) {
  const statements = enrolStatements(t.db, { sequenceId, contactId, enrolledBy: null }, at);
  await t.db.batch(statements as unknown as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
  const [row] = await s.enrolmentsOf(contactId);
  if (!row) throw new Error("not enrolled");
  return row.id;
}

async function state(contactId: string) {
  const [row] = await s.enrolmentsOf(contactId);
  const runs = row
    ? await t.db.select().from(sequenceStepRuns).where(eq(sequenceStepRuns.enrolmentId, row.id))
    : [];
  return { ...row, runs };
}

const utc = (iso: string) => Date.parse(`${iso}Z`);
const email = (delayDays: number, templateId = transactional) => ({ type: "email", delayDays, templateId });

describe("business days in the owner's time zone", () => {
  it("UTC+7: Friday afternoon, then Monday 09:00 and Wednesday 09:00 Ho Chi Minh City time", async () => {
    const owner = await s.userIn("Asia/Ho_Chi_Minh");
    const id = await s.sequenceVia(api, [
      email(0),
      email(1),
      { type: "task", delayDays: 2, title: "Call", priority: "high", dueInDays: 1 },
    ]);
    const contactId = await s.contactOf(owner);
    // Friday 9 January 2026, 16:00 in Ho Chi Minh City.
    await enrolAt(id, contactId, utc("2026-01-09T09:00:00"));

    await s.cron(utc("2026-01-09T09:00:00"));
    expect((await s.received(contactId)).emails).toHaveLength(1);

    // The weekend and Monday before 09:00 local (02:00 UTC) send nothing.
    for (const at of ["2026-01-10T02:00:00", "2026-01-11T02:00:00", "2026-01-12T01:59:00"]) {
      await s.cron(utc(at));
    }
    expect((await s.received(contactId)).emails).toHaveLength(1);
    await s.cron(utc("2026-01-12T02:00:00"));
    expect((await s.received(contactId)).emails).toHaveLength(2);

    // Two business days after Monday: Wednesday 09:00 local.
    await s.cron(utc("2026-01-13T02:00:00"));
    await s.cron(utc("2026-01-14T01:59:00"));
    expect((await s.received(contactId)).tasks).toHaveLength(0);
    await s.cron(utc("2026-01-14T02:00:00"));
    const { tasks, sequenceEntries } = await s.received(contactId);
    expect(tasks).toHaveLength(1);
    // Due one business day later at 17:00 local: Thursday 10:00 UTC.
    expect(tasks[0]).toMatchObject({
      title: "Call",
      priority: "high",
      ownerId: owner.id,
      status: "open",
      dueAt: utc("2026-01-15T10:00:00"),
    });
    expect(await state(contactId)).toMatchObject({
      status: "completed",
      completedAt: utc("2026-01-14T02:00:00"),
    });
    expect(sequenceEntries.map((e) => e.meta.sequenceEvent)).toEqual([
      "enrolled",
      "step_done",
      "step_done",
      "step_done",
      "completed",
    ]);
    expect(sequenceEntries.map((e) => e.subject)).toEqual([
      "Enrolled in sequence “Cadence”",
      "Sequence “Cadence”: step 1 of 3, email sent",
      "Sequence “Cadence”: step 2 of 3, email sent",
      "Sequence “Cadence”: step 3 of 3, task created",
      "Completed sequence “Cadence”",
    ]);
  });

  it("UTC+7: counts from the owner's local date, not UTC's (late Sunday UTC is Monday there)", async () => {
    const owner = await s.userIn("Asia/Ho_Chi_Minh");
    const id = await s.sequenceVia(api, [email(0), email(1)]);
    const contactId = await s.contactOf(owner);
    // Sunday 23:00 UTC = Monday 06:00 in Ho Chi Minh City: one business day later is Tuesday 09:00 local.
    await enrolAt(id, contactId, utc("2026-01-18T23:00:00"));
    await s.cron(utc("2026-01-18T23:00:00"));
    await s.cron(utc("2026-01-19T09:00:00"));
    expect((await s.received(contactId)).emails).toHaveLength(1);
    await s.cron(utc("2026-01-20T02:00:00"));
    expect((await s.received(contactId)).emails).toHaveLength(2);
  });

  it("UTC−5: Friday evening in New York, then Monday 09:00 New York time (14:00 UTC)", async () => {
    const owner = await s.userIn("America/New_York");
    const id = await s.sequenceVia(api, [email(0), email(1), email(2)]);
    const contactId = await s.contactOf(owner);
    // Friday 23 January 2026, 22:00 in New York = Saturday 03:00 UTC.
    await enrolAt(id, contactId, utc("2026-01-24T03:00:00"));
    await s.cron(utc("2026-01-24T03:00:00"));
    expect((await s.received(contactId)).emails).toHaveLength(1);

    for (const at of ["2026-01-25T14:00:00", "2026-01-26T09:00:00", "2026-01-26T13:59:00"]) {
      await s.cron(utc(at));
    }
    expect((await s.received(contactId)).emails).toHaveLength(1);
    await s.cron(utc("2026-01-26T14:00:00"));
    expect((await s.received(contactId)).emails).toHaveLength(2);
    // Two business days after Monday: Wednesday 09:00 New York time.
    await s.cron(utc("2026-01-28T13:59:00"));
    expect((await s.received(contactId)).emails).toHaveLength(2);
    await s.cron(utc("2026-01-28T14:00:00"));
    expect((await s.received(contactId)).emails).toHaveLength(3);
    expect((await state(contactId)).runs.map((r) => r.ranAt)).toEqual([
      utc("2026-01-24T03:00:00"),
      utc("2026-01-26T14:00:00"),
      utc("2026-01-28T14:00:00"),
    ]);
  });

  it("uses the organisation's time zone for a contact without an owner", async () => {
    await t.db
      .insert(settings)
      .values({ key: "timeZone", value: JSON.stringify("Asia/Tokyo"), updatedAt: Date.now() })
      .onConflictDoUpdate({ target: settings.key, set: { value: JSON.stringify("Asia/Tokyo") } });
    const id = await s.sequenceVia(api, [email(1)]);
    const contactId = await s.contactOf(null);
    await enrolAt(id, contactId, utc("2026-01-30T09:00:00"));
    // Monday 09:00 in Tokyo is 00:00 UTC.
    await s.cron(utc("2026-02-01T23:59:00"));
    expect((await s.received(contactId)).emails).toHaveLength(0);
    await s.cron(utc("2026-02-02T00:00:00"));
    expect((await s.received(contactId)).emails).toHaveLength(1);
    await t.db.delete(settings).where(eq(settings.key, "timeZone"));
  });
});

describe("exactly once", () => {
  it("sends each step once when the cron fires twice for a minute, or two minutes overlap", async () => {
    const owner = await s.userIn("UTC");
    const id = await s.sequenceVia(api, [email(0), email(1)]);
    const contactId = await s.contactOf(owner);
    const at = utc("2026-02-02T08:00:00");
    await enrolAt(id, contactId, at);

    await Promise.all([s.cron(at), s.cron(at), s.cron(at + MINUTE), s.cron(at + MINUTE)]);
    await s.cron(at + 2 * MINUTE);
    expect((await s.received(contactId)).emails).toHaveLength(1);

    const next = utc("2026-02-03T09:00:00");
    await Promise.all([s.cron(next), s.cron(next + MINUTE), s.cron(next), s.cron(next + 2 * MINUTE)]);
    const { emails, sequenceEntries } = await s.received(contactId);
    expect(emails).toHaveLength(2);
    expect(sequenceEntries.filter((e) => e.meta.sequenceEvent === "step_done")).toHaveLength(2);
    expect(await state(contactId)).toMatchObject({ status: "completed", currentStep: 2 });
  });

  it("runs a step once when two runners both decided to run it (the lease out of the way)", async () => {
    const owner = await s.userIn("UTC");
    const id = await s.sequenceVia(api, [email(0), { type: "task", delayDays: 0, title: "Call" }]);
    const contactId = await s.contactOf(owner);
    const at = utc("2026-02-09T08:00:00");
    const enrolmentId = await enrolAt(id, contactId, at);

    // Runner A leases and reads; its lease lapses; runner B leases and reads the same step.
    const a = await leaseDue(t.db, at, 1000);
    expect(a.ids).toContain(enrolmentId);
    const planA = await planRun(t.db, a.claim, [enrolmentId], at);
    await t.db
      .update(sequenceEnrolments)
      .set({ leaseUntil: 0 })
      .where(eq(sequenceEnrolments.id, enrolmentId));
    const b = await leaseDue(t.db, at, 1000);
    expect(b.ids).toContain(enrolmentId);
    const planB = await planRun(t.db, b.claim, [enrolmentId], at);
    expect(planA.map((p) => p.action.kind)).toEqual(["run"]);
    expect(planB.map((p) => p.action.kind)).toEqual(["run"]);

    await Promise.all([executeRun(t.db, a.claim, planA, at), executeRun(t.db, b.claim, planB, at)]);
    // And a retry of a runner's whole batch changes nothing either.
    await executeRun(t.db, a.claim, planA, at);
    const { emails, timeline, sequenceEntries } = await s.received(contactId);
    expect(emails).toHaveLength(1);
    expect(timeline.filter((a) => a.type === "email")).toHaveLength(1);
    expect(sequenceEntries.filter((e) => e.meta.sequenceEvent === "step_done")).toHaveLength(1);
    expect(await state(contactId)).toMatchObject({ currentStep: 1, leaseClaim: null });

    // The task step, once too.
    const c = await leaseDue(t.db, at, 1000);
    const planC = await planRun(t.db, c.claim, [enrolmentId], at);
    await Promise.all([executeRun(t.db, c.claim, planC, at), executeRun(t.db, c.claim, planC, at)]);
    expect((await s.received(contactId)).tasks).toHaveLength(1);
    expect(await state(contactId)).toMatchObject({ status: "completed" });
  });

  it("fans a large run out through the events queue; each chunk runs once however often it is delivered", async () => {
    const owner = await s.userIn("UTC");
    const id = await s.sequenceVia(api, [email(0)]);
    const at = utc("2026-02-16T08:00:00");
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const contactId = await s.contactOf(owner);
      ids.push(contactId);
      await enrolAt(id, contactId, at);
    }
    s.events.sent.splice(0);
    await s.cron(at);
    const chunks = s.events.sent.splice(0).filter((m) => m.type === SEQUENCE_STEPS_DUE);
    expect(chunks.length).toBe(2);
    expect(chunks.flatMap((m) => (m.data as { enrolmentIds: string[] }).enrolmentIds)).toHaveLength(30);
    expect((await s.received(ids[0] ?? "")).emails).toHaveLength(0);

    // Another run a minute later leaves the leased enrolments alone.
    await s.cron(at + MINUTE);
    expect(s.events.sent.filter((m) => m.type === SEQUENCE_STEPS_DUE)).toHaveLength(0);

    const result = await s.deliver([...chunks, ...chunks]);
    expect(result.explicitAcks).toHaveLength(4);
    await s.deliver(chunks);
    for (const contactId of ids) {
      expect((await s.received(contactId)).emails).toHaveLength(1);
      expect(await state(contactId)).toMatchObject({ status: "completed" });
    }
  });
});

describe("steps", () => {
  it("sends through the templates' send path: an outbox row and an email activity naming the sequence", async () => {
    const owner = await s.userIn("UTC");
    const id = await s.sequenceVia(api, [email(0)]);
    const contactId = await s.contactOf(owner);
    const at = utc("2026-03-02T08:00:00");
    const enrolmentId = await enrolAt(id, contactId, at);
    await s.cron(at);
    const { emails, timeline } = await s.received(contactId);
    expect(emails).toHaveLength(1);
    expect(emails[0]).toMatchObject({
      channel: "email",
      subject: "Hello Lan",
      template: `template:${transactional}`,
    });
    const activity = timeline.find((a) => a.type === "email");
    expect(activity).toMatchObject({ actorUserId: null, subject: "Hello Lan", occurredAt: at });
    expect(JSON.parse(activity?.metadata ?? "{}")).toMatchObject({
      templateId: transactional,
      outboxId: emails[0]?.id,
      sequenceId: id,
      enrolmentId,
      sequenceStep: "0",
    });
    expect((await state(contactId)).runs).toMatchObject([
      { step: 0, outcome: "sent", outboxId: emails[0]?.id },
    ]);
  });

  it("skips a marketing email without consent and goes on; stops for a contact who unsubscribed", async () => {
    const owner = await s.userIn("UTC");
    const id = await s.sequenceVia(api, [email(0, marketing), { type: "task", delayDays: 0, title: "Call" }]);
    const noConsent = await s.contactOf(owner);
    const withdrawn = await s.contactOf(owner, { emailConsent: "withdrawn" });
    const at = utc("2026-03-09T08:00:00");
    await enrolAt(id, noConsent, at);
    await enrolAt(id, withdrawn, at);
    await s.cron(at);
    await s.cron(at + MINUTE);

    const skipped = await s.received(noConsent);
    expect(skipped.emails).toEqual([]);
    expect(skipped.tasks).toHaveLength(1);
    expect((await state(noConsent)).runs.map((r) => [r.outcome, r.detail])).toEqual([
      ["skipped", "no email consent recorded for a marketing email"],
      ["created", null],
    ]);
    expect(skipped.sequenceEntries[1]?.subject).toBe(
      "Sequence “Cadence”: step 1 of 2, email skipped (no email consent recorded for a marketing email)",
    );

    const stopped = await s.received(withdrawn);
    expect(stopped.emails).toEqual([]);
    expect(stopped.tasks).toEqual([]);
    expect(await state(withdrawn)).toMatchObject({ status: "stopped", stopReason: "unsubscribed", runs: [] });
  });

  it("waits while the sequence is disabled and runs what came due once it is enabled again", async () => {
    const owner = await s.userIn("UTC");
    const id = await s.sequenceVia(api, [email(0)]);
    const contactId = await s.contactOf(owner);
    const at = Date.now() - 5 * MINUTE;
    await enrolAt(id, contactId, at);
    await api(`/api/v1/sequences/${id}`, "PATCH", { enabled: false });
    await s.cron(at + MINUTE);
    expect((await s.received(contactId)).emails).toEqual([]);
    expect((await state(contactId)).nextRunAt).toBe(at + MINUTE + DAY);

    await api(`/api/v1/sequences/${id}`, "PATCH", { enabled: true });
    await s.cron(Date.now() + MINUTE);
    expect((await s.received(contactId)).emails).toHaveLength(1);
  });

  it("completes an enrolment whose sequence lost its remaining steps, and stops one whose contact was deleted", async () => {
    const owner = await s.userIn("UTC");
    const id = await s.sequenceVia(api, [email(0), email(3)]);
    const kept = await s.contactOf(owner);
    const deleted = await s.contactOf(owner);
    const at = Date.now() - 5 * MINUTE;
    await enrolAt(id, kept, at);
    await enrolAt(id, deleted, at);
    await s.cron(at);
    expect((await s.received(kept)).emails).toHaveLength(1);

    await api(`/api/v1/sequences/${id}`, "PATCH", { steps: [email(0)] });
    await t.db.update(contacts).set({ deletedAt: Date.now() }).where(eq(contacts.id, deleted));
    await s.cron(Date.now() + MINUTE);
    expect(await state(kept)).toMatchObject({ status: "completed", currentStep: 1 });
    expect(await state(deleted)).toMatchObject({ status: "stopped", stopReason: "contact_deleted" });
    expect((await s.received(kept)).emails).toHaveLength(1);
  });
});

describe("a step that cannot be written", () => {
  it("holds back only its own enrolment: the others in the run go ahead", async () => {
    await t.db.run(sql`create trigger poison_task before insert on tasks when new.title = 'Poison'
      begin select raise(abort, 'poisoned'); end`);
    try {
      const owner = await s.userIn("UTC");
      const poisoned = await s.sequenceVia(
        api,
        [{ type: "task", delayDays: 0, title: "Poison" }],
        "Poisoned",
      );
      const healthy = await s.sequenceVia(api, [email(0)], "Healthy");
      const bad = await s.contactOf(owner);
      const good = await s.contactOf(owner);
      const at = utc("2026-03-16T08:00:00");
      await enrolAt(poisoned, bad, at);
      await enrolAt(healthy, good, at);
      await s.cron(at);
      expect((await s.received(good)).emails).toHaveLength(1);
      expect(await state(good)).toMatchObject({ status: "completed" });
      expect(await state(bad)).toMatchObject({ status: "active", currentStep: 0, runs: [] });
      expect((await s.received(bad)).tasks).toEqual([]);
    } finally {
      await t.db.run(sql`drop trigger poison_task`);
    }
  });
});

describe("ids made in SQL", () => {
  it("are UUIDv7 carrying the time they were made", async () => {
    const owner = await s.userIn("UTC");
    const id = await s.sequenceVia(api, [email(5)]);
    const contactId = await s.contactOf(owner);
    await api(`/api/v1/sequences/${id}/enrolments`, "POST", { contactIds: [contactId] });
    await api(`/api/v1/sequences/${id}/unenrolments`, "POST", { contactIds: [contactId] });
    const stopped = (await s.received(contactId)).sequenceEntries.at(-1);
    expect(stopped?.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const ms = Number.parseInt((stopped?.id ?? "").replace(/-/g, "").slice(0, 12), 16);
    expect(ms).toBe(stopped?.occurredAt);
    const [{ n } = { n: 0 }] = await t.db.all<{ n: number }>(
      sql`select count(distinct id) as n from activities`,
    );
    const [{ m } = { m: 0 }] = await t.db.all<{ m: number }>(sql`select count(*) as m from activities`);
    expect(n).toBe(m);
  });
});
