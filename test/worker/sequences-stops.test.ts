// Contacts leave their sequences on a reply or a meeting logged, a deal of theirs changing stage, an
// unsubscribe, a bounce, or being deleted: from what people do through the API (recorded as domain events,
// dispatched and delivered to the events consumer), and from queue messages shaped as the events contract
// says. The next step then never runs, whatever the cron does; a redelivered event changes nothing more.
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../db/ids.ts";
import { dealContacts, deals, sequenceStepRuns } from "../../db/schema/index.ts";
import type { QueueMessage } from "../../queues/message.ts";
import { executeRun, leaseDue, planRun } from "../../queues/sequences/runner.ts";
import { createUser, type TestUser } from "./factories.ts";
import { DAY, MINUTE, sequencesTest } from "./sequences-support.ts";

const s = sequencesTest();
const { t } = s;

let admin: TestUser;
let rep: TestUser;
let repApi: Awaited<ReturnType<typeof s.as>>;
let sequenceId: string;

beforeAll(async () => {
  admin = await createUser(t.db, { role: "admin" });
  rep = await createUser(t.db, { role: "rep" });
  repApi = await s.as(rep);
  const adminApi = await s.as(admin);
  const templateId = await s.templateVia(adminApi);
  // A first email at once, a second one business day later.
  sequenceId = await s.sequenceVia(adminApi, [
    { type: "email", delayDays: 0, templateId },
    { type: "email", delayDays: 1, templateId },
  ]);
});

/** A contact of the rep, enrolled through the API, whose first email went out. */
async function enrolledContact() {
  const contactId = await s.contactOf(rep);
  const enrolled = await repApi(`/api/v1/sequences/${sequenceId}/enrolments`, "POST", {
    contactIds: [contactId],
  });
  expect(enrolled.body.results[0].status).toBe("enrolled");
  await s.cron(Date.now() + MINUTE);
  expect((await s.received(contactId)).emails).toHaveLength(1);
  return contactId;
}

/** After the stop: nothing more is sent however long the cron runs, and the timeline says why it stopped. */
async function expectStopped(contactId: string, reason: string, text: string) {
  const [enrolment] = await s.enrolmentsOf(contactId);
  expect(enrolment).toMatchObject({ status: "stopped", stopReason: reason, currentStep: 1, nextRunAt: null });
  for (const days of [2, 5, 30]) await s.cron(Date.now() + days * DAY);
  const { emails, sequenceEntries } = await s.received(contactId);
  expect(emails).toHaveLength(1);
  const runs = await t.db
    .select()
    .from(sequenceStepRuns)
    .where(eq(sequenceStepRuns.enrolmentId, enrolment?.id ?? ""));
  expect(runs.map((r) => r.step)).toEqual([0]);
  const stops = sequenceEntries.filter((e) => e.meta.sequenceEvent === "stopped");
  expect(stops).toHaveLength(1);
  expect(stops[0]?.subject).toBe(`Left sequence “Cadence”: ${text}`);
  expect(stops[0]?.meta).toMatchObject({ reason, sequenceId, enrolmentId: enrolment?.id });
}

let seq = 1_000_000;
/** A domain event as the contract shapes it on the queue. */
function domainEvent(
  type: string,
  recordType: string,
  recordId: string,
  after: Record<string, unknown> | null,
  createdAt = Date.now(),
): QueueMessage {
  seq += 1;
  return {
    id: `evt_${seq}`,
    type,
    createdAt,
    data: { seq, recordType, recordId, before: null, after, cause: null },
  };
}

function engagement(contactId: string, kind: string, at = Date.now()): QueueMessage {
  const eventId = newId();
  return {
    id: `engagement:${eventId}`,
    type: "engagement.recorded",
    createdAt: at,
    data: { eventId, contactId, kind, at },
  };
}

