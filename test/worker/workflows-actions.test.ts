// Every action type, run by the engine from a real trigger against the real database and the Worker's queue
// handler: tasks, templated email (consent respected), notifications, fields, owners (directly and through the
// assignment rules), tags, sequences, outgoing webhooks (signed, SSRF-guarded, retried) and waits (a queue
// delay, or the minute job for long ones). Each step is logged with its input and result.
import { and, eq } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { newId } from "../../db/ids.ts";
import {
  activities,
  assignments,
  contacts,
  contactTags,
  notifications,
  outbox,
  sequenceEnrolments,
  sequences,
  tasks,
  workflowRuns,
  workflows,
} from "../../db/schema/index.ts";
import { WORKFLOW_STEP } from "../../queues/workflows/messages.ts";
import { createTeam, type TestUser } from "./factories.ts";
import { mockReceiver } from "./webhooks-out-support.ts";
import {
  type Api,
  createContact,
  createDeal,
  createWorkflow,
  people,
  workflowsTest,
} from "./workflows-support.ts";

const w = workflowsTest();
let admin: Api;
let adminUser: TestUser;
let repUser: TestUser;

beforeAll(async () => {
  const p = await people(w);
  admin = p.adminApi;
  adminUser = p.admin;
  repUser = p.rep;
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** A workflow on contacts created with this tag in their job title, so each test starts only its own. */
async function onContact(marker: string, actions: unknown[]) {
  return createWorkflow(admin, {
    trigger: { type: "record.created", recordType: "contact" },
    conditions: { all: [{ field: "jobTitle", op: "equals", value: marker }] },
    actions,
  });
}

async function onlyRun(workflowId: string) {
  const runs = await w.runsOf(workflowId);
  expect(runs).toHaveLength(1);
  const run = runs[0];
  if (!run) throw new Error("no run");
  return { run, steps: await w.stepsOf(run.id) };
}

async function template(kind: "marketing" | "transactional") {
  const response = await admin("POST", "/api/v1/email-templates", {
    name: `${kind} welcome`,
    kind,
    variants: { en: { subject: "Welcome, {{contact.firstName}}", html: "<p>Hi {{contact.name}}</p>" } },
  });
  expect(response.status).toBe(201);
  return response.body.id as string;
}

describe("records", () => {
  it("create_task: for the record's owner, due as set, linked to the record, title filled in", async () => {
    const id = await onContact("task", [
      {
        type: "create_task",
        title: "Call {{record.name}}",
        notes: "Email {{record.email}}",
        dueInDays: 2,
        priority: "high",
      },
      { type: "create_task", title: "Second look", assignTo: { userId: repUser.id } },
    ]);
    const contact = await createContact(admin, { jobTitle: "task", name: "Trần Minh" });
    await w.pump();
    const { run, steps } = await onlyRun(id);
    expect(run.status).toBe("completed");
    const made = await w.t.db.select().from(tasks).where(eq(tasks.contactId, contact.id)).orderBy(tasks.id);
    expect(made.map((t) => [t.title, t.ownerId, t.priority])).toEqual([
      ["Call Trần Minh", adminUser.id, "high"],
      ["Second look", repUser.id, "normal"],
    ]);
    expect(made[0]?.notes).toBe(`Email ${contact.emails ? (contact.emails as string[])[0] : ""}`);
    expect(made[0]?.dueAt).toBe((made[0]?.createdAt ?? 0) + 2 * 86_400_000);
    expect(steps.map((s) => [s.step, s.action, s.status])).toEqual([
      [0, "create_task", "done"],
      [1, "create_task", "done"],
    ]);
    expect(JSON.parse(steps[0]?.result ?? "{}")).toEqual({ taskId: made[0]?.id });
    expect(JSON.parse(steps[0]?.input ?? "{}")).toMatchObject({
      title: "Call Trần Minh",
      contactId: contact.id,
    });
  });

  it("set_field: a column and a custom field, the version going up, the event carrying the run as its cause", async () => {
    await admin("POST", "/api/v1/custom-fields", {
      object: "contact",
      key: "segment",
      label: "Segment",
      type: "text",
    });
    const id = await onContact("fields", [
      { type: "set_field", field: "leadStatus", value: "attempting" },
      { type: "set_field", field: "custom.segment", value: "SMB" },
    ]);
    const contact = await createContact(admin, { jobTitle: "fields" });
    await w.pump();
    const [row] = await w.t.db.select().from(contacts).where(eq(contacts.id, contact.id));
    expect(row?.leadStatus).toBe("attempting");
    expect(JSON.parse(row?.custom ?? "{}")).toEqual({ segment: "SMB" });
    expect(row?.version).toBe(contact.version + 2);
    const { run, steps } = await onlyRun(id);
    expect(JSON.parse(steps[0]?.result ?? "{}")).toEqual({ from: null, to: "attempting" });
    const events = await w.t.db.all<{ cause: string }>(
      `select cause from domain_events where record_id = '${contact.id}' and type = 'contact.updated'`,
    );
    expect(events.map((e) => JSON.parse(e.cause))).toEqual([
      { workflowId: id, runId: run.id, depth: 1 },
      { workflowId: id, runId: run.id, depth: 1 },
    ]);
  });

  it("change_owner: to a named user, with the team following and an owner_change entry", async () => {
    const team = await createTeam(w.t.db, "Hà Nội", [{ user: repUser }]);
    const id = await createWorkflow(admin, {
      trigger: { type: "record.created", recordType: "deal" },
      conditions: { all: [{ field: "name", op: "equals", value: "Owner deal" }] },
      actions: [{ type: "change_owner", userId: repUser.id }],
    });
    const deal = await createDeal(admin, { name: "Owner deal" });
    await w.pump();
    expect((await onlyRun(id)).run.status).toBe("completed");
    const rows = await w.t.db.all<{ owner_id: string; team_id: string }>(
      `select owner_id, team_id from deals where id = '${deal.id}'`,
    );
    expect(rows[0]).toEqual({ owner_id: repUser.id, team_id: team });
    const entries = await w.t.db
      .select()
      .from(activities)
      .where(and(eq(activities.dealId, deal.id), eq(activities.type, "owner_change")));
    expect(entries).toHaveLength(1);
    expect(JSON.parse(entries[0]?.metadata ?? "{}")).toMatchObject({
      from: adminUser.id,
      to: repUser.id,
      workflowId: id,
    });
  });

  it("change_owner through the assignment rules: the rules pick the owner, once", async () => {
    const rules = await admin("PUT", "/api/v1/assignment/rules", {
      rules: [
        {
          id: "vip",
          name: "VIPs to the rep",
          when: [{ field: "source", in: ["vip-list"] }],
          assignTo: { type: "user", userId: repUser.id },
        },
      ],
      fallbackOwnerId: null,
    });
    expect(rules.status, JSON.stringify(rules.body)).toBe(200);
    const id = await onContact("route", [{ type: "change_owner", via: "assignment_rules" }]);
    const contact = await createContact(admin, { jobTitle: "route", source: "vip-list" });
    await w.pump();
    const { run, steps } = await onlyRun(id);
    expect(run.status).toBe("completed");
    expect(JSON.parse(steps[0]?.result ?? "{}")).toEqual({ ruleId: "vip", ruleName: "VIPs to the rep" });
    const [row] = await w.t.db.select().from(contacts).where(eq(contacts.id, contact.id));
    expect(row?.ownerId).toBe(repUser.id);
    const made = await w.t.db.select().from(assignments).where(eq(assignments.contactId, contact.id));
    expect(made.map((a) => [a.eventId, a.reason, a.userId])).toEqual([
      [`workflow:${run.id}:0`, "workflow", repUser.id],
    ]);
  });

  it("add_tag and remove_tag on the record's contact", async () => {
    const id = await onContact("tags", [
      { type: "add_tag", tag: "vip" },
      { type: "add_tag", tag: "temporary" },
      { type: "remove_tag", tag: "temporary" },
    ]);
    const contact = await createContact(admin, { jobTitle: "tags" });
    await w.pump();
    expect((await onlyRun(id)).run.status).toBe("completed");
    const tags = await w.t.db.select().from(contactTags).where(eq(contactTags.contactId, contact.id));
    expect(tags.map((t) => t.tag)).toEqual(["vip"]);
  });
});

describe("email and notifications", () => {
  it("send_email: transactional goes out with its timeline entry; marketing without consent is skipped, saying why", async () => {
    const transactional = await template("transactional");
    const marketing = await template("marketing");
    const id = await onContact("email", [
      { type: "send_email", templateId: transactional },
      { type: "send_email", templateId: marketing },
      { type: "create_task", title: "After the emails" },
    ]);
    const contact = await createContact(admin, { jobTitle: "email", firstName: "Lan" });
    await w.pump();
    const { run, steps } = await onlyRun(id);
    expect(run.status).toBe("completed");
    expect(steps.map((s) => s.status)).toEqual(["done", "skipped", "done"]);
    expect(JSON.parse(steps[1]?.result ?? "{}")).toEqual({ skipped: "no_consent" });
    const sent = await w.t.db.select().from(outbox).where(eq(outbox.contactId, contact.id));
    expect(sent.map((m) => [m.subject, m.template])).toEqual([["Welcome, Lan", `template:${transactional}`]]);
    const entries = await w.t.db
      .select()
      .from(activities)
      .where(and(eq(activities.contactId, contact.id), eq(activities.type, "email")));
    expect(entries).toHaveLength(1);
    expect(JSON.parse(entries[0]?.metadata ?? "{}")).toMatchObject({
      workflowId: id,
      runId: run.id,
      outboxId: sent[0]?.id,
    });
  });

  it("send_email: marketing goes out once consent is granted; a deleted template fails the run", async () => {
    const marketing = await template("marketing");
    const id = await onContact("consented", [{ type: "send_email", templateId: marketing }]);
    const contact = await createContact(admin, { jobTitle: "consented", consent: { email: "granted" } });
    await w.pump();
    expect((await onlyRun(id)).steps.map((s) => s.status)).toEqual(["done"]);
    expect(await w.t.db.select().from(outbox).where(eq(outbox.contactId, contact.id))).toHaveLength(1);

    const gone = await template("transactional");
    await admin("DELETE", `/api/v1/email-templates/${gone}`);
    const failing = await onContact("no-template", [{ type: "send_email", templateId: gone }]);
    await createContact(admin, { jobTitle: "no-template" });
    await w.pump();
    const { run, steps } = await onlyRun(failing);
    expect(run).toMatchObject({ status: "failed", failedStep: 0 });
    expect(run.error).toContain("was not found");
    expect(steps[0]).toMatchObject({ status: "failed", attempts: 1 });
  });

  it("notify: the record's owner, through their channels, once", async () => {
    const id = await onContact("notify", [
      { type: "notify", title: "New VIP: {{record.name}}", body: "Call today" },
    ]);
    const contact = await createContact(admin, { jobTitle: "notify", name: "Phạm Hùng" });
    await w.pump();
    const { run } = await onlyRun(id);
    const rows = await w.t.db.select().from(notifications).where(eq(notifications.contactId, contact.id));
    expect(rows.map((n) => [n.userId, n.kind, n.title, n.body, n.dedupeKey])).toEqual([
      [adminUser.id, "workflow", "New VIP: Phạm Hùng", "Call today", `workflow:${run.id}:0`],
    ]);
    expect(rows[0]?.link).toBe(`/contacts/${contact.id}`);
  });
});

describe("sequences", () => {
  it("enrol_in_sequence and remove_from_sequence", async () => {
    const now = Date.now();
    const sequenceId = newId();
    await w.t.db.insert(sequences).values({
      id: sequenceId,
      name: "Onboarding",
      steps: JSON.stringify([{ type: "task", title: "Kick-off call", delayDays: 1 }]),
      createdAt: now,
      updatedAt: now,
    });
    const enrol = await onContact("enrol", [{ type: "enrol_in_sequence", sequenceId }]);
    const contact = await createContact(admin, { jobTitle: "enrol" });
    await w.pump();
    expect((await onlyRun(enrol)).run.status).toBe("completed");
    const enrolled = await w.t.db
      .select()
      .from(sequenceEnrolments)
      .where(eq(sequenceEnrolments.contactId, contact.id));
    expect(enrolled.map((e) => [e.sequenceId, e.status])).toEqual([[sequenceId, "active"]]);
    expect(JSON.parse(enrolled[0]?.cause ?? "{}")).toMatchObject({ workflowId: enrol });

    const remove = await createWorkflow(admin, {
      trigger: { type: "contact.lifecycle_changed", to: ["customer"] },
      actions: [{ type: "remove_from_sequence", sequenceId }],
    });
    await admin("PATCH", `/api/v1/contacts/${contact.id}`, { lifecycleStage: "customer" });
    await w.pump();
    expect((await onlyRun(remove)).run.status).toBe("completed");
    const after = await w.t.db
      .select()
      .from(sequenceEnrolments)
      .where(eq(sequenceEnrolments.contactId, contact.id));
    expect(after.map((e) => [e.status, e.stopReason])).toEqual([["stopped", "workflow"]]);
  });
});

describe("outgoing webhooks", () => {
  it("call_webhook: signed per Standard Webhooks with the workflow's secret, with an idempotency key", async () => {
    const receiver = mockReceiver([{ status: 200 }]);
    const id = await onContact("hook", [{ type: "call_webhook", url: receiver.url }]);
    const contact = await createContact(admin, { jobTitle: "hook" });
    await w.pump();
    const { run, steps } = await onlyRun(id);
    expect(run.status).toBe("completed");
    expect(receiver.received).toHaveLength(1);
    const request = receiver.received[0];
    if (!request) throw new Error("no request");
    const [row] = await w.t.db.select().from(workflows).where(eq(workflows.id, id));
    const payload = new Webhook(row?.signingSecret ?? "").verify(request.body, request.headers) as {
      type: string;
      data: { record: { id: string }; run: { id: string } };
    };
    expect(payload.type).toBe("workflow.webhook");
    expect(payload.data.record.id).toBe(contact.id);
    expect(request.headers["idempotency-key"]).toBe(`wf_${run.id}_0`);
    expect(request.headers["webhook-id"]).toBe(`wf_${run.id}_0`);
    expect(JSON.parse(steps[0]?.result ?? "{}")).toMatchObject({ status: 200 });
  });

  it("retries a failing receiver with backoff, the same message id each time, then fails the run", async () => {
    const receiver = mockReceiver([
      { status: 503 },
      "network",
      { status: 500 },
      { status: 502 },
      { status: 500 },
    ]);
    const id = await onContact("hook-down", [{ type: "call_webhook", url: receiver.url, timeoutSeconds: 5 }]);
    await createContact(admin, { jobTitle: "hook-down" });
    await w.pump();
    const delays: number[] = [];
    for (let attempt = 0; attempt < 6; attempt++) {
      const retry = w.takeDelayed().filter((m) => m.body.type === WORKFLOW_STEP);
      if (retry.length === 0) break;
      delays.push(...retry.map((m) => m.delaySeconds));
      await w.t.queue(
        "crm-events",
        retry.map((m) => m.body),
      );
    }
    expect(delays).toEqual([30, 60, 120, 240]);
    const ids = new Set(receiver.received.map((r) => r.headers["webhook-id"]));
    expect(receiver.received).toHaveLength(5);
    expect(ids.size).toBe(1);
    const { run, steps } = await onlyRun(id);
    expect(run).toMatchObject({ status: "failed", failedStep: 0, error: "the webhook answered 500" });
    expect(steps[0]).toMatchObject({ status: "failed", attempts: 5 });
  });

  it("refuses a private target (SSRF) at once, without calling it", async () => {
    const receiver = mockReceiver();
    const id = await onContact("hook-private", [
      { type: "call_webhook", url: "http://169.254.169.254/latest/meta-data" },
    ]);
    await createContact(admin, { jobTitle: "hook-private" });
    await w.pump();
    const { run } = await onlyRun(id);
    expect(run.status).toBe("failed");
    expect(run.error).toContain("SSRF");
    expect(receiver.others).toEqual([]);
  });
});

describe("wait", () => {
  it("a short wait is a queue delay: the run waits, then goes on when the delayed message arrives", async () => {
    const id = await onContact("short-wait", [
      { type: "wait", hours: 2 },
      { type: "add_tag", tag: "after-wait" },
    ]);
    const contact = await createContact(admin, { jobTitle: "short-wait" });
    await w.pump();
    const { run } = await onlyRun(id);
    expect(run).toMatchObject({ status: "waiting", nextStep: 1 });
    expect(run.resumeAt).toBe((run.updatedAt ?? 0) + 2 * 3_600_000);
    const delayed = w.takeDelayed().filter((m) => m.body.type === WORKFLOW_STEP);
    expect(delayed.map((m) => m.delaySeconds)).toEqual([7200]);
    // The queue delivers it when the delay is over: the test stands in for the clock by moving resumeAt back.
    await w.t.db
      .update(workflowRuns)
      .set({ resumeAt: Date.now() - 1000 })
      .where(eq(workflowRuns.id, run.id));
    await w.t.queue(
      "crm-events",
      delayed.map((m) => m.body),
    );
    await w.pump();
    expect((await onlyRun(id)).run.status).toBe("completed");
    const tags = await w.t.db.select().from(contactTags).where(eq(contactTags.contactId, contact.id));
    expect(tags.map((t) => t.tag)).toEqual(["after-wait"]);
  });

  it("a step message that comes early waits again rather than running", async () => {
    const id = await onContact("early", [
      { type: "wait", minutes: 30 },
      { type: "add_tag", tag: "late" },
    ]);
    const contact = await createContact(admin, { jobTitle: "early" });
    await w.pump();
    const early = w.takeDelayed().filter((m) => m.body.type === WORKFLOW_STEP);
    await w.t.queue(
      "crm-events",
      early.map((m) => m.body),
    );
    const again = w.takeDelayed().filter((m) => m.body.type === WORKFLOW_STEP);
    expect(again).toHaveLength(1);
    expect(again[0]?.delaySeconds).toBeGreaterThan(1700);
    expect(await w.t.db.select().from(contactTags).where(eq(contactTags.contactId, contact.id))).toEqual([]);
    expect((await onlyRun(id)).run.status).toBe("waiting");
  });

  it("a wait longer than the queue can hold is woken by the minute job", async () => {
    const id = await onContact("long-wait", [
      { type: "wait", days: 3 },
      { type: "add_tag", tag: "three-days-later" },
    ]);
    const contact = await createContact(admin, { jobTitle: "long-wait" });
    await w.pump();
    const { run } = await onlyRun(id);
    expect(run.status).toBe("waiting");
    expect(run.wakeAt).toBe(run.resumeAt);
    expect(w.takeDelayed().filter((m) => m.body.type === WORKFLOW_STEP)).toEqual([]);
    await w.t.scheduled("* * * * *", (run.resumeAt ?? 0) - 60_000);
    await w.pump();
    expect((await onlyRun(id)).run.status).toBe("waiting");
    await w.t.scheduled("* * * * *", (run.resumeAt ?? 0) + 30_000);
    await w.pump();
    expect((await onlyRun(id)).run.status).toBe("completed");
    const tags = await w.t.db.select().from(contactTags).where(eq(contactTags.contactId, contact.id));
    expect(tags.map((t) => t.tag)).toEqual(["three-days-later"]);
  });
});
