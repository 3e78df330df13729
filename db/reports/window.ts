// Where the rows of a rollup come from in time: a set of closed local days (a rollup run recomputes their
// buckets), or the live window from the last run's day on (a report adds it to the rollup rows). One SELECT per
// rollup serves both, so what a report computes live is exactly what the next run will store.
import { type SQL, sql } from "drizzle-orm";
import type { DayBound } from "./days.ts";

export interface Window {
  /** The window's CTE, `w`, to put first in a WITH clause. */
  cte: SQL;
  /**
   * `w` joined to a table (with its alias) on a time column. `w` is always the outer loop (CROSS JOIN), so the
   * table is read through a seek on its time index for the window's days, never scanned.
   */
  over(table: SQL, at: SQL): SQL;
  /** The local date of a time in the window. */
  day(at: SQL): SQL;
}

/** Closed days: each row lands in the bucket of the day its time falls in. */
export function daysWindow(days: readonly DayBound[]): Window {
  const json = JSON.stringify(days.map((d) => [d.day, d.start, d.end]));
  return {
    cte: sql`w(day, d0, d1) as (select json_extract(value, '$[0]'), json_extract(value, '$[1]'),
      json_extract(value, '$[2]') from json_each(${json}))`,
    over: (table, at) => sql`w cross join ${table} on ${at} >= w.d0 and ${at} < w.d1`,
    day: () => sql`w.day`,
  };
}

/**
 * Everything from the start of the last run's day (all of it before any run), labelled with its local date
 * through the zone's offset at that start.
 */
export function liveWindow(): Window {
  return {
    cte: sql`w(d0, off) as (select coalesce(max(live_from), 0), coalesce(max(offset_ms), 0) from report_state where id = 1)`,
    over: (table, at) => sql`w cross join ${table} on ${at} >= w.d0`,
    day: (at) => sql`date((${at} + w.off) / 1000, 'unixepoch')`,
  };
}

/**
 * A table read over a window through its index on the window's time column. Naming the index (INDEXED BY) keeps
 * the planner from choosing by its row estimates, which at a million rows picked an automatic index on another
 * column, built by reading the whole table on every report; and a statement the index cannot serve fails
 * outright instead of silently scanning, so the query-plan tests catch it on any data.
 */
export function timed(table: string, alias: string, index: string): SQL {
  return sql.raw(`${table} ${alias} indexed by ${index}`);
}

/** The first day the live window holds ('' before any run: every day is live). */
export const LIVE_DAY = sql`(select coalesce(max(live_day), '') from report_state where id = 1)`;
