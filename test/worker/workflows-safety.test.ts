// The workflow engine's safety promises: a failed run retried from its failed step never repeats the steps
// before it (the email sent once, the task created once); a step delivered twice does its work once; a
// workflow whose own write would start it again on the same record stops at the loop guard, and chains across
// workflows stop at the depth limit, each with a logged reason; a run keeps the version it started on when the
// workflow is edited while it waits; a deleted workflow's run stops at its next step. The run log is read
// through the API, per workflow and per record.
import { eq } from "drizzle-orm";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { newId } from "../../db/ids.ts";
import { auditLog, contacts, outbox, tasks, workflowRuns } from "../../db/schema/index.ts";
import { dispatchDomainEvents } from "../../queues/domain-events/dispatch.ts";
import { WORKFLOW_STEP } from "../../queues/workflows/messages.ts";
import { LOOP_GUARD } from "../../queues/workflows/start.ts";
import { createUser, type TestUser } from "./factories.ts";
import { mockReceiver } from "./webhooks-out-support.ts";
import { type Api, createContact, createWorkflow, people, workflowsTest } from "./workflows-support.ts";

const w = workflowsTest();
let admin: Api;
let adminUser: TestUser;

beforeAll(async () => {
  const p = await people(w);
  admin = p.adminApi;
  adminUser = p.admin;
});

afterEach(() => {
  vi.restoreAllMocks();
});

const marked = (marker: string) => ({
  trigger: { type: "record.created", recordType: "contact" },
  conditions: { all: [{ field: "jobTitle", op: "equals", value: marker }] },
});

/** Delivers the held-back retries of step messages until none is left (the receiver decides how many). */
async function drainRetries() {
  for (let i = 0; i < 10; i++) {
    const retries = w.takeDelayed().filter((m) => m.body.type === WORKFLOW_STEP);
    if (retries.length === 0) return;
    await w.t.queue(
      "crm-events",
      retries.map((m) => m.body),
    );
  }
}

describe("retry from the failed step", () => {
  it("a run whose step fails and is retried does not repeat the steps before it (email sent once, task created once)", async () => {
    const receiver = mockReceiver([
      { status: 500 },
      { status: 500 },
      { status: 500 },
      { status: 500 },
      { status: 500 },
    ]);
    const templateId = (
      await admin("POST", "/api/v1/email-templates", {
        name: "Welcome",
        kind: "transactional",
        variants: { en: { subject: "Welcome {{contact.name}}", html: "<p>Hello</p>" } },
      })
    ).body.id as string;
    const id = await createWorkflow(admin, {
      ...marked("retry"),
      actions: [
        { type: "send_email", templateId },
        { type: "create_task", title: "Onboard {{record.name}}" },
        { type: "call_webhook", url: receiver.url },
        { type: "add_tag", tag: "synced" },
      ],
    });
    const contact = await createContact(admin, { jobTitle: "retry", name: "Đỗ Quyên" });
    await w.pump();
    await drainRetries();

    const [failed] = await w.runsOf(id);
    expect(failed).toMatchObject({ status: "failed", failedStep: 2, nextStep: 2 });
    // The run log through the API: the steps before the failure done, the failed one with its error.
    const detail = await admin("GET", `/api/v1/workflow-runs/${failed?.id}`);
    expect(detail.status).toBe(200);
    expect(detail.trips).toBe(1);
    expect(detail.body.steps.map((s: { action: string; status: string }) => [s.action, s.status])).toEqual([
      ["send_email", "done"],
      ["create_task", "done"],
      ["call_webhook", "failed"],
    ]);
    expect(detail.body.steps[2]).toMatchObject({ error: "the webhook answered 500", attempts: 5 });

    // The receiver is back: retry the run (as an admin would), then deliver everything, twice over.
    const retried = await admin("POST", `/api/v1/workflow-runs/${failed?.id}/retry`);
    expect(retried.status).toBe(202);
    expect(retried.trips).toBe(1);
    expect(retried.body).toMatchObject({ status: "running", nextStep: 2, error: null });
    const audit = await w.t.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.targetId, failed?.id ?? ""));
    expect(audit.map((entry) => [entry.action, entry.actorUserId])).toEqual([
      ["workflow_run.retried", adminUser.id],
    ]);
    const resent = w.events.sent.filter((m) => m.body.type === WORKFLOW_STEP).map((m) => m.body);
    expect(resent.map((m) => m.data)).toEqual([expect.objectContaining({ runId: failed?.id, step: 2 })]);
    // A stray delivery of the first steps' messages does nothing either.
    await w.t.queue("crm-events", [
      {
        id: newId(),
        type: WORKFLOW_STEP,
        createdAt: Date.now(),
        data: { runId: failed?.id, step: 0, recordType: "contact", recordId: contact.id },
      },
      {
        id: newId(),
        type: WORKFLOW_STEP,
        createdAt: Date.now(),
        data: { runId: failed?.id, step: 1, recordType: "contact", recordId: contact.id },
      },
    ]);
    await w.pump();

    const [done] = await w.runsOf(id);
    expect(done?.status).toBe("completed");
    expect(await w.t.db.select().from(outbox).where(eq(outbox.contactId, contact.id))).toHaveLength(1);
    expect(await w.t.db.select().from(tasks).where(eq(tasks.contactId, contact.id))).toHaveLength(1);
    expect(receiver.received).toHaveLength(6);
    const steps = await w.stepsOf(done?.id ?? "");
    expect(steps.map((s) => [s.action, s.status])).toEqual([
      ["send_email", "done"],
      ["create_task", "done"],
      ["call_webhook", "done"],
      ["add_tag", "done"],
    ]);

    // Only a failed run can be retried.
    const again = await admin("POST", `/api/v1/workflow-runs/${failed?.id}/retry`);
    expect(again.status).toBe(409);
    expect(again.headers.get("Content-Type")).toContain("application/problem+json");
    expect((await admin("POST", `/api/v1/workflow-runs/${newId()}/retry`)).status).toBe(404);
  });

  it("a step delivered twice at once does its work once", async () => {
    const id = await createWorkflow(admin, {
      ...marked("twice"),
      actions: [{ type: "create_task", title: "Once" }],
    });
    const contact = await createContact(admin, { jobTitle: "twice" });
    await dispatchDomainEvents(w.services());
    await w.t.queue(
      "crm-events",
      w.events.sent.splice(0).map((m) => m.body),
    );
    const step = w.events.sent.filter((m) => m.body.type === WORKFLOW_STEP).map((m) => m.body);
    expect(step).toHaveLength(1);
    w.events.sent = [];
    await Promise.all([
      w.t.queue("crm-events", step),
      w.t.queue("crm-events", step),
      w.t.queue("crm-events", step),
    ]);
    await w.pump();
    expect(await w.t.db.select().from(tasks).where(eq(tasks.contactId, contact.id))).toHaveLength(1);
    expect((await w.runsOf(id)).map((r) => r.status)).toEqual(["completed"]);
  });
});

