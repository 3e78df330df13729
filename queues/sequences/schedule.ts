// When a sequence step is due: business days (Monday to Friday) counted on the calendar of the contact owner's
// time zone, at a local hour that suits people (09:00 for steps, 17:00 for the tasks they make).
import { canonicalTimeZone } from "../../db/settings.ts";
import { localTime } from "../assignment/availability.ts";

/** Steps with a delay run at 09:00 owner-local time. */
export const STEP_MINUTE = 9 * 60;
/** Tasks a step makes are due at 17:00 owner-local time. */
export const TASK_DUE_MINUTE = 17 * 60;

const DAY = 24 * 60 * 60_000;

interface LocalDate {
  year: number;
  month: number;
  day: number;
}

/** A zone the runtime knows, else UTC: a bad stored zone should delay nobody's email to a random hour. */
export function zoneOrUtc(timeZone: string | null | undefined): string {
  return (timeZone && canonicalTimeZone(timeZone)) || "UTC";
}

/**
 * The zone steps count in: the contact owner's, else the organisation's (the `timeZone` setting, stored as
 * JSON text), else UTC.
 */
export function enrolmentZone(ownerTimeZone: string | null, orgTimeZoneJson: string | null): string {
  if (ownerTimeZone) return zoneOrUtc(ownerTimeZone);
  try {
    return zoneOrUtc(orgTimeZoneJson === null ? null : (JSON.parse(orgTimeZoneJson) as string));
  } catch {
    return "UTC";
  }
}

function localDate(at: number, timeZone: string): LocalDate {
  const { year, month, day } = localTime(at, timeZone);
  return { year, month, day };
}

function isBusinessDay(date: LocalDate): boolean {
  const weekday = new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay();
  return weekday !== 0 && weekday !== 6;
}

/** The n-th business day after `date` (a Saturday or Sunday counts for nothing). */
function businessDaysAfter(date: LocalDate, n: number): LocalDate {
  let cursor = Date.UTC(date.year, date.month - 1, date.day);
  for (let left = n; left > 0; ) {
    cursor += DAY;
    const weekday = new Date(cursor).getUTCDay();
    if (weekday !== 0 && weekday !== 6) left -= 1;
  }
  const next = new Date(cursor);
  return { year: next.getUTCFullYear(), month: next.getUTCMonth() + 1, day: next.getUTCDate() };
}

/**
 * The instant the wall clock in `timeZone` shows `minute` on `date`. The zone's offset is read at a first guess
 * and again at the corrected instant, which settles it on either side of a daylight-saving change.
 */
function instantOn(date: LocalDate, minute: number, timeZone: string): number {
  const wall = Date.UTC(date.year, date.month - 1, date.day, 0, minute);
  const guess = wall - localTime(wall, timeZone).offset;
  return wall - localTime(guess, timeZone).offset;
}

/**
 * When a step that waits `delayDays` business days after `base` is due: at `base` itself for no delay, else at
 * 09:00 local time on the delayDays-th business day after base's local date (from a Friday or a weekend, one
 * business day is Monday).
 */
export function stepDueAt(base: number, delayDays: number, timeZone: string): number {
  if (delayDays <= 0) return base;
  const zone = zoneOrUtc(timeZone);
  return instantOn(businessDaysAfter(localDate(base, zone), delayDays), STEP_MINUTE, zone);
}

/**
 * When a task made at `base` is due: 17:00 local time `dueInDays` business days later; for 0, the same day
 * when it is a business day before 17:00, else the next business day.
 */
export function taskDueAt(base: number, dueInDays: number, timeZone: string): number {
  const zone = zoneOrUtc(timeZone);
  const today = localDate(base, zone);
  if (dueInDays > 0) return instantOn(businessDaysAfter(today, dueInDays), TASK_DUE_MINUTE, zone);
  const sameDay = instantOn(today, TASK_DUE_MINUTE, zone);
  if (isBusinessDay(today) && sameDay > base) return sameDay;
  return instantOn(businessDaysAfter(today, 1), TASK_DUE_MINUTE, zone);
}
