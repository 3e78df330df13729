// The outgoing-webhooks engine on crm-events: one delivery per subscription that asks for the event (by type
// or `*`), skipped for a disabled one, none twice however often the event comes; sequence numbers per
// subscription from 1 without gaps; the envelope each delivery carries; and a delivery pass asked for.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { webhookDeliveries, webhookEvents } from "../../db/schema/index.ts";
import { FORM_SUBMITTED_EVENT } from "../../queues/capture/message.ts";
import { WEBHOOKS_DELIVER } from "../../queues/webhooks-out/deliver.ts";
import { envelopeBody } from "../../queues/webhooks-out/envelope.ts";
import { domainEvent, webhooksTest } from "./webhooks-out-support.ts";

const w = webhooksTest();
/** A database whose only subscription asks for deal.won. */
const quiet = webhooksTest();

async function deliveriesOf(subscriptionId: string) {
  return w.t.db
    .select()
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.subscriptionId, subscriptionId))
    .orderBy(webhookDeliveries.sequence);
}

describe("recording events", () => {
  it("writes a delivery for each subscription that asks for the type, skipped for a disabled one", async () => {
    const all = await w.subscribe(["*"]);
    const contacts = await w.subscribe(["contact.created", "contact.updated"]);
    const deals = await w.subscribe(["deal.won"]);
    const off = await w.subscribe(["contact.created"]);
    await w.call("PATCH", `/api/v1/webhook-subscriptions/${off.id}`, { enabled: false });
    w.outbound.sent.length = 0;

    const event = domainEvent("contact.created", {
      id: "c-1",
      name: "Nguyễn Thị Lan",
      email: "lan@example.com",
    });
    const result = await w.deliverEvents([event]);
    expect(result.explicitAcks).toEqual(["msg-0"]);

    expect((await deliveriesOf(all.id)).map((d) => [d.eventId, d.status, d.sequence])).toEqual([
      [event.id, "pending", 1],
    ]);
    expect((await deliveriesOf(contacts.id)).map((d) => d.status)).toEqual(["pending"]);
    expect(await deliveriesOf(deals.id)).toEqual([]);
    expect((await deliveriesOf(off.id)).map((d) => [d.status, d.nextAttemptAt])).toEqual([["skipped", null]]);
    expect(w.outbound.sent.map((m) => m.type)).toEqual([WEBHOOKS_DELIVER]);
  });

  it("writes nothing twice when an event comes again, and keeps sequences without gaps", async () => {
    const sub = await w.subscribe(["deal.stage_changed", "deal.won"]);
    const first = domainEvent(
      "deal.stage_changed",
      { id: "d-1", stageId: "s2" },
      { id: "d-1", stageId: "s1" },
    );
    const second = domainEvent("deal.won", { id: "d-1", status: "won" }, { id: "d-1", status: "open" });
    await w.deliverEvents([first]);
    await w.deliverEvents([first, second]);
    await w.deliverEvents([second]);
    const third = domainEvent(
      "deal.stage_changed",
      { id: "d-2", stageId: "s3" },
      { id: "d-2", stageId: "s2" },
    );
    await w.deliverEvents([third]);
    expect((await deliveriesOf(sub.id)).map((d) => [d.eventId, d.sequence])).toEqual([
      [first.id, 1],
      [second.id, 2],
      [third.id, 3],
    ]);
    const view = await w.call("GET", `/api/v1/webhook-subscriptions/${sub.id}`);
    expect(view.json.lastSequence).toBe(3);
  });

  it("keeps no event that no subscription asks for, and asks for no pass", async () => {
    await quiet.subscribe(["deal.won"]);
    quiet.outbound.sent.length = 0;
    const event = domainEvent("company.deleted", { id: "co-nobody" });
    const result = await quiet.deliverEvents([event]);
    expect(result.explicitAcks).toEqual(["msg-0"]);
    expect(await quiet.t.db.select().from(webhookEvents)).toEqual([]);
    expect(await quiet.t.db.select().from(webhookDeliveries)).toEqual([]);
    expect(quiet.outbound.sent).toEqual([]);
  });

  it("sends a malformed event to retry on its own, without holding back the others of its batch", async () => {
    const sub = await w.subscribe(["contact.updated"]);
    const good = domainEvent("contact.updated", { id: "c-9", name: "Minh" }, { id: "c-9", name: "Min" });
    const bad = { ...domainEvent("contact.updated", { id: "c-10" }), data: { nonsense: true } };
    const result = await w.deliverEvents([bad, good]);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(["msg-0"]);
    expect(result.explicitAcks).toEqual(["msg-1"]);
    expect((await deliveriesOf(sub.id)).map((d) => d.eventId)).toEqual([good.id]);
  });
});

