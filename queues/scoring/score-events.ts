// Scoring engagement events: one event recorded in the ledger and its contact rescored in two round trips
// (read, then one guarded write batch), and a queue batch's events together in two round trips as well (one read
// for all of them, one write batch), meaning exactly what scoring them one by one means.
import { sql } from "drizzle-orm";
import { denyUnless, guardVerdict } from "../../db/access.ts";
import type { Database } from "../../db/client.ts";
import { currentRulesQuery } from "../../db/scoring/rules.ts";
import {
  contactEventsQuery,
  contactsEventsQuery,
  type EngagementEventInput,
  eventSeenQuery,
  eventsSeenQuery,
  recordEventStatement,
  recordEventsStatement,
  type ScoreWrite,
  type ScoringRow,
  scoringContactQuery,
  scoringContactsQuery,
  writeScoresStatements,
} from "../../db/scoring/state.ts";
import type { ScoringEvent } from "./compute.ts";
import { type CurrentRules, currentRules, scoreWrite } from "./engine.ts";

export type EventOutcome = "scored" | "duplicate" | "no_contact";

const ATTEMPTS = 5;

/**
 * Records one engagement event and rescores its contact. The write batch starts with a guard that the
 * contact's score is still at the version read, so two events for one contact scored at once never lose one
 * (the later batch aborts and is computed again), and a second delivery of an event finds it in the ledger.
 */
export async function scoreEvent(
  db: Database,
  event: EngagementEventInput,
  now: number,
): Promise<EventOutcome> {
  for (let attempt = 1; ; attempt++) {
    const [seen, rows, events, ruleRows] = await db.batch([
      eventSeenQuery(db, event.eventId),
      scoringContactQuery(db, event.contactId),
      contactEventsQuery(db, event.contactId),
      currentRulesQuery(db),
    ]);
    if (seen.length > 0) return "duplicate";
    const row = rows[0];
    if (!row) {
      // Kept in the ledger all the same: should the contact come back (restored), a recompute counts it.
      await db.batch([recordEventStatement(db, event, now)]);
      return "no_contact";
    }
    const { write } = scoreWrite(currentRules(ruleRows[0]), row, [...events, event], now, {
      kind: "event",
      eventId: event.eventId,
      eventKind: event.kind,
    });
    try {
      await db.batch([
        denyUnless(
          db,
          sql`coalesce((select version from contact_scores where contact_id = ${event.contactId}), 0) = ${write.prev}
            and not exists (select 1 from scoring_events where event_id = ${event.eventId})`,
          "conflict",
        ),
        recordEventStatement(db, event, now),
        ...writeScoresStatements(db, [write], now),
      ]);
      return "scored";
    } catch (error) {
      if (guardVerdict(error) !== "conflict" || attempt >= ATTEMPTS) throw error;
    }
  }
}

type Outcome = PromiseSettledResult<EventOutcome>;

const done = (value: EventOutcome): Outcome => ({ status: "fulfilled", value });

async function settled(promise: Promise<EventOutcome>): Promise<Outcome> {
  const [outcome] = await Promise.allSettled([promise]);
  return outcome ?? { status: "rejected", reason: new Error("No outcome") };
}

/**
 * Each event's outcome, in order. An event id seen earlier in the batch is a duplicate once its first
 * delivery is recorded (and fails with it otherwise, so that neither is acked before the ledger has it).
 */
export async function scoreEvents(
  db: Database,
  events: readonly EngagementEventInput[],
  now: number,
): Promise<Outcome[]> {
  const first = new Map<string, number>();
  const unique: EngagementEventInput[] = [];
  for (const event of events) {
    if (first.has(event.eventId)) continue;
    first.set(event.eventId, unique.length);
    unique.push(event);
  }
  const outcomes = unique.length > 0 ? await scoreUnique(db, unique, now) : [];
  const firstSeen = new Set<string>();
  return events.map((event) => {
    const outcome = outcomes[first.get(event.eventId) ?? -1] ?? {
      status: "rejected",
      reason: new Error(`No outcome for event ${event.eventId}`),
    };
    if (!firstSeen.has(event.eventId)) {
      firstSeen.add(event.eventId);
      return outcome;
    }
    return outcome.status === "fulfilled" ? done("duplicate") : outcome;
  });
}

interface Pending {
  index: number;
  event: EngagementEventInput;
}

