// Every trigger type, end to end against the real database and the Worker's queue handler: a write through
// the API (or the engine that makes the event) records a domain event, the dispatch puts it on the events
// queue, the workflow engine starts a run when the trigger and conditions match, and its step runs. An event
// delivered twice starts one run; a trigger whose settings do not match starts none.
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../db/ids.ts";
import { contacts, contactTags, settings, tasks } from "../../db/schema/index.ts";
import { FORM_SUBMITTED_EVENT } from "../../queues/capture/message.ts";
import { dispatchDomainEvents } from "../../queues/domain-events/dispatch.ts";
import type { QueueMessage } from "../../queues/message.ts";
import { flagOverdueTasks } from "../../queues/reminders/job.ts";
import { WEBHOOK_EVENT } from "../../queues/webhooks-in/messages.ts";
import type { TestUser } from "./factories.ts";
import {
  type Api,
  createContact,
  createDeal,
  createWorkflow,
  people,
  STAGES,
  workflowsTest,
} from "./workflows-support.ts";

const w = workflowsTest();
let admin: Api;
let adminUser: TestUser;

beforeAll(async () => {
  const p = await people(w);
  admin = p.adminApi;
  adminUser = p.admin;
});

const tagAction = (tag: string) => [{ type: "add_tag", tag }];

async function tagsOf(contactId: string) {
  const rows = await w.t.db.select().from(contactTags).where(eq(contactTags.contactId, contactId));
  return rows.map((r) => r.tag).sort();
}

async function completedRuns(workflowId: string) {
  return (await w.runsOf(workflowId)).filter((r) => r.status === "completed");
}

describe("record created and updated", () => {
  it("starts on a contact created, when its field conditions hold", async () => {
    const id = await createWorkflow(admin, {
      trigger: { type: "record.created", recordType: "contact" },
      conditions: { all: [{ field: "jobTitle", op: "contains", value: "director" }] },
      actions: tagAction("new-director"),
    });
    const director = await createContact(admin, { jobTitle: "Sales Director" });
    const intern = await createContact(admin, { jobTitle: "Intern" });
    await w.pump();
    expect(await tagsOf(director.id)).toEqual(["new-director"]);
    expect(await tagsOf(intern.id)).toEqual([]);
    const runs = await w.runsOf(id);
    expect(runs.map((r) => [r.recordId, r.status, r.eventType])).toEqual([
      [director.id, "completed", "contact.created"],
    ]);
  });

  it("starts on a company updated only when one of the trigger's fields changed", async () => {
    const id = await createWorkflow(admin, {
      trigger: { type: "record.updated", recordType: "company", fields: ["industry"] },
      conditions: { all: [{ field: "industry", op: "changed_to", value: "Logistics" }] },
      actions: [{ type: "create_task", title: "Pitch fleet tracking to {{record.name}}" }],
    });
    const company = await admin("POST", "/api/v1/companies", {
      name: "Vận tải Sài Gòn",
      domain: `vt-${newId().slice(-8)}.vn`,
    });
    expect(company.status).toBe(201);
    await admin("PATCH", `/api/v1/companies/${company.body.id}`, { country: "VN" });
    await w.pump();
    expect(await w.runsOf(id)).toEqual([]);
    await admin("PATCH", `/api/v1/companies/${company.body.id}`, { industry: "Logistics" });
    await w.pump();
    const runs = await completedRuns(id);
    expect(runs).toHaveLength(1);
    const created = await w.t.db.select().from(tasks).where(eq(tasks.companyId, company.body.id));
    expect(created.map((task) => task.title)).toEqual(["Pitch fleet tracking to Vận tải Sài Gòn"]);
  });

  it("starts on a deal and a task created, and one run per event however often it is delivered", async () => {
    const dealFlow = await createWorkflow(admin, {
      trigger: { type: "record.created", recordType: "deal" },
      actions: [{ type: "set_field", field: "closeReason", value: "tracked" }],
    });
    const taskFlow = await createWorkflow(admin, {
      trigger: { type: "record.created", recordType: "task" },
      conditions: { all: [{ field: "priority", op: "equals", value: "high" }] },
      actions: [{ type: "set_field", field: "notes", value: "Escalated by a workflow" }],
    });
    const deal = await createDeal(admin);
    const task = await admin("POST", "/api/v1/tasks", { title: "Call back", priority: "high" });
    expect(task.status).toBe(201);
    // The same events twice, as a redelivery would bring them.
    const sent: QueueMessage[] = [];
    await dispatchDomainEvents(w.services());
    for (const m of w.events.sent) sent.push(m.body);
    await w.t.queue("crm-events", sent);
    await w.t.queue("crm-events", sent);
    await w.pump();
    expect((await w.runsOf(dealFlow)).map((r) => [r.recordId, r.status])).toEqual([[deal.id, "completed"]]);
    expect((await w.runsOf(taskFlow)).map((r) => [r.recordId, r.status])).toEqual([
      [task.body.id, "completed"],
    ]);
    const [row] = await w.t.db.select().from(tasks).where(eq(tasks.id, task.body.id));
    expect(row?.notes).toBe("Escalated by a workflow");
  });
});