describe("through the API and the domain events", () => {
  it("A sequence stops when a reply is logged, and its next step never runs", async () => {
    const contactId = await enrolledContact();
    const reply = await repApi("/api/v1/activities", "POST", {
      type: "email",
      direction: "inbound",
      contactId,
      subject: "Re: Hello Lan",
      body: "Thanks, not now.",
    });
    expect(reply.status).toBe(201);
    const delivered = await s.deliverEvents();
    expect(delivered.map((m) => m.type)).toContain("activity.created");
    await expectStopped(contactId, "reply", "a reply was logged");
  });

  it("stops when a meeting is logged with the contact, or with the contact among its attendees", async () => {
    const onContact = await enrolledContact();
    const attendee = await enrolledContact();
    const start = Date.now() + DAY;
    for (const body of [
      { type: "meeting", contactId: onContact, startsAt: start, endsAt: start + 30 * MINUTE },
      {
        type: "meeting",
        contactId: await s.contactOf(rep),
        startsAt: start,
        endsAt: start + 30 * MINUTE,
        attendees: [{ contactId: attendee, name: "Lan" }],
      },
    ]) {
      expect((await repApi("/api/v1/activities", "POST", body)).status).toBe(201);
    }
    await s.deliverEvents();
    await expectStopped(onContact, "meeting_booked", "a meeting was booked");
    await expectStopped(attendee, "meeting_booked", "a meeting was booked");
  });

  it("stops when a deal linked to the contact moves to another stage", async () => {
    const contactId = await enrolledContact();
    const bystander = await enrolledContact();
    const deal = await repApi("/api/v1/deals", "POST", {
      name: "Renewal",
      amount: 1_000,
      currency: "USD",
      contactIds: [contactId],
    });
    expect(deal.status).toBe(201);
    await s.deliverEvents();
    // Creating the deal is not a stage change.
    expect((await s.enrolmentsOf(contactId))[0]?.status).toBe("active");

    const moved = await repApi(
      `/api/v1/deals/${deal.body.id}/move`,
      "POST",
      { stageId: "01900000-0000-7000-8000-000000000013" },
      { "If-Match": deal.headers.get("ETag") ?? "" },
    );
    expect(moved.status).toBe(200);
    const delivered = await s.deliverEvents();
    expect(delivered.map((m) => m.type)).toContain("deal.stage_changed");
    // A contact not linked to the deal stays in.
    expect((await s.enrolmentsOf(bystander))[0]?.status).toBe("active");
    await expectStopped(contactId, "deal_stage_changed", "a deal of the contact changed stage");
  });

  it("stops when the contact's email consent is withdrawn, and when the contact is deleted", async () => {
    const unsubscribed = await enrolledContact();
    const deleted = await enrolledContact();
    const patched = await repApi(`/api/v1/contacts/${unsubscribed}`, "PATCH", {
      consent: { email: "withdrawn", source: "phone call" },
    });
    expect(patched.status).toBe(200);
    expect((await repApi(`/api/v1/contacts/${deleted}`, "DELETE")).status).toBe(204);
    await s.deliverEvents();
    await expectStopped(unsubscribed, "unsubscribed", "the contact unsubscribed");
    await expectStopped(deleted, "contact_deleted", "the contact was deleted");
  });

  it("leaves the enrolment alone for notes, calls, outbound emails and consent granted", async () => {
    const contactId = await enrolledContact();
    for (const body of [
      { type: "note", contactId, body: "Left a voicemail" },
      { type: "call", contactId, outcome: "no_answer" },
      { type: "email", contactId, direction: "outbound", subject: "Following up" },
    ]) {
      expect((await repApi("/api/v1/activities", "POST", body)).status).toBe(201);
    }
    await repApi(`/api/v1/contacts/${contactId}`, "PATCH", { consent: { email: "granted" } });
    await s.deliverEvents();
    expect((await s.enrolmentsOf(contactId))[0]?.status).toBe("active");
  });
});

describe("a stop while the runner is at work", () => {
  it("keeps the step from running when the reply lands between the runner's read and its write", async () => {
    const contactId = await enrolledContact();
    const [enrolment] = await s.enrolmentsOf(contactId);
    const at = Date.now() + 5 * DAY;
    const { claim, ids } = await leaseDue(t.db, at, 1000);
    expect(ids).toContain(enrolment?.id);
    const planned = await planRun(t.db, claim, [enrolment?.id ?? ""], at);
    expect(planned.map((p) => p.action.kind)).toEqual(["run"]);

    await repApi("/api/v1/activities", "POST", { type: "email", direction: "inbound", contactId });
    await s.deliverEvents();
    await executeRun(t.db, claim, planned, at);
    await expectStopped(contactId, "reply", "a reply was logged");
  });
});

