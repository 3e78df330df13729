// Every string the app shows goes through t() from one of two catalogues with the same keys (en.ts, vi.ts;
// a test compares them). English ships in the first load; Vietnamese loads when chosen. Dates, numbers and
// money are formatted by Intl for the current locale and the user's time zone.
import { en, type MessageKey } from "./en.ts";

export type { MessageKey };
export type Locale = "en" | "vi";
export const LOCALES: Locale[] = ["en", "vi"];
const INTL_LOCALE: Record<Locale, string> = { en: "en-US", vi: "vi-VN" };

let messages: Record<MessageKey, string> = en;
let current: Locale = "en";
let timeZone: string | undefined;

export function locale(): Locale {
  return current;
}

export function toLocale(value: string | null | undefined): Locale {
  return value?.toLowerCase().startsWith("vi") ? "vi" : "en";
}

/** Switches the catalogue (loading Vietnamese the first time) and the formats; the caller re-renders. */
export async function setLocale(next: Locale, zone?: string): Promise<void> {
  messages = next === "vi" ? (await import("./vi.ts")).vi : en;
  current = next;
  if (zone) timeZone = zone;
  formats.clear();
  document.documentElement.lang = next;
}

export function setTimeZone(zone: string | undefined): void {
  timeZone = zone;
  formats.clear();
}

/** The text of a key, with {name} placeholders filled in. */
export function t(key: MessageKey, values?: Record<string, string | number>): string {
  const text = messages[key] ?? en[key] ?? key;
  if (!values) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    values[name] === undefined
      ? whole
      : typeof values[name] === "number"
        ? number(values[name])
        : values[name],
  );
}

/** t() for keys made at run time (e.g. a lifecycle stage from the API), falling back to the raw value. */
export function tx(prefix: string, value: string | null | undefined): string {
  if (value === null || value === undefined) return "";
  const key = `${prefix}.${value}` as MessageKey;
  return key in en ? t(key) : value;
}

const formats = new Map<string, Intl.DateTimeFormat | Intl.NumberFormat | Intl.RelativeTimeFormat>();
function cached<T extends Intl.DateTimeFormat | Intl.NumberFormat | Intl.RelativeTimeFormat>(
  key: string,
  make: () => T,
): T {
  let format = formats.get(key) as T | undefined;
  if (!format) {
    format = make();
    formats.set(key, format);
  }
  return format;
}

function safeZone(): string | undefined {
  if (!timeZone) return undefined;
  try {
    new Intl.DateTimeFormat("en", { timeZone });
    return timeZone;
  } catch {
    return undefined;
  }
}

export function date(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "";
  return cached(
    `d${current}`,
    () => new Intl.DateTimeFormat(INTL_LOCALE[current], { dateStyle: "medium", timeZone: safeZone() }),
  ).format(ms);
}

export function dateTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "";
  return cached(
    `dt${current}`,
    () =>
      new Intl.DateTimeFormat(INTL_LOCALE[current], {
        dateStyle: "medium",
        timeStyle: "short",
        timeZone: safeZone(),
      }),
  ).format(ms);
}

/** A calendar date the API keeps as YYYY-MM-DD (no time zone of its own). */
export function calendarDate(iso: string | null | undefined): string {
  if (!iso) return "";
  const ms = Date.parse(`${iso}T00:00:00Z`);
  if (Number.isNaN(ms)) return iso;
  return cached(
    `cd${current}`,
    () => new Intl.DateTimeFormat(INTL_LOCALE[current], { dateStyle: "medium", timeZone: "UTC" }),
  ).format(ms);
}

export function number(value: number, fractionDigits?: number): string {
  return cached(
    `n${current}${fractionDigits ?? ""}`,
    () =>
      new Intl.NumberFormat(
        INTL_LOCALE[current],
        fractionDigits === undefined ? {} : { maximumFractionDigits: fractionDigits },
      ),
  ).format(value);
}

export function percent(ratio: number): string {
  return cached(
    `p${current}`,
    () => new Intl.NumberFormat(INTL_LOCALE[current], { style: "percent", maximumFractionDigits: 1 }),
  ).format(ratio);
}

function currencyFormat(currency: string): Intl.NumberFormat {
  return cached(`c${current}${currency}`, () => {
    try {
      return new Intl.NumberFormat(INTL_LOCALE[current], { style: "currency", currency });
    } catch {
      return new Intl.NumberFormat(INTL_LOCALE[current], { style: "currency", currency: "USD" });
    }
  }) as Intl.NumberFormat;
}

/** The number of minor units in one major unit of a currency (100 for USD, 1 for VND). */
export function minorUnits(currency: string): number {
  return 10 ** (currencyFormat(currency).resolvedOptions().maximumFractionDigits ?? 2);
}

/** Money the API keeps in integer minor units, in the currency's own format for the locale. */
export function money(minor: number, currency: string): string {
  return currencyFormat(currency).format(minor / minorUnits(currency));
}

/** "in 3 days", "2 hours ago". */
export function relative(ms: number, now = Date.now()): string {
  const diff = ms - now;
  const abs = Math.abs(diff);
  const format = cached(
    `r${current}`,
    () => new Intl.RelativeTimeFormat(INTL_LOCALE[current], { numeric: "auto" }),
  ) as Intl.RelativeTimeFormat;
  const units: [Intl.RelativeTimeFormatUnit, number][] = [
    ["day", 86_400_000],
    ["hour", 3_600_000],
    ["minute", 60_000],
  ];
  for (const [unit, size] of units) {
    if (abs >= size) return format.format(Math.round(diff / size), unit);
  }
  return format.format(0, "minute");
}
