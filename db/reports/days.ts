// Local days of the organisation's time zone as instants: the day buckets of the report rollups are cut here, in
// code, because SQLite knows no time zones. Every zone's offset is a whole number of quarter hours, so a quarter
// hour of UTC time lies within one local day: the rollups find changed days as quarter-hour slots in SQL.
import { localDay } from "../tasks.ts";

export const SLOT_MS = 15 * 60_000;
const DAY_MS = 24 * 60 * 60_000;

/** A local day and the instants it runs between: [start, end). */
export interface DayBound {
  day: string;
  start: number;
  end: number;
}

const formats = new Map<string, Intl.DateTimeFormat>();

function formatFor(timeZone: string): Intl.DateTimeFormat {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-CA", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
    });
    formats.set(timeZone, format);
  }
  return format;
}

/** The local date (YYYY-MM-DD) of an instant in the zone. */
export function localDate(at: number, timeZone: string): string {
  const parts: Record<string, string> = {};
  for (const part of formatFor(timeZone).formatToParts(at)) parts[part.type] = part.value;
  return `${parts.year}-${parts.month}-${parts.day}`;
}

const clocks = new Map<string, Intl.DateTimeFormat>();

/** The zone's offset from UTC at an instant, in ms (positive east of Greenwich). */
export function offsetAt(at: number, timeZone: string): number {
  const [y, m, d] = localDate(at, timeZone).split("-").map(Number) as [number, number, number];
  let clock = clocks.get(timeZone);
  if (!clock) {
    clock = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      hour: "numeric",
      minute: "numeric",
    });
    clocks.set(timeZone, clock);
  }
  const parts: Record<string, number> = {};
  for (const part of clock.formatToParts(at)) parts[part.type] = Number(part.value);
  const wall = Date.UTC(y, m - 1, d, parts.hour ?? 0, parts.minute ?? 0);
  return wall - Math.floor(at / 60_000) * 60_000;
}

/** The instants a local date runs between. */
export function dayBound(day: string, timeZone: string): DayBound {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  const noonUtc = Date.UTC(y, m - 1, d, 12);
  // Local noon of that date, give or take the offset: an instant inside the day whatever the zone.
  const inside = noonUtc - offsetAt(noonUtc, timeZone);
  const { start, end } = localDay(inside, timeZone);
  return { day, start, end };
}

/** The date after a date (calendar arithmetic, no zone). */
export function nextDate(day: string): string {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d) + DAY_MS).toISOString().slice(0, 10);
}

/** The date before a date. */
export function previousDate(day: string): string {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d) - DAY_MS).toISOString().slice(0, 10);
}

/** Every date from `from` to `to`, both included. */
export function datesBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let day = from; day <= to; day = nextDate(day)) out.push(day);
  return out;
}

/** The local dates of quarter-hour slots (slot × SLOT_MS), before `until` (a date), sorted. */
export function datesOfSlots(slots: readonly number[], timeZone: string, until: string): string[] {
  const days = new Set<string>();
  for (const slot of slots) {
    const day = localDate(slot * SLOT_MS, timeZone);
    if (day < until) days.add(day);
  }
  return [...days].sort();
}
