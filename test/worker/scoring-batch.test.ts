// The events consumer's batch path: a queue batch's scoring events read once and written once, with exactly the
// results of scoring them one by one (duplicates in the batch and redeliveries change nothing, several events
// for one contact all count), and a contact a concurrent writer moved still gets every event recorded.

import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { asc, eq, inArray } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../db/client.ts";
import { activities, contacts, scoringEvents, scoringRuleSets } from "../../db/schema/index.ts";
import type { EngagementEventInput } from "../../db/scoring/state.ts";
import { consumeBatch, type MessageHandler, withBatch } from "../../queues/consume.ts";
import { createServices } from "../../queues/index.ts";
import type { EngagementKind, RuleSet } from "../../queues/scoring/rules.ts";
import { scoreEvent, scoreEvents } from "../../queues/scoring/score-events.ts";
import { DAY } from "./factories.ts";
import { emptyRules, engagement, scoringTest } from "./scoring-support.ts";

const { t, insertContact, scoreRow } = scoringTest();

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

const NOW = Date.UTC(2030, 5, 1);
const KINDS: EngagementKind[] = ["email_opened", "meeting_booked", "unsubscribed", "email_opened"];

beforeAll(async () => {
  await t.db.insert(scoringRuleSets).values({ version: 1, rules: JSON.stringify(RULES), createdAt: NOW });
});

/** Everything scoring wrote for a contact, with the set's prefix taken out of event ids. */
async function stateOf(db: Database, contactId: string, prefix: string) {
  const score = await scoreRow(contactId);
  const [contact] = await db
    .select({ fit: contacts.fitScore, engagement: contacts.engagementScore, grade: contacts.grade })
    .from(contacts)
    .where(eq(contacts.id, contactId));
  const ledger = await db
    .select()
    .from(scoringEvents)
    .where(eq(scoringEvents.contactId, contactId))
    .orderBy(asc(scoringEvents.eventId));
  const timeline = await db.select().from(activities).where(eq(activities.contactId, contactId));
  const strip = (text: string) => text.replaceAll(`"${prefix}`, '"');
  return {
    score: score && { ...score, contactId: undefined },
    contact,
    ledger: ledger.map((e) => ({ ...e, eventId: e.eventId.slice(prefix.length), contactId: undefined })),
    timeline: timeline
      .filter((a) => a.type === "score_change")
      .map((a) => JSON.stringify([a.occurredAt, a.subject, strip(a.metadata ?? "")]))
      .sort(),
  };
}

