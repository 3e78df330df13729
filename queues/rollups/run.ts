// One rollup run: reads how far the last run went and which day buckets changed since (one read), recomputes
// those buckets whole, moves the days that ended since into the rollups, replaces today's pipeline snapshot and
// saves the watermark. Much work at once (the first run, a time zone change, events pruned before a run read
// them) goes out on the events queue in chunks; the days that leave the live window are always recomputed in the
// batch that moves the window, so a report never misses them nor counts them twice.
import type { BatchItem } from "drizzle-orm/batch";
import type { Database } from "../../db/client.ts";
import {
  datesBetween,
  datesOfSlots,
  dayBound,
  localDate,
  offsetAt,
  previousDate,
} from "../../db/reports/days.ts";
import {
  clearStatements,
  ROLLUP_KINDS,
  ROLLUPS,
  type RollupKind,
  recomputeStatements,
} from "../../db/reports/rollups.ts";
import {
  collectTransitionsStatement,
  dirtySlotsQuery,
  eventRangeQuery,
  outsideRangeStatements,
  type ReportStateRow,
  reportStateQuery,
  saveStateStatement,
  snapshotStatements,
  sourceStartQuery,
} from "../../db/reports/state.ts";
import { readSettingsQuery, toSettings } from "../../db/settings.ts";
import type { ConsumerServices } from "../consume.ts";
import { CHUNK_DAYS, type RollupChunk, rollupMessage } from "./messages.ts";

export interface RollupOptions {
  /** Recompute every day from the first record on, as if no run had been made. */
  full?: boolean;
  /** Also recompute the last N closed days, whatever changed (the daily verify run). */
  verifyDays?: number;
  /** Past this many bucket-days (days × rollups), the work goes out on the events queue. */
  inlineLimit?: number;
}

export interface RollupOutcome {
  full: boolean;
  liveDay: string;
  eventSeq: number;
  /** Bucket-days recomputed by this run, and sent to the queue. */
  inline: number;
  queued: number;
}

const DEFAULT_INLINE_LIMIT = 4 * CHUNK_DAYS;

/** Days to recompute, per rollup. */
class Work {
  readonly days = new Map<RollupKind, Set<string>>();

  add(kinds: readonly RollupKind[], days: Iterable<string>) {
    const list = [...days];
    for (const kind of kinds) {
      const set = this.days.get(kind) ?? new Set<string>();
      for (const day of list) set.add(day);
      this.days.set(kind, set);
    }
  }

  without(other: Work) {
    for (const [kind, days] of other.days) for (const day of days) this.days.get(kind)?.delete(day);
  }

  get size(): number {
    let n = 0;
    for (const days of this.days.values()) n += days.size;
    return n;
  }

  /** The work as chunks of at most CHUNK_DAYS days of one rollup. */
  chunks(timeZone: string): RollupChunk[] {
    const out: RollupChunk[] = [];
    for (const [kind, set] of this.days) {
      const days = [...set].sort();
      for (let i = 0; i < days.length; i += CHUNK_DAYS) {
        out.push({ days: days.slice(i, i + CHUNK_DAYS).map((d) => dayBound(d, timeZone)), kinds: [kind] });
      }
    }
    return out;
  }
}

function statementsOf(db: Database, chunks: readonly RollupChunk[]): BatchItem<"sqlite">[] {
  return chunks.flatMap((chunk) => recomputeStatements(db, chunk.days, chunk.kinds));
}

async function runBatch(db: Database, statements: BatchItem<"sqlite">[]) {
  const [first, ...rest] = statements;
  if (first) await db.batch([first, ...rest]);
}

export async function runRollups(
  services: ConsumerServices,
  now: number,
  options: RollupOptions = {},
): Promise<RollupOutcome> {
  const { db } = services;
  const [stateRows, settingRows, rangeRows, slots, startRows] = await db.batch([
    reportStateQuery(db),
    readSettingsQuery(db),
    eventRangeQuery(db),
    dirtySlotsQuery(db),
    sourceStartQuery(db),
  ]);
  const state = stateRows[0];
  const { timeZone } = toSettings(settingRows);
  const range = rangeRows[0];
  const eventSeq = range?.maxSeq ?? state?.eventSeq ?? 0;
  const today = localDate(now, timeZone);
  const liveFrom = dayBound(today, timeZone).start;
  const next: ReportStateRow = {
    eventSeq,
    syncedAt: now,
    timeZone,
    liveDay: today,
    liveFrom,
    offsetMs: offsetAt(liveFrom, timeZone),
  };
  // Events after the watermark pruned before a run read them: what they changed is found only by recomputing all.
  const lostEvents = Boolean(state && range && eventSeq - state.eventSeq > range.unread);
  const full = Boolean(options.full || !state || state.timeZone !== timeZone || lostEvents);

  const closing = new Work();
  const work = new Work();
  const head: BatchItem<"sqlite">[] = [collectTransitionsStatement(db, eventSeq)];
  if (full) {
    const startAt = startRows[0]?.at;
    const first = startAt == null ? today : localDate(startAt, timeZone);
    const tables = ROLLUP_KINDS.map((kind) => ROLLUPS[kind]);
    if (first < today) {
      head.push(...outsideRangeStatements(db, tables, first, today));
      work.add(ROLLUP_KINDS, datesBetween(first, previousDate(today)));
    } else {
      head.push(...clearStatements(db));
    }
  } else if (state) {
    if (state.liveDay < today) closing.add(ROLLUP_KINDS, datesBetween(state.liveDay, previousDate(today)));
    const byKind = new Map<RollupKind, number[]>();
    for (const { kind, slot } of slots) byKind.set(kind, [...(byKind.get(kind) ?? []), slot]);
    for (const [kind, list] of byKind) work.add([kind], datesOfSlots(list, timeZone, today));
    if (options.verifyDays) {
      const from = localDate(liveFrom - options.verifyDays * 86_400_000, timeZone);
      if (from < today) work.add(ROLLUP_KINDS, datesBetween(from, previousDate(today)));
    }
    work.without(closing);
  }

  const fanOut = work.size > (options.inlineLimit ?? DEFAULT_INLINE_LIMIT);
  const chunks = work.chunks(timeZone);
  // The transitions (and a recompute from scratch's clean-up) come first: the buckets after them build on them.
  const [firstChunk, ...restChunks] = fanOut ? [] : chunks;
  await runBatch(db, [...head, ...statementsOf(db, firstChunk ? [firstChunk] : [])]);
  for (const chunk of restChunks) await runBatch(db, statementsOf(db, [chunk]));
  // A queue's sendBatch takes at most 100 messages.
  for (let i = 0; fanOut && i < chunks.length; i += 100) {
    await services.queues.events.sendBatch(
      chunks.slice(i, i + 100).map((c) => ({ body: rollupMessage(c, now) })),
    );
  }

  const dealsChanged = slots.some((s) => s.kind === "deal") || Boolean(range?.stagesChanged);
  await runBatch(db, [
    ...statementsOf(db, closing.chunks(timeZone)),
    ...(full || closing.size > 0 || dealsChanged ? snapshotStatements(db, today) : []),
    saveStateStatement(db, next, now),
  ]);
  return {
    full,
    liveDay: today,
    eventSeq,
    inline: (fanOut ? 0 : work.size) + closing.size,
    queued: fanOut ? work.size : 0,
  };
}