describe("loop guard and depth limit", () => {
  it("a workflow that sets a field that triggers itself stops at the loop guard, with a logged reason", async () => {
    const id = await createWorkflow(admin, {
      trigger: { type: "record.updated", recordType: "contact" },
      conditions: { all: [{ field: "source", op: "equals", value: "loop" }] },
      actions: [{ type: "set_field", field: "jobTitle", value: "Looped" }],
    });
    const contact = await createContact(admin, { source: "loop" });
    await admin("PATCH", `/api/v1/contacts/${contact.id}`, { address: "12 Lý Thường Kiệt" });
    await w.pump();
    const runs = await w.runsOf(id);
    expect(runs.map((r) => [r.status, r.reason, r.depth])).toEqual([
      ["completed", null, 0],
      ["skipped", LOOP_GUARD, 1],
    ]);
    const [row] = await w.t.db.select().from(contacts).where(eq(contacts.id, contact.id));
    expect(row?.jobTitle).toBe("Looped");
    // The skip is in the run log, per record, through the API.
    const log = await admin("GET", `/api/v1/workflow-runs?recordId=${contact.id}`);
    expect(log.status).toBe(200);
    expect(log.trips).toBe(1);
    expect(
      log.body.items.map((r: { status: string; reason: string | null }) => [r.status, r.reason]),
    ).toEqual([
      ["skipped", "loop guard"],
      ["completed", null],
    ]);
  });

  it("two workflows that start each other stop at the depth limit, with a logged reason", async () => {
    const ping = await createWorkflow(admin, {
      trigger: { type: "record.updated", recordType: "contact" },
      conditions: { all: [{ field: "source", op: "equals", value: "ping-pong" }] },
      actions: [{ type: "set_field", field: "jobTitle", value: "Ping" }],
    });
    const pong = await createWorkflow(admin, {
      trigger: { type: "record.updated", recordType: "contact" },
      conditions: { all: [{ field: "source", op: "equals", value: "ping-pong" }] },
      actions: [{ type: "set_field", field: "address", value: "Pong" }],
    });
    const contact = await createContact(admin, { source: "ping-pong" });
    await admin("PATCH", `/api/v1/contacts/${contact.id}`, { leadStatus: "new" });
    await w.pump();
    const all = await w.t.db.select().from(workflowRuns).where(eq(workflowRuns.recordId, contact.id));
    const ran = all
      .filter((r) => r.status === "completed")
      .map((r) => r.depth)
      .sort();
    // The person's edit starts both at depth 0; each one's write starts the other one level deeper, until 5.
    expect(ran).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
    // Each one's write would also start itself again on this record: the loop guard stops that, at every level.
    const skipped = all.filter((r) => r.status === "skipped");
    const guarded = skipped
      .filter((r) => r.reason === LOOP_GUARD)
      .map((r) => r.depth)
      .sort();
    expect(guarded).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    const limited = skipped.filter((r) => r.reason === "depth limit");
    expect(limited.map((r) => r.depth)).toEqual([5, 5]);
    expect(new Set(limited.map((r) => r.workflowId))).toEqual(new Set([ping, pong]));
  });
});