describe("a queue batch of scoring events", () => {
  it("gives exactly the one-by-one results for 50 events, in two round trips", async () => {
    const titles = ["VP Sales", "Analyst", "VP Marketing", null, "Head of Ops", "Engineer", "VP", "CTO"];
    const pairs: { a: string; b: string }[] = [];
    for (const jobTitle of titles)
      pairs.push({ a: await insertContact({ jobTitle }), b: await insertContact({ jobTitle }) });

    // A history: one event per contact already scored, the first four of which come back as redeliveries.
    const spec: { pair: number | null; key: string; kind: EngagementKind; at: number }[] = [];
    for (const [i] of pairs.entries()) {
      const event = {
        pair: i,
        key: `pre-${i}`,
        kind: KINDS[i % KINDS.length] ?? "email_opened",
        at: NOW - i * DAY,
      };
      for (const set of ["a", "b"] as const) await scoreEvent(t.db, toEvent(set, event), NOW - DAY);
      if (i < 4) spec.push(event);
    }
    for (let n = 0; spec.length < 50; n++) {
      if (n % 7 === 6) {
        const again = spec[spec.length - 3];
        if (again) spec.push(again); // a duplicate inside the batch
        continue;
      }
      const pair = n % 11 === 10 ? null : n % pairs.length;
      spec.push({
        pair,
        key: `e-${n}`,
        kind: KINDS[n % KINDS.length] ?? "page_visit",
        at: NOW - (n % 5) * 3 * DAY,
      });
    }
    function toEvent(set: "a" | "b", s: (typeof spec)[number]): EngagementEventInput {
      const pair = s.pair === null ? undefined : pairs[s.pair];
      return {
        eventId: `${set}-${s.key}`,
        contactId: pair ? pair[set] : `${set}-missing`,
        kind: s.kind,
        at: s.at,
        formId: null,
      };
    }

    const one: string[] = [];
    for (const s of spec) one.push(await scoreEvent(t.db, toEvent("a", s), NOW));
    let batch: Awaited<ReturnType<typeof scoreEvents>> = [];
    const trips = await t.roundTrips(async () => {
      batch = await scoreEvents(
        t.db,
        spec.map((s) => toEvent("b", s)),
        NOW,
      );
    });
    expect(trips).toBe(2);
    expect(batch.map((o) => (o.status === "fulfilled" ? o.value : o.reason))).toEqual(one);
    expect(new Set(one)).toEqual(new Set(["scored", "duplicate", "no_contact"]));

    for (const { a, b } of pairs) {
      const [left, right] = [await stateOf(t.db, a, "a-"), await stateOf(t.db, b, "b-")];
      expect(right).toEqual(left);
      expect(left.ledger.length).toBeGreaterThan(1);
    }
    const orphans = await t.db
      .select({ id: scoringEvents.eventId })
      .from(scoringEvents)
      .where(inArray(scoringEvents.contactId, ["a-missing", "b-missing"]));
    expect(orphans.map((o) => o.id.slice(2)).sort()).toEqual(
      [...new Set(spec.filter((s) => s.pair === null).map((s) => s.key))]
        .sort()
        .flatMap((k) => [k, k])
        .sort(),
    );
  });

  it("acks all 50 messages of a batch through the consumer, in three round trips with the sequence stops", async () => {
    const ids = [await insertContact(), await insertContact(), await insertContact()];
    const now = Date.now();
    const earlier = engagement(ids[0] ?? "", "meeting_booked", now);
    await t.queue("crm-events", [earlier]);
    const messages = [earlier, earlier];
    for (let n = 0; messages.length < 50; n++) {
      const message = engagement(ids[n % 3] ?? "", "meeting_booked", now);
      messages.push(message);
      if (n % 5 === 4) messages.push(message);
    }
    let result: Awaited<ReturnType<typeof t.queue>> | undefined;
    const trips = await t.roundTrips(async () => {
      result = await t.queue("crm-events", messages.slice(0, 50));
    });
    // Scoring's two, and one for the sequence stops a booked meeting makes (queues/sequences/handlers.ts).
    expect(trips).toBe(3);
    expect(result?.explicitAcks).toHaveLength(50);
    expect(result?.retryMessages).toHaveLength(0);
    const ledger = await t.db.select().from(scoringEvents).where(inArray(scoringEvents.contactId, ids));
    expect(ledger).toHaveLength(new Set(messages.slice(0, 50).map((m) => m.id)).size);
    for (const id of ids) {
      const count = ledger.filter((e) => e.contactId === id).length;
      expect((await scoreRow(id))?.engagement).toBe(30 * count);
    }
  });

  it("records every event when a concurrent writer moves a contact's score between read and write", async () => {
    const [busy, calm] = [await insertContact(), await insertContact()];
    const batch = [
      engagement(busy, "meeting_booked", NOW),
      engagement(calm, "meeting_booked", NOW),
      engagement(busy, "meeting_booked", NOW),
    ];
    let calls = 0;
    // The database as the batch sees it: just before its write, another consumer scores an event for `busy`.
    const racing = new Proxy(t.db, {
      get(target, key, receiver) {
        if (key !== "batch") return Reflect.get(target, key, receiver);
        return async (statements: Parameters<Database["batch"]>[0]) => {
          if (++calls === 2)
            await scoreEvent(
              target,
              { eventId: "racer", contactId: busy, kind: "meeting_booked", at: NOW, formId: null },
              NOW,
            );
          return target.batch(statements);
        };
      },
    });
    const outcomes = await scoreEvents(
      racing,
      batch.map((m) => {
        const data = m.data as { eventId: string; contactId: string; kind: string; at: number };
        return { ...data, formId: null };
      }),
      NOW,
    );
    expect(outcomes.map((o) => o.status === "fulfilled" && o.value)).toEqual(["scored", "scored", "scored"]);
    expect(calls).toBeGreaterThan(2);
    const ledger = await t.db
      .select()
      .from(scoringEvents)
      .where(inArray(scoringEvents.contactId, [busy, calm]));
    expect(ledger).toHaveLength(4);
    expect(await scoreRow(busy)).toMatchObject({ engagement: 90, version: 3 });
    expect(await scoreRow(calm)).toMatchObject({ engagement: 30, version: 1 });
  });
});

describe("batch handlers in the consumer", () => {
  it("acks and retries each message of a batch handler on its own, and chains per-message engines after it", async () => {
    const after: string[] = [];
    const batched: MessageHandler = withBatch(
      async () => {},
      async (messages) =>
        messages.map((m) =>
          m.id === "bad"
            ? { status: "rejected", reason: new Error("no") }
            : { status: "fulfilled", value: 1 },
        ),
    );
    const handlers = {
      "x.happened": batched,
      "y.happened": withBatch(
        async () => {},
        async () => {
          throw new Error("down");
        },
      ),
      "z.happened": async (m: { id: string }) => {
        after.push(m.id);
      },
    };
    const body = (id: string, type: string) => ({ id, type, createdAt: NOW, data: {} });
    const queued = createMessageBatch(
      "crm-events",
      [
        body("a", "x.happened"),
        body("bad", "x.happened"),
        body("c", "y.happened"),
        body("d", "z.happened"),
      ].map((b, i) => ({ id: `m${i}`, timestamp: Date.now(), attempts: 1, body: b })),
    );
    const ctx = createExecutionContext();
    await consumeBatch(queued, handlers, createServices(t.env));
    const result = await getQueueResult(queued, ctx);
    expect(result.explicitAcks.sort()).toEqual(["m0", "m3"]);
    expect(result.retryMessages.map((m) => m.msgId).sort()).toEqual(["m1", "m2"]);
    expect(after).toEqual(["d"]);
  });
});