describe("from queue messages shaped as the contract says", () => {
  it("stops on each trigger, once however often the event is delivered", async () => {
    const cases: {
      contactId: string;
      message: (id: string) => QueueMessage;
      reason: string;
      text: string;
    }[] = [
      {
        contactId: await enrolledContact(),
        message: (id) =>
          domainEvent("activity.created", "activity", newId(), {
            type: "email",
            contactId: id,
            metadata: { direction: "inbound", from: "lan@example.com" },
          }),
        reason: "reply",
        text: "a reply was logged",
      },
      {
        contactId: await enrolledContact(),
        message: (id) =>
          domainEvent("activity.created", "activity", newId(), {
            type: "meeting",
            contactId: id,
            metadata: {},
          }),
        reason: "meeting_booked",
        text: "a meeting was booked",
      },
      {
        contactId: await enrolledContact(),
        message: (id) =>
          domainEvent("contact.consent_changed", "contact", id, { id, emailConsent: "withdrawn" }),
        reason: "unsubscribed",
        text: "the contact unsubscribed",
      },
      {
        contactId: await enrolledContact(),
        message: (id) => engagement(id, "unsubscribed"),
        reason: "unsubscribed",
        text: "the contact unsubscribed",
      },
      {
        contactId: await enrolledContact(),
        message: (id) => engagement(id, "bounced"),
        reason: "bounced",
        text: "an email to the contact bounced",
      },
      {
        contactId: await enrolledContact(),
        message: (id) => engagement(id, "replied"),
        reason: "reply",
        text: "a reply was logged",
      },
      {
        contactId: await enrolledContact(),
        message: (id) => engagement(id, "spam_reported"),
        reason: "spam_reported",
        text: "the contact marked an email as spam",
      },
    ];
    for (const type of ["deal.stage_changed", "deal.won", "deal.lost"]) {
      const dealId = newId();
      const dealContact = await enrolledContact();
      await t.db.insert(deals).values({
        id: dealId,
        name: "Upsell",
        currency: "USD",
        pipelineId: "01900000-0000-7000-8000-000000000001",
        stageId: "01900000-0000-7000-8000-000000000011",
        stageEnteredAt: Date.now(),
        createdAt: Date.now(),
        updatedAt: Date.now(),
      });
      await t.db.insert(dealContacts).values({ dealId, contactId: dealContact });
      cases.push({
        contactId: dealContact,
        message: () => domainEvent(type, "deal", dealId, { id: dealId, stageId: "x" }),
        reason: "deal_stage_changed",
        text: "a deal of the contact changed stage",
      });
    }

    const messages = cases.map((c) => c.message(c.contactId));
    const first = await s.deliver(messages);
    expect(first.retryMessages).toEqual([]);
    const again = await s.deliver(messages);
    expect(again.retryMessages).toEqual([]);
    for (const c of cases) await expectStopped(c.contactId, c.reason, c.text);
  });

  it("does not stop an enrolment made after the event (a late or redelivered one)", async () => {
    const contactId = await enrolledContact();
    const reply = domainEvent(
      "activity.created",
      "activity",
      newId(),
      { type: "email", contactId, metadata: { direction: "inbound" } },
      Date.now() - DAY,
    );
    await s.deliver([reply, engagement(contactId, "bounced", Date.now() - DAY)]);
    expect((await s.enrolmentsOf(contactId))[0]?.status).toBe("active");
  });

  it("ignores other kinds and other activities", async () => {
    const contactId = await enrolledContact();
    await s.deliver([
      engagement(contactId, "email_opened"),
      engagement(contactId, "email_clicked"),
      domainEvent("activity.created", "activity", newId(), { type: "system", contactId, metadata: {} }),
      domainEvent("contact.consent_changed", "contact", contactId, {
        id: contactId,
        emailConsent: "granted",
      }),
    ]);
    expect((await s.enrolmentsOf(contactId))[0]?.status).toBe("active");
  });
});