describe("versions", () => {
  it("editing a workflow during a delayed run leaves that run on its original version", async () => {
    const id = await createWorkflow(admin, {
      ...marked("versioned"),
      actions: [
        { type: "create_task", title: "v1: first" },
        { type: "wait", days: 2 },
        { type: "create_task", title: "v1: after the wait" },
      ],
    });
    const first = await createContact(admin, { jobTitle: "versioned" });
    await w.pump();
    const [waiting] = await w.runsOf(id);
    expect(waiting).toMatchObject({ status: "waiting", version: 1, nextStep: 2 });

    const edited = await admin("PUT", `/api/v1/workflows/${id}`, {
      name: "Edited",
      ...marked("versioned"),
      actions: [{ type: "create_task", title: "v2: only" }],
    });
    expect(edited.body.version).toBe(2);
    const second = await createContact(admin, { jobTitle: "versioned" });
    await w.pump();

    await w.t.scheduled("* * * * *", (waiting?.resumeAt ?? 0) + 60_000);
    await w.pump();
    const titles = async (contactId: string) =>
      (await w.t.db.select().from(tasks).where(eq(tasks.contactId, contactId)).orderBy(tasks.id)).map(
        (t) => t.title,
      );
    expect(await titles(first.id)).toEqual(["v1: first", "v1: after the wait"]);
    expect(await titles(second.id)).toEqual(["v2: only"]);
    const runs = await w.runsOf(id);
    expect(runs.map((r) => [r.recordId, r.version, r.status])).toEqual([
      [first.id, 1, "completed"],
      [second.id, 2, "completed"],
    ]);
    // The per-workflow run log.
    const log = await admin("GET", `/api/v1/workflows/${id}/runs`);
    expect(log.status).toBe(200);
    expect(log.body.items.map((r: { version: number }) => r.version)).toEqual([2, 1]);
  });

  it("a deleted workflow's waiting run is cancelled at its next step", async () => {
    const id = await createWorkflow(admin, {
      ...marked("deleted"),
      actions: [
        { type: "wait", days: 1 },
        { type: "create_task", title: "Never" },
      ],
    });
    const contact = await createContact(admin, { jobTitle: "deleted" });
    await w.pump();
    const [run] = await w.runsOf(id);
    expect((await admin("DELETE", `/api/v1/workflows/${id}`)).status).toBe(204);
    await w.t.scheduled("* * * * *", (run?.resumeAt ?? 0) + 20 * 60_000);
    await w.pump({ delayed: true });
    expect((await w.runsOf(id)).map((r) => [r.status, r.reason])).toEqual([
      ["cancelled", "workflow deleted"],
    ]);
    expect(await w.t.db.select().from(tasks).where(eq(tasks.contactId, contact.id))).toEqual([]);
  });
});

describe("run log access", () => {
  it("shows a manager only the runs on records they may see; reps are refused", async () => {
    const id = await createWorkflow(admin, {
      ...marked("visible"),
      actions: [{ type: "add_tag", tag: "seen" }],
    });
    await createContact(admin, { jobTitle: "visible" });
    await w.pump();
    const manager = await w.as(await createUser(w.t.db, { role: "manager" }));
    const theirs = await manager("GET", `/api/v1/workflows/${id}/runs`);
    expect(theirs.status).toBe(200);
    expect(theirs.body.items).toEqual([]);
    const [run] = await w.runsOf(id);
    expect((await manager("GET", `/api/v1/workflow-runs/${run?.id}`)).status).toBe(404);
    const everything = await admin("GET", `/api/v1/workflow-runs?workflowId=${id}`);
    expect(everything.body.items.map((r: { id: string }) => r.id)).toEqual([run?.id]);
    const rep = await w.as(await createUser(w.t.db, { role: "rep" }));
    expect((await rep("GET", `/api/v1/workflow-runs?recordId=${run?.recordId}`)).status).toBe(403);
  });
});