describe("the envelope", () => {
  it("is { type, timestamp, data } with the record, the record before, the event id and the sequence", async () => {
    const sub = await w.subscribe(["deal.stage_changed"]);
    const at = Date.UTC(2026, 10, 20, 8, 30, 0);
    const event = domainEvent(
      "deal.stage_changed",
      { id: "d-7", name: "Phở Co", stageId: "won-stage", amount: 1_000_000, custom: { region: "Huế" } },
      { id: "d-7", name: "Phở Co", stageId: "proposal", amount: 1_000_000, custom: { region: "Huế" } },
      at,
    );
    await w.deliverEvents([event]);
    const [delivery] = await deliveriesOf(sub.id);
    if (!delivery) throw new Error("no delivery");
    const detail = await w.call("GET", `/api/v1/webhook-deliveries/${delivery.id}`);
    expect(detail.trips).toBe(1);
    expect(JSON.parse(String(detail.json.payload))).toEqual({
      type: "deal.stage_changed",
      timestamp: "2026-11-20T08:30:00.000Z",
      data: {
        sequence: 1,
        eventId: event.id,
        object: "deal",
        id: "d-7",
        record: {
          id: "d-7",
          name: "Phở Co",
          stageId: "won-stage",
          amount: 1_000_000,
          custom: { region: "Huế" },
        },
        previous: {
          id: "d-7",
          name: "Phở Co",
          stageId: "proposal",
          amount: 1_000_000,
          custom: { region: "Huế" },
        },
      },
    });
  });

  it("carries a created record without `previous`, and a deleted one as it was", async () => {
    const sub = await w.subscribe(["task.created", "contact.deleted"]);
    await w.deliverEvents([
      domainEvent("task.created", { id: "t-1", title: "Call Lan" }),
      domainEvent("contact.deleted", { id: "c-gone", deletedAt: 5 }, { id: "c-gone", deletedAt: null }),
    ]);
    const rows = await deliveriesOf(sub.id);
    const bodies = await Promise.all(
      rows.map(async (row) => {
        const [event] = await w.t.db.select().from(webhookEvents).where(eq(webhookEvents.id, row.eventId));
        if (!event) throw new Error("no event");
        return JSON.parse(envelopeBody({ ...event, sequence: row.sequence })) as {
          data: Record<string, unknown>;
        };
      }),
    );
    const byObject = Object.fromEntries(bodies.map((b) => [b.data.object, b.data]));
    expect(byObject.task).toMatchObject({ object: "task", id: "t-1", record: { title: "Call Lan" } });
    expect(byObject.task).not.toHaveProperty("previous");
    expect(byObject.contact).toMatchObject({
      id: "c-gone",
      record: { deletedAt: 5 },
      previous: { deletedAt: null },
    });
  });

  it("carries form.submitted with the form, submission, contact and deal", async () => {
    const sub = await w.subscribe([FORM_SUBMITTED_EVENT]);
    const message = {
      id: `${FORM_SUBMITTED_EVENT}:sub-42`,
      type: FORM_SUBMITTED_EVENT,
      createdAt: Date.now(),
      data: {
        formId: "f-1",
        submissionId: "sub-42",
        contactId: "c-42",
        dealId: null,
        receivedAt: 1,
        utm: { source: "ads" },
      },
    };
    await w.deliverEvents([message]);
    const [row] = await deliveriesOf(sub.id);
    const [event] = await w.t.db.select().from(webhookEvents).where(eq(webhookEvents.id, message.id));
    expect(row?.eventType).toBe(FORM_SUBMITTED_EVENT);
    expect(JSON.parse(event?.data ?? "null")).toEqual({
      object: "form_submission",
      id: "sub-42",
      record: message.data,
    });
  });
});