describe("stage, lifecycle and grade changes", () => {
  it("starts when a deal moves to the given stage from the given one, not on other moves", async () => {
    const id = await createWorkflow(admin, {
      trigger: {
        type: "deal.stage_changed",
        fromStageIds: [STAGES.proposal],
        toStageIds: [STAGES.negotiation],
      },
      actions: [{ type: "create_task", title: "Send the contract for {{record.name}}" }],
    });
    const deal = await createDeal(admin, { stageId: STAGES.meeting });
    await admin("POST", `/api/v1/deals/${deal.id}/move`, { stageId: STAGES.negotiation });
    await w.pump();
    expect(await w.runsOf(id)).toEqual([]);
    await admin("POST", `/api/v1/deals/${deal.id}/move`, { stageId: STAGES.proposal });
    await admin("POST", `/api/v1/deals/${deal.id}/move`, { stageId: STAGES.negotiation });
    await w.pump();
    expect((await completedRuns(id)).map((r) => r.eventType)).toEqual(["deal.stage_changed"]);
    const made = await w.t.db.select().from(tasks).where(eq(tasks.dealId, deal.id));
    expect(made.map((t) => [t.title, t.ownerId])).toEqual([
      ["Send the contract for Phở chain rollout", adminUser.id],
    ]);
  });

  it("starts when a contact's lifecycle stage changes to the given one", async () => {
    const id = await createWorkflow(admin, {
      trigger: { type: "contact.lifecycle_changed", to: ["customer"] },
      actions: tagAction("onboarding"),
    });
    const contact = await createContact(admin, { lifecycleStage: "lead" });
    await admin("PATCH", `/api/v1/contacts/${contact.id}`, { lifecycleStage: "sql" });
    await w.pump();
    expect(await tagsOf(contact.id)).toEqual([]);
    await admin("PATCH", `/api/v1/contacts/${contact.id}`, { lifecycleStage: "customer" });
    await w.pump();
    expect(await tagsOf(contact.id)).toEqual(["onboarding"]);
    expect(await completedRuns(id)).toHaveLength(1);
  });

  it("starts when the score grade crosses into the given grade", async () => {
    const id = await createWorkflow(admin, {
      trigger: { type: "contact.grade_changed", to: ["A"] },
      actions: tagAction("hot"),
    });
    const contact = await createContact(admin);
    // Scoring writes grades straight to the contact (queues/scoring/): the trigger records the crossing.
    await w.t.db.update(contacts).set({ grade: "B" }).where(eq(contacts.id, contact.id));
    await w.pump();
    expect(await tagsOf(contact.id)).toEqual([]);
    await w.t.db.update(contacts).set({ grade: "A" }).where(eq(contacts.id, contact.id));
    await w.pump();
    expect(await tagsOf(contact.id)).toEqual(["hot"]);
    expect((await completedRuns(id)).map((r) => r.eventType)).toEqual(["contact.grade_changed"]);
  });
});

