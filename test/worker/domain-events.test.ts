// Domain events: what users do through the API is recorded by triggers in the same transaction (every column
// before and after), dispatched to the events queue after the write answered, once per event however many
// dispatchers run, and tagged with the cause a workflow gives its writes. Overdue tasks are flagged once.
import { eq, getTableColumns, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { withWriteCause } from "../../db/domain-events.ts";
import { newId } from "../../db/ids.ts";
import { contacts, deals, domainEvents, tasks } from "../../db/schema/index.ts";
import { dispatchDomainEvents } from "../../queues/domain-events/dispatch.ts";
import { DISPATCH_EVENTS, type DomainEvent } from "../../queues/domain-events/types.ts";
import type { QueueMessage } from "../../queues/message.ts";
import { flagOverdueTasks } from "../../queues/reminders/job.ts";
import { createUser, sessionFor, type TestUser } from "./factories.ts";
import { fakeQueue } from "./forms-support.ts";
import { useTestDatabase } from "./support.ts";

const events = fakeQueue();
const t = useTestDatabase({ EVENTS_QUEUE: events.queue });
const MINUTE = 60_000;

let rep: TestUser;
let headers: Record<string, string>;

beforeAll(async () => {
  rep = await createUser(t.db, { role: "rep" });
  headers = { ...(await sessionFor(t.db, rep)).headers, "Content-Type": "application/json" };
});

async function call(method: string, path: string, body?: unknown, extra: Record<string, string> = {}) {
  const response = await t.fetch(path, {
    method,
    headers: { ...headers, ...extra },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, etag: response.headers.get("ETag"), body: text ? JSON.parse(text) : {} };
}

/** The events recorded for one record, oldest first, as the queue will carry them. */
async function recorded(recordId: string) {
  const rows = await t.db
    .select()
    .from(domainEvents)
    .where(eq(domainEvents.recordId, recordId))
    .orderBy(domainEvents.seq);
  return rows.map((row) => ({
    type: row.type,
    ...(JSON.parse(row.data) as Pick<DomainEvent, "before" | "after">),
    row,
  }));
}

const services = () => ({
  db: t.db,
  config: {} as never,
  queues: { capture: events.queue, events: events.queue, outbound: events.queue },
});

describe("recording", () => {
  it("records a contact's life: created, updated with before and after, lifecycle, consent, deleted, restored", async () => {
    const created = await call("POST", "/api/v1/contacts", {
      name: "Nguyễn Văn An",
      emails: ["an@example.vn"],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;

    const [first] = await recorded(id);
    expect(first?.type).toBe("contact.created");
    expect(first?.before).toBeNull();
    // Every column of the table is in the event, JSON columns as JSON.
    expect(Object.keys(first?.after ?? {}).sort()).toEqual(Object.keys(getTableColumns(contacts)).sort());
    expect(first?.after).toMatchObject({ id, email: "an@example.vn", custom: {}, emails: expect.any(Array) });
    expect(first?.row.createdAt).toBe(created.body.createdAt);

    const updated = await call(
      "PATCH",
      `/api/v1/contacts/${id}`,
      { jobTitle: "CFO", lifecycleStage: "mql", consent: { email: "granted" } },
      { "If-Match": created.etag ?? "" },
    );
    expect(updated.status, JSON.stringify(updated.body)).toBe(200);
    const afterUpdate = await recorded(id);
    expect(afterUpdate.map((e) => e.type).sort()).toEqual(
      ["contact.consent_changed", "contact.created", "contact.lifecycle_changed", "contact.updated"].sort(),
    );
    const edit = afterUpdate.find((e) => e.type === "contact.updated");
    expect(edit?.before).toMatchObject({ jobTitle: null, lifecycleStage: "lead" });
    expect(edit?.after).toMatchObject({ jobTitle: "CFO", lifecycleStage: "mql", emailConsent: "granted" });

    expect((await call("DELETE", `/api/v1/contacts/${id}`)).status).toBe(204);
    expect((await call("POST", `/api/v1/contacts/${id}/restore`)).status).toBe(200);
    const types = (await recorded(id)).map((e) => e.type);
    expect(types.slice(-2)).toEqual(["contact.deleted", "contact.restored"]);
    // Deleting is not also an "updated": one event says what happened.
    expect(types.filter((type) => type === "contact.updated")).toHaveLength(1);
  });

  it("records a deal moved to a won stage as updated, stage_changed and won", async () => {
    const [pipeline] = (await call("GET", "/api/v1/pipelines")).body.items as {
      id: string;
      stages: { id: string; outcome: string | null }[];
    }[];
    if (!pipeline) throw new Error("the default pipeline is missing");
    const open = pipeline.stages.find((s) => s.outcome === null);
    const won = pipeline.stages.find((s) => s.outcome === "won");
    const deal = await call("POST", "/api/v1/deals", {
      name: "Lotus 200 seats",
      amount: 5_000_000,
      currency: "VND",
      pipelineId: pipeline.id,
      stageId: open?.id,
    });
    expect(deal.status).toBe(201);
    const moved = await call("POST", `/api/v1/deals/${deal.body.id}/move`, { stageId: won?.id });
    expect(moved.status).toBe(200);

    const history = await recorded(deal.body.id);
    expect(history.map((e) => e.type).sort()).toEqual(
      ["deal.created", "deal.stage_changed", "deal.updated", "deal.won"].sort(),
    );
    const change = history.find((e) => e.type === "deal.stage_changed");
    expect(change?.before).toMatchObject({ stageId: open?.id, status: "open" });
    expect(change?.after).toMatchObject({ stageId: won?.id, status: "won" });
    expect(Object.keys(change?.after ?? {}).sort()).toEqual(Object.keys(getTableColumns(deals)).sort());
  });

  it("records tasks created and completed, and activities logged", async () => {
    const task = await call("POST", "/api/v1/tasks", { title: "Send the quote", dueAt: Date.now() + MINUTE });
    expect(task.status).toBe(201);
    const done = await call(
      "PATCH",
      `/api/v1/tasks/${task.body.id}`,
      { status: "done" },
      { "If-Match": task.etag ?? "" },
    );
    expect(done.status).toBe(200);
    expect((await recorded(task.body.id)).map((e) => e.type).sort()).toEqual(
      ["task.completed", "task.created", "task.updated"].sort(),
    );

    const contact = await call("POST", "/api/v1/contacts", { name: "Trần Bình" });
    const call1 = await call("POST", "/api/v1/activities", {
      type: "call",
      contactId: contact.body.id,
      subject: "Discovery call",
      outcome: "connected",
    });
    expect(call1.status).toBe(201);
    const [logged] = await recorded(call1.body.id);
    expect(logged).toMatchObject({
      type: "activity.created",
      after: { type: "call", contactId: contact.body.id },
    });
  });

  it("records nothing for a write that was refused", async () => {
    const before = await t.db.select({ n: sql<number>`count(*)` }).from(domainEvents);
    const refused = await call("POST", "/api/v1/contacts", { name: "" });
    expect(refused.status).toBe(422);
    const stale = await call(
      "PATCH",
      `/api/v1/contacts/${newId()}`,
      { jobTitle: "x" },
      { "If-Match": '"1"' },
    );
    expect(stale.status).toBe(404);
    const after = await t.db.select({ n: sql<number>`count(*)` }).from(domainEvents);
    expect(after[0]?.n).toBe(before[0]?.n);
  });

  it("carries the cause a batch was written with, and only that batch", async () => {
    const id = newId();
    const now = Date.now();
    const cause = { workflowId: "wf_1", runId: "run_1", depth: 2 };
    await t.db.batch(
      withWriteCause(t.db, cause, [
        t.db.insert(contacts).values({ id, name: "Caused", createdAt: now, updatedAt: now }),
      ]) as [never, ...never[]],
    );
    await t.db
      .update(contacts)
      .set({ name: "Uncaused", version: sql`version + 1`, updatedAt: now + 1 })
      .where(eq(contacts.id, id));
    const [created, updated] = await recorded(id);
    expect(JSON.parse(created?.row.cause ?? "null")).toEqual(cause);
    expect(updated?.row.cause).toBeNull();
  });
});

describe("dispatch", () => {
  it("asks for a dispatch after a write, not after a read or a refusal", async () => {
    events.dispatchRequests.splice(0);
    await call("POST", "/api/v1/contacts", { name: "Asked" });
    expect(events.dispatchRequests.map((m) => m.type)).toEqual([DISPATCH_EVENTS]);
    events.dispatchRequests.splice(0);
    await call("GET", "/api/v1/contacts");
    await call("POST", "/api/v1/contacts", { name: "" });
    expect(events.dispatchRequests).toEqual([]);
  });

  it("sends each pending event once, in order, with its id and shape, and marks it dispatched", async () => {
    events.sent.splice(0);
    const created = await call("POST", "/api/v1/contacts", { name: "Dispatched" });
    events.sent.splice(0);

    // Two dispatchers at once: each event goes out once between them.
    const [a, b] = await Promise.all([
      dispatchDomainEvents(services(), Date.now()),
      dispatchDomainEvents(services(), Date.now()),
    ]);
    const sent = events.sent.splice(0) as QueueMessage[];
    expect(sent).toHaveLength((a ?? 0) + (b ?? 0));
    expect(new Set(sent.map((m) => m.id)).size).toBe(sent.length);
    const mine = sent.find((m) => (m.data as DomainEvent).recordId === created.body.id);
    expect(mine).toMatchObject({
      type: "contact.created",
      createdAt: created.body.createdAt,
      data: { recordType: "contact", before: null, after: { name: "Dispatched" }, cause: null },
    });
    if (!mine) throw new Error("the contact's event was not sent");
    expect(mine.id).toBe(`evt_${(mine.data as DomainEvent).seq}`);
    const seqs = sent.map((m) => (m.data as DomainEvent).seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));

    const pending = await t.db.select().from(domainEvents).where(sql`dispatched_at is null`);
    expect(pending).toEqual([]);
    expect(await dispatchDomainEvents(services(), Date.now())).toBe(0);
  });

  it("sends again what a dispatcher claimed and never marked, once its claim lapsed", async () => {
    const id = newId();
    const now = Date.now();
    await t.db.insert(contacts).values({ id, name: "Lost claim", createdAt: now, updatedAt: now });
    // A dispatcher claimed it, then died before sending.
    await t.db
      .update(domainEvents)
      .set({ claimedUntil: now + MINUTE })
      .where(eq(domainEvents.recordId, id));
    events.sent.splice(0);
    await dispatchDomainEvents(services(), now);
    expect(events.sent).toEqual([]);
    await dispatchDomainEvents(services(), now + MINUTE);
    expect(events.sent.map((m) => (m.data as DomainEvent).recordId)).toEqual([id]);
  });

  it("dispatches through the events consumer and the minute cron", async () => {
    const id = newId();
    const now = Date.now();
    await t.db.insert(contacts).values({ id, name: "Through the queue", createdAt: now, updatedAt: now });
    events.sent.splice(0);
    const result = await t.queue("crm-events", [
      { id: newId(), type: DISPATCH_EVENTS, createdAt: now, data: {} },
    ]);
    expect(result.explicitAcks).toHaveLength(1);
    expect(events.sent.map((m) => (m.data as DomainEvent).recordId)).toContain(id);

    const later = newId();
    await t.db.insert(contacts).values({ id: later, name: "By the cron", createdAt: now, updatedAt: now });
    events.sent.splice(0);
    await t.scheduled("* * * * *", Date.UTC(2026, 10, 23, 10, 0));
    expect(events.sent.map((m) => (m.data as DomainEvent).recordId)).toContain(later);
  });
});

describe("overdue tasks", () => {
  async function task(dueAt: number | null) {
    const id = newId();
    await t.db.insert(tasks).values({
      id,
      title: "Follow up",
      dueAt,
      ownerId: rep.id,
      createdAt: 0,
      updatedAt: 0,
    });
    return id;
  }

  it("flags an open task once its due time passed, once, with one task.due event", async () => {
    const due = Date.UTC(2026, 10, 23, 9, 0);
    const id = await task(due);
    const later = await task(due + 60 * MINUTE);
    await task(null);

    await flagOverdueTasks(t.db, due - MINUTE);
    expect((await recorded(id)).filter((e) => e.type === "task.due")).toHaveLength(0);
    await flagOverdueTasks(t.db, due);
    await flagOverdueTasks(t.db, due + MINUTE);
    const [row] = await t.db.select().from(tasks).where(eq(tasks.id, id));
    expect(row?.overdueAt).toBe(due);
    const dueEvents = (await recorded(id)).filter((e) => e.type === "task.due");
    expect(dueEvents).toHaveLength(1);
    expect(dueEvents[0]?.row.createdAt).toBe(due);
    const [notYet] = await t.db.select().from(tasks).where(eq(tasks.id, later));
    expect(notYet?.overdueAt).toBeNull();
  });

  it("clears the flag when the due time moves later, and flags it again when that passes", async () => {
    const due = Date.UTC(2026, 10, 24, 9, 0);
    const id = await task(due);
    await flagOverdueTasks(t.db, due);
    await t.db
      .update(tasks)
      .set({ dueAt: due + 120 * MINUTE })
      .where(eq(tasks.id, id));
    const [snoozed] = await t.db.select().from(tasks).where(eq(tasks.id, id));
    expect(snoozed?.overdueAt).toBeNull();
    await flagOverdueTasks(t.db, due + 120 * MINUTE);
    expect((await recorded(id)).filter((e) => e.type === "task.due")).toHaveLength(2);
  });

  it("shows the flag through the API, and does not flag a done task", async () => {
    const due = Date.UTC(2026, 10, 25, 9, 0);
    const id = await task(due);
    const done = await task(due);
    await t.db.update(tasks).set({ status: "done" }).where(eq(tasks.id, done));
    await flagOverdueTasks(t.db, due + MINUTE);
    const read = await call("GET", `/api/v1/tasks/${id}`);
    expect(read.body.overdueAt).toBe(due + MINUTE);
    expect((await call("GET", `/api/v1/tasks/${done}`)).body.overdueAt).toBeNull();
  });
});
