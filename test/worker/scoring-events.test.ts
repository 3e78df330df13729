// Scoring from events: engagement and form submissions on the events queue score their contact once per event
// id, write the contact's columns and a timeline entry naming the top rules, and decay through the daily cron
// (its scheduled time is the clock) by the same fan-out a rules change uses.
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { scoringEvents } from "../../db/schema/index.ts";
import { FORM_SUBMITTED_EVENT } from "../../queues/capture/message.ts";
import type { RuleSet } from "../../queues/scoring/rules.ts";
import { createUser, DAY, sessionFor } from "./factories.ts";
import { emptyRules, engagement, type Headers, scoringTest } from "./scoring-support.ts";

const { t, events, call, deliver, insertContact, scoreRow, contactRow, scoreChanges } = scoringTest();

let asAdmin: Headers;

const RULES: RuleSet = {
  ...emptyRules(),
  fit: {
    groups: [],
    rules: [{ id: "vp", label: "VP title", points: 40, when: { field: "jobTitle", contains: ["vp"] } }],
  },
  engagement: {
    min: 0,
    groups: [{ id: "email", label: "Email activity", max: 6 }],
    rules: [
      { id: "form", label: "Submitted a form", points: 20, kind: "form_submitted" },
      { id: "open", label: "Opened an email", points: 2, kind: "email_opened", group: "email" },
      { id: "meeting", label: "Booked a meeting", points: 30, kind: "meeting_booked" },
      { id: "unsub", label: "Unsubscribed", points: -25, kind: "unsubscribed" },
    ],
    decay: { kind: "half_life", days: 30 },
  },
  grading: {
    fitWeight: 1,
    engagementWeight: 1,
    bands: [
      { grade: "A", min: 80 },
      { grade: "B", min: 50 },
    ],
    otherwise: "C",
  },
};

/**
 * The scoring messages sent so far, taken off the fake queue with the rest: the daily cron runs other jobs
 * too (the report rollups' first run fans out its own chunks), which these tests leave alone.
 */
function scoringSent() {
  return events.sent.splice(0).filter((m) => m.type.startsWith("scoring."));
}

beforeAll(async () => {
  asAdmin = (await sessionFor(t.db, await createUser(t.db, { role: "admin" }))).headers;
  const saved = await call("PUT", "/api/v1/scoring/rules", asAdmin, RULES);
  expect(saved.status).toBe(200);
  // The (empty) recompute the save started: planned and run, so the tests start from a settled state.
  await deliver();
  await deliver();
});