/** Events with distinct ids: one read, one write; a contact whose score moved meanwhile goes one by one. */
async function scoreUnique(
  db: Database,
  events: readonly EngagementEventInput[],
  now: number,
): Promise<Outcome[]> {
  const contactIds = [...new Set(events.map((e) => e.contactId))];
  const [seenRows, rows, stored, ruleRows] = await db.batch([
    eventsSeenQuery(
      db,
      events.map((e) => e.eventId),
    ),
    scoringContactsQuery(db, contactIds),
    contactsEventsQuery(db, contactIds),
    currentRulesQuery(db),
  ]);
  const seen = new Set(seenRows.map((r) => r.eventId));
  const live = new Map((rows as ScoringRow[]).map((row) => [row.id, row]));
  const outcomes: Outcome[] = events.map(() => done("duplicate"));
  const orphans: Pending[] = [];
  const byContact = new Map<string, Pending[]>();
  events.forEach((event, index) => {
    if (seen.has(event.eventId)) return;
    if (!live.has(event.contactId)) orphans.push({ index, event });
    else byContact.set(event.contactId, [...(byContact.get(event.contactId) ?? []), { index, event }]);
  });
  if (orphans.length === 0 && byContact.size === 0) return outcomes;

  const storedBy = new Map<string, ScoringEvent[]>();
  for (const event of stored)
    storedBy.set(event.contactId, [...(storedBy.get(event.contactId) ?? []), event]);
  const current = currentRules(ruleRows[0]);
  const writes: ScoreWrite[] = [];
  const ledger: (EngagementEventInput & { prev: number | null })[] = orphans.map(({ event }) => ({
    ...event,
    prev: null,
  }));
  for (const [contactId, pending] of byContact) {
    const row = live.get(contactId) as ScoringRow;
    writes.push(
      chainWrite(
        current,
        row,
        storedBy.get(contactId) ?? [],
        pending.map((p) => p.event),
        now,
      ),
    );
    for (const { event } of pending) ledger.push({ ...event, prev: row.scoreVersion ?? 0 });
  }

  let written: Set<string> | null = null;
  try {
    const [, , , scored] = await db.batch([
      recordEventsStatement(db, ledger, now),
      ...writeScoresStatements(db, writes, now),
    ]);
    written = new Set(scored.map((r) => r.contactId));
  } catch (error) {
    // Nothing was written (the batch is one transaction): each event goes its own way, so that one that
    // cannot be written fails alone.
    console.error(JSON.stringify({ level: "error", scope: "scoring.batch", error: String(error) }));
  }
  const alone: Pending[][] = [];
  if (written) for (const { index } of orphans) outcomes[index] = done("no_contact");
  else alone.push(...orphans.map((o) => [o]));
  for (const [contactId, pending] of byContact) {
    if (written?.has(contactId)) for (const { index } of pending) outcomes[index] = done("scored");
    else alone.push(pending);
  }
  // A concurrent writer moved these contacts' scores (their ledger rows were not written either): the
  // per-event path, one contact's events in order, contacts side by side.
  await Promise.all(
    alone.map(async (pending) => {
      for (const { index, event } of pending) outcomes[index] = await settled(scoreEvent(db, event, now));
    }),
  );
  return outcomes;
}

/**
 * One contact's new events scored as one by one would, in order: each step's timeline entry when it changed
 * something, and the last step's scores written once, its version moved by as many steps.
 */
function chainWrite(
  current: CurrentRules,
  row: ScoringRow,
  stored: readonly ScoringEvent[],
  fresh: readonly EngagementEventInput[],
  now: number,
): ScoreWrite {
  // As the one-by-one path reads them: the events already recorded by time (the contact index), then the new one.
  const known = [...stored];
  let at = row;
  let last: ScoreWrite | null = null;
  let changed = false;
  const earlier: NonNullable<ScoreWrite["activity"]>[] = [];
  for (const event of fresh) {
    const { write } = scoreWrite(current, at, [...known, event], now, {
      kind: "event",
      eventId: event.eventId,
      eventKind: event.kind,
    });
    if (last?.activity) earlier.push(last.activity);
    last = write;
    changed ||= write.changed;
    at = { ...at, fit: write.fit, engagement: write.engagement, grade: write.grade };
    const after = known.findIndex((e) => e.at > event.at);
    known.splice(after === -1 ? known.length : after, 0, event);
  }
  if (!last) throw new Error("chainWrite needs at least one event");
  return { ...last, changed, earlier, steps: fresh.length };
}