describe("forms, overdue tasks and inbound webhooks", () => {
  it("starts when a given form is submitted, for the contact it made", async () => {
    const formId = newId();
    const id = await createWorkflow(admin, {
      trigger: { type: "form.submitted", formId },
      conditions: { all: [{ field: "event.utm.source", op: "equals", value: "facebook" }] },
      actions: tagAction("from-facebook"),
    });
    const contact = await createContact(admin);
    const submitted = (submissionId: string, form: string, source: string): QueueMessage => ({
      id: `${FORM_SUBMITTED_EVENT}:${submissionId}`,
      type: FORM_SUBMITTED_EVENT,
      createdAt: Date.now(),
      data: {
        formId: form,
        submissionId,
        contactId: contact.id,
        dealId: null,
        receivedAt: Date.now(),
        utm: { source },
      },
    });
    await w.t.queue("crm-events", [submitted("s1", newId(), "facebook"), submitted("s2", formId, "google")]);
    await w.pump();
    expect(await tagsOf(contact.id)).toEqual([]);
    await w.t.queue("crm-events", [submitted("s3", formId, "facebook")]);
    await w.pump();
    expect(await tagsOf(contact.id)).toEqual(["from-facebook"]);
    expect((await w.runsOf(id)).map((r) => r.triggerKey)).toEqual([`${FORM_SUBMITTED_EVENT}:s3`]);
  });

  it("starts when an open task becomes overdue", async () => {
    const id = await createWorkflow(admin, {
      trigger: { type: "task.overdue" },
      actions: [{ type: "set_field", field: "priority", value: "high" }],
    });
    const due = Date.now() - 60_000;
    const task = await admin("POST", "/api/v1/tasks", { title: "Send the quote", dueAt: due });
    expect(task.status).toBe(201);
    await flagOverdueTasks(w.t.db, Date.now());
    await w.pump();
    const [row] = await w.t.db.select().from(tasks).where(eq(tasks.id, task.body.id));
    expect(row?.priority).toBe("high");
    expect((await completedRuns(id)).map((r) => r.eventType)).toEqual(["task.due"]);
  });

  it("starts on an inbound webhook event of the given source and type, with its payload in the conditions", async () => {
    const sourceId = newId();
    const id = await createWorkflow(admin, {
      trigger: { type: "webhook.event", sourceId, eventType: "subscription.cancelled" },
      conditions: { all: [{ field: "event.payload.plan", op: "in", value: ["pro", "enterprise"] }] },
      actions: tagAction("churn-risk"),
    });
    const contact = await createContact(admin);
    const event = (
      n: number,
      type: string,
      plan: string,
      contactId: string | null = contact.id,
    ): QueueMessage => ({
      id: `${WEBHOOK_EVENT}:inbox-${n}:0`,
      type: WEBHOOK_EVENT,
      createdAt: Date.now(),
      data: { sourceId, deliveryId: `inbox-${n}`, eventType: type, contactId, payload: { plan } },
    });
    await w.t.queue("crm-events", [
      event(1, "subscription.created", "pro"),
      event(2, "subscription.cancelled", "free"),
      event(3, "subscription.cancelled", "pro", null),
    ]);
    await w.pump();
    expect(await tagsOf(contact.id)).toEqual([]);
    await w.t.queue("crm-events", [event(4, "subscription.cancelled", "enterprise")]);
    await w.pump();
    expect(await tagsOf(contact.id)).toEqual(["churn-risk"]);
    // The event with no contact started a run too (its conditions held); its tag step had no contact to tag.
    const runs = await w.runsOf(id);
    expect(runs.map((r) => [r.recordId, r.status])).toEqual([
      [null, "completed"],
      [contact.id, "completed"],
    ]);
    const [noContact] = await w.stepsOf(runs[0]?.id ?? "");
    expect(noContact).toMatchObject({ status: "skipped", result: JSON.stringify({ skipped: "no contact" }) });
  });
});