describe("engagement events", () => {
  it("scores an event once, however often it is delivered", async () => {
    const id = await insertContact({ jobTitle: "VP Marketing" });
    const meeting = engagement(id, "meeting_booked", Date.now());
    const first = await deliver([meeting]);
    expect(first.explicitAcks).toHaveLength(1);
    const after = await scoreRow(id);
    expect(after).toMatchObject({ fit: 40, engagement: 30, grade: "B" });

    await deliver([meeting]);
    await deliver([meeting, meeting]);
    expect(await scoreRow(id)).toMatchObject({ fit: 40, engagement: 30, version: after?.version });
    expect(await t.db.select().from(scoringEvents).where(eq(scoringEvents.contactId, id))).toHaveLength(1);
    expect(await scoreChanges(id)).toHaveLength(1);
  });

  it("writes the contact's columns and a timeline entry with the top rules", async () => {
    const id = await insertContact({ jobTitle: "VP Sales" });
    await deliver([engagement(id, "meeting_booked", Date.now())]);
    await deliver([engagement(id, "unsubscribed", Date.now())]);
    expect(await contactRow(id)).toMatchObject({ fitScore: 40, engagementScore: 5, grade: "C" });
    const changes = await scoreChanges(id);
    expect(changes).toHaveLength(2);
    const latest = changes.map((c) => JSON.parse(c.metadata)).find((m) => m.to.engagement === 5);
    expect(latest.from).toEqual({ fit: 40, engagement: 30, grade: "B" });
    expect(latest.top.map((r: { id: string }) => r.id)).toEqual(["vp", "meeting", "unsub"]);
    expect(latest.cause).toMatchObject({ kind: "event", eventKind: "unsubscribed" });

    const score = await call("GET", `/api/v1/scoring/contacts/${id}`, asAdmin);
    expect(score.status).toBe(200);
    expect(score.trips).toBe(1);
    expect(score.body.explanation.engagement.rules.map((r: { id: string }) => r.id)).toEqual([
      "meeting",
      "unsub",
    ]);
  });

  it("caps a group of events", async () => {
    const id = await insertContact();
    const now = Date.now();
    await deliver([1, 2, 3, 4, 5].map(() => engagement(id, "email_opened", now)));
    const row = await scoreRow(id);
    expect(row?.engagement).toBe(6);
    expect(JSON.parse(row?.explanation ?? "{}").engagement.groups).toEqual([
      { id: "email", raw: 10, counted: 6 },
    ]);
  });

  it("counts every event when several for one contact arrive together", async () => {
    const id = await insertContact();
    const now = Date.now();
    await deliver([
      engagement(id, "meeting_booked", now),
      engagement(id, "meeting_booked", now),
      engagement(id, "meeting_booked", now),
    ]);
    expect((await scoreRow(id))?.engagement).toBe(90);
  });

  it("scores a form submission from the capture consumer's event", async () => {
    const id = await insertContact();
    const submissionId = crypto.randomUUID();
    const message = {
      id: `${FORM_SUBMITTED_EVENT}:${submissionId}`,
      type: FORM_SUBMITTED_EVENT,
      createdAt: Date.now(),
      data: { formId: "f1", submissionId, contactId: id, dealId: null, receivedAt: Date.now(), utm: {} },
    };
    await deliver([message]);
    await deliver([message]);
    expect((await scoreRow(id))?.engagement).toBe(20);
    expect(await scoreChanges(id)).toHaveLength(1);
  });
});

describe("decay", () => {
  it("halves engagement after one half-life, as of the cron's scheduled time", async () => {
    const id = await insertContact();
    const t0 = Date.UTC(2031, 0, 1, 3, 17);
    await deliver([engagement(id, "meeting_booked", t0)]);
    // Scored when delivered (now, years before the event): an event in the future counts in full.
    expect((await scoreRow(id))?.engagement).toBe(30);

    await t.scheduled("17 3 * * *", t0 + 30 * DAY);
    const plan = scoringSent();
    expect(plan.map((m) => m.type)).toEqual(["scoring.recompute_planned"]);
    await deliver(plan); // plan → chunks
    await deliver(scoringSent()); // chunks
    const row = await scoreRow(id);
    expect(row?.engagementExact).toBeCloseTo(15, 6);
    expect(row?.engagement).toBe(15);
    expect(row?.computedAt).toBe(t0 + 30 * DAY);

    await t.scheduled("17 3 * * *", t0 + 60 * DAY);
    await deliver(scoringSent());
    await deliver(scoringSent());
    expect((await scoreRow(id))?.engagement).toBe(8); // 7.5, rounded
    const last = (await scoreChanges(id)).map((c) => JSON.parse(c.metadata)).at(-1);
    expect(last.cause.kind).toBe("decay");

    // The cron firing twice for the same minute decays once.
    await t.scheduled("17 3 * * *", t0 + 60 * DAY);
    expect(scoringSent()).toHaveLength(0);
  });

  it("decays by a percentage per whole period", async () => {
    const id = await insertContact();
    const rules = {
      ...RULES,
      engagement: { ...RULES.engagement, decay: { kind: "percent" as const, percent: 10, everyDays: 7 } },
    };
    const t0 = Date.now() - 15 * DAY;
    const dry = await call("POST", `/api/v1/scoring/contacts/${id}/dry-run`, asAdmin, { rules });
    expect(dry.body.result.engagement).toBe(0);
    await deliver([engagement(id, "meeting_booked", t0)]);
    const later = await call("POST", `/api/v1/scoring/contacts/${id}/dry-run`, asAdmin, {
      rules,
      at: t0 + 15 * DAY,
    });
    // Two whole weeks: 30 × 0.9².
    expect(later.body.result.explanation.engagement.rules[0].points).toBeCloseTo(24.3, 6);
    expect(later.body.result.engagement).toBe(24);
  });
});
