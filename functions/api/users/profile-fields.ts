// The fields of a user's profile, checked alike where an admin changes a user and where users change their own.
import { z } from "@hono/zod-openapi";

export const Name = z.string().trim().min(1).max(100).openapi({ example: "Ada Lovelace" });

export const Locale = z
  .string()
  .max(35)
  .refine(isLocale, "Not a language tag; use one like en or pt-BR.")
  .openapi({ example: "en-GB" });

export const TimeZone = z
  .string()
  .max(64)
  .refine(isTimeZone, "Not an IANA time zone; use one like Europe/Paris or UTC.")
  .openapi({ example: "Europe/London" });

function isLocale(value: string): boolean {
  try {
    return Intl.getCanonicalLocales(value).length === 1;
  } catch {
    return false;
  }
}

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: value });
    return true;
  } catch {
    return false;
  }
}