describe("date-relative schedules", () => {
  const DAY = 86_400_000;

  it("starts N days before a deal's expected close date, once per deal and date, at the trigger's hour", async () => {
    const id = await createWorkflow(admin, {
      trigger: { type: "date", recordType: "deal", field: "expectedCloseDate", offsetDays: -3, hour: 9 },
      conditions: { all: [{ field: "amount", op: "gt", value: 1000 }] },
      actions: [{ type: "create_task", title: "Closing in 3 days: {{record.name}}" }],
    });
    const close = "2031-03-20";
    const big = await createDeal(admin, { name: "Big", expectedCloseDate: close });
    const small = await createDeal(admin, { name: "Small", amount: 10, expectedCloseDate: close });
    const other = await createDeal(admin, { name: "Later", expectedCloseDate: "2031-03-21" });
    const fire = Date.parse("2031-03-17T09:00:00Z");
    await w.t.scheduled("* * * * *", fire - 60_000);
    await w.pump();
    expect(await w.runsOf(id)).toEqual([]);
    await w.t.scheduled("* * * * *", fire);
    await w.t.scheduled("* * * * *", fire + 60_000);
    await w.t.scheduled("* * * * *", fire + 30 * 60_000);
    await w.pump();
    const runs = await w.runsOf(id);
    expect(runs.map((r) => [r.recordId, r.triggerKey, r.status])).toEqual([
      [big.id, `date:${big.id}:${close}`, "completed"],
    ]);
    expect(await w.t.db.select().from(tasks).where(eq(tasks.dealId, big.id))).toHaveLength(1);
    // The next day is the other deal's turn.
    await w.t.scheduled("* * * * *", fire + DAY);
    await w.pump();
    expect((await w.runsOf(id)).map((r) => r.recordId).sort()).toEqual([big.id, other.id].sort());
    expect((await w.runsOf(id)).some((r) => r.recordId === small.id)).toBe(false);
  });

  it("starts hours after a task's due time, and again when its due time moves", async () => {
    const id = await createWorkflow(admin, {
      trigger: { type: "date", recordType: "task", field: "dueAt", offsetHours: 2 },
      actions: [{ type: "notify", title: "Still open: {{record.title}}" }],
    });
    const due = Date.parse("2031-05-01T10:00:00Z");
    const task = await admin("POST", "/api/v1/tasks", { title: "Chase invoice", dueAt: due });
    await w.t.scheduled("* * * * *", due + 2 * 3_600_000 - 60_000);
    expect(await w.runsOf(id)).toEqual([]);
    await w.t.scheduled("* * * * *", due + 2 * 3_600_000 + 60_000);
    await w.t.scheduled("* * * * *", due + 2 * 3_600_000 + 120_000);
    await w.pump();
    expect((await w.runsOf(id)).map((r) => r.triggerKey)).toEqual([`date:${task.body.id}:${due}`]);
    const later = due + DAY;
    await admin("PATCH", `/api/v1/tasks/${task.body.id}`, { dueAt: later });
    await w.t.scheduled("* * * * *", later + 2 * 3_600_000);
    await w.pump();
    expect((await w.runsOf(id)).map((r) => r.triggerKey)).toEqual([
      `date:${task.body.id}:${due}`,
      `date:${task.body.id}:${later}`,
    ]);
  });

  it("starts a date-only trigger at its hour in the organisation's time zone", async () => {
    // 09:00 in Hanoi (UTC+7) is 02:00 UTC.
    expect((await admin("PATCH", "/api/v1/settings", { timeZone: "Asia/Ho_Chi_Minh" })).status).toBe(200);
    try {
      const id = await createWorkflow(admin, {
        trigger: { type: "date", recordType: "deal", field: "expectedCloseDate", offsetDays: -1, hour: 9 },
        actions: [{ type: "create_task", title: "Closing tomorrow: {{record.name}}" }],
      });
      const deal = await createDeal(admin, { name: "Hanoi deal", expectedCloseDate: "2032-04-10" });
      const fire = Date.parse("2032-04-09T02:00:00Z");
      await w.t.scheduled("* * * * *", fire - 60_000);
      await w.pump();
      expect(await w.runsOf(id)).toEqual([]);
      await w.t.scheduled("* * * * *", fire);
      await w.pump();
      expect((await w.runsOf(id)).map((r) => r.triggerKey)).toEqual([`date:${deal.id}:2032-04-10`]);
    } finally {
      await w.t.db.delete(settings).where(eq(settings.key, "timeZone"));
    }
  });

  it("starts on a contact's custom date field", async () => {
    await admin("POST", "/api/v1/custom-fields", {
      object: "contact",
      key: "renewal_date",
      label: "Renewal",
      type: "date",
    });
    const id = await createWorkflow(admin, {
      trigger: {
        type: "date",
        recordType: "contact",
        field: "custom.renewal_date",
        offsetDays: -30,
        hour: 8,
      },
      actions: tagAction("renewal-soon"),
    });
    const contact = await createContact(admin, { custom: { renewal_date: "2031-07-31" } });
    await w.t.scheduled("* * * * *", Date.parse("2031-07-01T08:05:00Z"));
    await w.pump();
    expect(await tagsOf(contact.id)).toEqual(["renewal-soon"]);
    expect((await completedRuns(id)).map((r) => r.triggerKey)).toEqual([`date:${contact.id}:2031-07-31`]);
  });
});
