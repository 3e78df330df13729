// Phone numbers in E.164, read with libphonenumber-js (its smallest, "min", metadata). A number written
// without a country code is read in the organisation's default region (setting `defaultPhoneRegion`).
import { type CountryCode, parsePhoneNumberFromString } from "libphonenumber-js/min";

/** The number in E.164 (`+84912345678`), or null when it is not a valid phone number. */
export function toE164(input: string, region: string): string | null {
  const parsed = parsePhoneNumberFromString(input, region as CountryCode);
  return parsed?.isValid() ? parsed.number : null;
}

/** Whether reading the number needs the default region: it does not start with `+` (or `00`). */
export function needsRegion(input: string): boolean {
  return !/^\s*(\+|00)/.test(input);
}
