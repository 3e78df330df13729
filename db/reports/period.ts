// A report's period: local dates from and to (both included), given as `period` (a year, quarter, month or day)
// or as `from`/`to`; by default the current month of the organisation. "Today" is known in SQL only (the
// organisation's zone is read in the request's own batch), so a default period is an SQL expression.
import { type SQL, sql } from "drizzle-orm";

export interface Period {
  from: SQL;
  to: SQL;
}

/** The organisation's date now, through the zone offset the last rollup run saved (UTC before any run). */
export const TODAY = sql`date((unixepoch('subsec') * 1000 + (select coalesce(max(offset_ms), 0) from report_state where id = 1)) / 1000, 'unixepoch')`;

export const PERIOD_PATTERN = /^(\d{4})(?:-(?:Q([1-4])|(\d{2})(?:-(\d{2}))?))?$/;
export const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

const pad = (n: number) => String(n).padStart(2, "0");

function lastDayOfMonth(year: number, month: number): string {
  return `${year}-${pad(month)}-${pad(new Date(Date.UTC(year, month, 0)).getUTCDate())}`;
}

/** Whether the text is a real calendar date (2026-02-30 is not). */
export function isDate(value: string): boolean {
  if (!DATE_PATTERN.test(value)) return false;
  const [y, m, d] = value.split("-").map(Number) as [number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/** The dates a period names: `2026`, `2026-Q2`, `2026-05` or `2026-05-14`; null for anything else. */
export function periodDates(period: string): { from: string; to: string } | null {
  const match = PERIOD_PATTERN.exec(period);
  if (!match) return null;
  const year = Number(match[1]);
  const [, , quarter, month, day] = match;
  if (quarter) {
    const q = Number(quarter);
    return { from: `${year}-${pad(q * 3 - 2)}-01`, to: lastDayOfMonth(year, q * 3) };
  }
  if (month && day) return isDate(period) ? { from: period, to: period } : null;
  if (month) {
    const m = Number(month);
    return m >= 1 && m <= 12 ? { from: `${year}-${month}-01`, to: lastDayOfMonth(year, m) } : null;
  }
  return { from: `${year}-01-01`, to: `${year}-12-31` };
}

export function literalPeriod(from: string, to: string): Period {
  return { from: sql`${from}`, to: sql`${to}` };
}

/** The organisation's current month, in SQL. */
export function currentMonth(): Period {
  return {
    from: sql`date(${TODAY}, 'start of month')`,
    to: sql`date(${TODAY}, 'start of month', '+1 month', '-1 day')`,
  };
}
