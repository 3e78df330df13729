// Whether a user takes leads at a given instant (active, not out of office, within their working hours in their
// own time zone), and business time: the instant a number of working minutes after another.
import { z } from "@hono/zod-openapi";

export const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;
type Weekday = (typeof WEEKDAYS)[number];

const Clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, "HH:MM, 00:00 to 24:00");
const Window = z
  .strictObject({ start: Clock, end: Clock })
  .refine((w) => minutesOf(w.start) < minutesOf(w.end), "start must be before end");

export const WorkingHoursSchema = z
  .strictObject(
    Object.fromEntries(WEEKDAYS.map((d) => [d, z.array(Window).max(4).default([])])) as {
      [K in Weekday]: z.ZodDefault<z.ZodArray<typeof Window>>;
    },
  )
  .openapi("WorkingHours", {
    description:
      "Per weekday, the windows (local time of the user's time zone) the user works; a day left out is off.",
    example: { mon: [{ start: "09:00", end: "17:00" }] },
  });
export type WorkingHours = z.infer<typeof WorkingHoursSchema>;

export const OutOfOfficeSchema = z
  .array(
    z
      .strictObject({ from: z.number().int(), to: z.number().int(), note: z.string().max(200).optional() })
      .refine((r) => r.from < r.to, "from must be before to"),
  )
  .max(50)
  .openapi({ description: "Ranges in epoch milliseconds, `to` exclusive." });

export const AvailabilitySchema = z
  .strictObject({
    workingHours: WorkingHoursSchema.nullable().default(null),
    outOfOffice: OutOfOfficeSchema.default([]),
    maxOpenLeads: z.number().int().min(0).max(100_000).nullable().default(null),
  })
  .openapi("Availability");
export type Availability = z.infer<typeof AvailabilitySchema>;

export const ALWAYS_AVAILABLE: Availability = { workingHours: null, outOfOffice: [], maxOpenLeads: null };

/** The stored columns as an Availability; what cannot be read counts as no restriction. */
export function availabilityOf(
  row:
    | { workingHours: string | null; outOfOffice: string | null; maxOpenLeads: number | null }
    | null
    | undefined,
): Availability {
  if (!row) return ALWAYS_AVAILABLE;
  const parsed = AvailabilitySchema.safeParse({
    workingHours: row.workingHours === null ? null : JSON.parse(row.workingHours),
    outOfOffice: JSON.parse(row.outOfOffice ?? "[]"),
    maxOpenLeads: row.maxOpenLeads,
  });
  return parsed.success ? parsed.data : ALWAYS_AVAILABLE;
}

function minutesOf(clock: string): number {
  const [h, m] = clock.split(":").map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The wall clock of `at` in `timeZone`: weekday, date and minutes since local midnight. */
export function localTime(at: number, timeZone: string) {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      weekday: "short",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(new Date(at)).map((p) => [p.type, p.value]));
  const weekday = WEEKDAYS.indexOf((parts.weekday ?? "Sun").toLowerCase().slice(0, 3) as Weekday);
  const [year, month, day] = [Number(parts.year), Number(parts.month), Number(parts.day)];
  const minute = Number(parts.hour) * 60 + Number(parts.minute);
  // Offset of the zone at `at`: the wall clock read as UTC, minus the instant.
  const offset =
    Date.UTC(year, month - 1, day, Number(parts.hour), Number(parts.minute), Number(parts.second)) -
    (at - (at % 1000));
  return { weekday, year, month, day, minute, offset };
}

/** The instant the wall clock in `timeZone` shows `minute` on the local date of `at` (DST-aware). */
function instantAt(at: number, minuteOfDay: number, timeZone: string): number {
  const { year, month, day, offset } = localTime(at, timeZone);
  const guess = Date.UTC(year, month - 1, day, 0, minuteOfDay) - offset;
  const corrected = Date.UTC(year, month - 1, day, 0, minuteOfDay) - localTime(guess, timeZone).offset;
  return corrected;
}

function windowsOn(hours: WorkingHours, weekday: number) {
  const day = WEEKDAYS[weekday] ?? "sun";
  return (hours[day] ?? [])
    .map((w) => ({ start: minutesOf(w.start), end: minutesOf(w.end) }))
    .sort((a, b) => a.start - b.start);
}

export function withinWorkingHours(at: number, hours: WorkingHours | null, timeZone: string): boolean {
  if (hours === null) return true;
  const local = localTime(at, timeZone);
  return windowsOn(hours, local.weekday).some((w) => local.minute >= w.start && local.minute < w.end);
}

export type Unavailable = "inactive" | "out_of_office" | "outside_working_hours";

/** Why the user does not take a lead at `at`, or null when they do (capacity is checked in SQL, at the pick). */
export function unavailableReason(
  user: { active: boolean; timeZone: string },
  availability: Availability,
  at: number,
): Unavailable | null {
  if (!user.active) return "inactive";
  if (availability.outOfOffice.some((r) => at >= r.from && at < r.to)) return "out_of_office";
  if (!withinWorkingHours(at, availability.workingHours, safeZone(user.timeZone)))
    return "outside_working_hours";
  return null;
}

function safeZone(timeZone: string): string {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
    return timeZone;
  } catch {
    return "UTC";
  }
}

const MINUTE = 60_000;

/**
 * The instant `minutes` working minutes after `start`, counting only the user's working hours in their time
 * zone (and all time when they have none). Walks day by day, at most a few weeks ahead.
 */
export function addWorkingMinutes(
  start: number,
  minutes: number,
  hours: WorkingHours | null,
  timeZone: string,
): number {
  if (hours === null || WEEKDAYS.every((d) => (hours[d] ?? []).length === 0)) return start + minutes * MINUTE;
  const zone = safeZone(timeZone);
  let remaining = minutes * MINUTE;
  let cursor = start;
  for (let day = 0; day < 400 && remaining > 0; day++) {
    const anchor = cursor;
    const local = localTime(anchor, zone);
    for (const w of windowsOn(hours, local.weekday)) {
      const from = Math.max(cursor, instantAt(anchor, w.start, zone));
      const to = instantAt(anchor, w.end, zone);
      if (to <= from) continue;
      if (to - from >= remaining) return from + remaining;
      remaining -= to - from;
      cursor = to;
    }
    // Local midnight of the next day.
    cursor = Math.max(cursor, instantAt(anchor, 24 * 60, zone));
  }
  return cursor + remaining;
}
