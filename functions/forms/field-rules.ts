// The one rule set for form input, shared by the Worker (zod wraps it) and the embed script (valibot wraps
// it). Pure and dependency-free so the browser bundle can import it by relative path.

export const FIELD_TYPES = [
  "text",
  "email",
  "phone",
  "textarea",
  "number",
  "select",
  "multiselect",
  "checkbox",
  "date",
  "url",
  "hidden",
] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export const LANGUAGES = ["en", "vi"] as const;
export type Lang = (typeof LANGUAGES)[number];

/** Text in English, optionally in Vietnamese; English stands in where a translation is missing. */
export interface LocalizedText {
  en: string;
  vi?: string;
}

export interface FieldOption {
  value: string;
  label: LocalizedText;
}

export interface PublicField {
  key: string;
  type: FieldType;
  label: LocalizedText;
  placeholder?: LocalizedText;
  required: boolean;
  options?: FieldOption[];
  min?: number;
  max?: number;
  maxLength?: number;
}

export interface PublicForm {
  id: string;
  name: string;
  languages: Lang[];
  fields: PublicField[];
  consent: { text: LocalizedText; required: boolean } | null;
  submitLabel: LocalizedText;
  thankYou: { message: LocalizedText; redirectUrl: string | null };
  turnstileSiteKey: string | null;
  minFillMs: number;
  honeypotName: string;
}

/** A field key is also the input's name attribute. */
export const FIELD_KEY_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;

/** Upper bounds: the longest value each type takes, and the size of a form. */
export const LIMITS = {
  text: 200,
  textarea: 5000,
  email: 254,
  url: 2048,
  phone: 40,
  hidden: 500,
  select: 200,
  multiselect: 200,
  number: 40,
  date: 10,
  checkbox: 5,
  fields: 50,
  options: 100,
  label: 300,
  consentText: 2000,
  visitorId: 64,
} as const;

export const ERROR_CODES = [
  "required",
  "too_long",
  "invalid_email",
  "invalid_url",
  "invalid_phone",
  "invalid_number",
  "out_of_range",
  "invalid_option",
  "invalid_date",
  "consent_required",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const MESSAGES: Record<Lang, Record<ErrorCode, string>> = {
  en: {
    required: "This field is required.",
    too_long: "This value is too long.",
    invalid_email: "Enter a valid email address.",
    invalid_url: "Enter a valid web address starting with http:// or https://.",
    invalid_phone: "Enter a valid phone number.",
    invalid_number: "Enter a number.",
    out_of_range: "This number is outside the allowed range.",
    invalid_option: "Choose one of the options.",
    invalid_date: "Enter a valid date.",
    consent_required: "Please give your consent to continue.",
  },
  vi: {
    required: "Trường này là bắt buộc.",
    too_long: "Giá trị này quá dài.",
    invalid_email: "Vui lòng nhập địa chỉ email hợp lệ.",
    invalid_url: "Vui lòng nhập địa chỉ web hợp lệ, bắt đầu bằng http:// hoặc https://.",
    invalid_phone: "Vui lòng nhập số điện thoại hợp lệ.",
    invalid_number: "Vui lòng nhập một số.",
    out_of_range: "Số này nằm ngoài khoảng cho phép.",
    invalid_option: "Vui lòng chọn một trong các lựa chọn.",
    invalid_date: "Vui lòng nhập ngày hợp lệ.",
    consent_required: "Vui lòng đồng ý để tiếp tục.",
  },
};

export type FieldCheck = { ok: true; value: unknown } | { ok: false; code: ErrorCode };

/** The text in the language asked for, English when it has no translation. */
export function localize(text: LocalizedText, lang: Lang): string {
  return (lang === "vi" ? text.vi : undefined) || text.en;
}

/** The longest value a field takes: its own maxLength, never above its type's limit. */
export function maxLengthOf(field: PublicField): number {
  const limit = LIMITS[field.type];
  return field.maxLength !== undefined && field.maxLength < limit ? field.maxLength : limit;
}

const EMAIL =
  /^[^\s@"<>(),;:\\[\]]{1,64}@(?:[^\s@"<>(),;:\\[\]._][^\s@"<>(),;:\\[\].]*\.)+[^\s@"<>(),;:\\[\].\d]{2,}$/u;
const PHONE_CHARS = /^\+?[\d\s().\-/]+$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TRUE_WORDS = new Set(["true", "on", "1", "yes"]);

/** A scalar as trimmed text; arrays (a repeated input name) join; anything else counts as no value. */
function asText(value: unknown): string | undefined {
  if (typeof value === "string") return value.trim();
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value === "boolean") return value ? "true" : "";
  if (Array.isArray(value)) {
    const parts = value.map(asText).filter((part): part is string => !!part);
    return parts.join(", ");
  }
  return undefined;
}

function isValidDate(text: string): boolean {
  const match = ISO_DATE.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function isValidUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname.length > 0;
  } catch {
    return false;
  }
}

function checkCheckbox(field: PublicField, value: unknown): FieldCheck {
  const text = Array.isArray(value) ? asText(value.at(-1)) : asText(value);
  const checked = value === true || (text !== undefined && TRUE_WORDS.has(text.toLowerCase()));
  if (!checked && field.required) return { ok: false, code: "required" };
  return { ok: true, value: checked };
}

function checkMultiselect(field: PublicField, value: unknown): FieldCheck {
  const list = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  const chosen: string[] = [];
  for (const item of list) {
    const text = asText(item);
    if (text === undefined || Array.isArray(item)) return { ok: false, code: "invalid_option" };
    if (text === "") continue;
    if (!field.options?.some((option) => option.value === text)) return { ok: false, code: "invalid_option" };
    if (!chosen.includes(text)) chosen.push(text);
  }
  if (chosen.length === 0)
    return field.required ? { ok: false, code: "required" } : { ok: true, value: undefined };
  return { ok: true, value: chosen };
}

/**
 * Checks one field's value and gives it back normalised (trimmed text, a number, a boolean for a checkbox,
 * a list for a multiselect, undefined for an empty optional field).
 */
export function checkFieldValue(field: PublicField, value: unknown): FieldCheck {
  if (field.type === "checkbox") return checkCheckbox(field, value);
  if (field.type === "multiselect") return checkMultiselect(field, value);

  const single = Array.isArray(value) && value.length === 1 ? value[0] : value;
  const text = asText(single);
  if (text === undefined || text === "") {
    return field.required ? { ok: false, code: "required" } : { ok: true, value: undefined };
  }
  if (text.length > maxLengthOf(field)) return { ok: false, code: "too_long" };

  switch (field.type) {
    case "email":
      return EMAIL.test(text) ? { ok: true, value: text } : { ok: false, code: "invalid_email" };
    case "url":
      return isValidUrl(text) ? { ok: true, value: text } : { ok: false, code: "invalid_url" };
    case "phone": {
      const digits = text.replace(/\D/g, "").length;
      return PHONE_CHARS.test(text) && digits >= 6 && digits <= 15
        ? { ok: true, value: text }
        : { ok: false, code: "invalid_phone" };
    }
    case "number": {
      const number = Array.isArray(single) ? Number.NaN : Number(text.replace(",", "."));
      if (!Number.isFinite(number)) return { ok: false, code: "invalid_number" };
      if (
        (field.min !== undefined && number < field.min) ||
        (field.max !== undefined && number > field.max)
      ) {
        return { ok: false, code: "out_of_range" };
      }
      return { ok: true, value: number };
    }
    case "select":
      return field.options?.some((option) => option.value === text)
        ? { ok: true, value: text }
        : { ok: false, code: "invalid_option" };
    case "date":
      return isValidDate(text) ? { ok: true, value: text } : { ok: false, code: "invalid_date" };
    default:
      return { ok: true, value: text };
  }
}

/** Whether the consent box counts as ticked: true, or the "on" a plain HTML checkbox sends. */
export function isConsentGiven(value: unknown): boolean {
  if (value === true) return true;
  const text = Array.isArray(value) ? asText(value.at(-1)) : asText(value);
  return text !== undefined && TRUE_WORDS.has(text.toLowerCase());
}

export interface FieldError {
  field: string;
  code: ErrorCode;
}

/**
 * Checks a whole submission against a form: every field and the consent. The values come back normalised,
 * empty optional fields left out; `consent` is reported under the field name "consent".
 */
export function checkSubmission(
  form: Pick<PublicForm, "fields" | "consent">,
  fields: Record<string, unknown>,
  consent: unknown,
): { values: Record<string, unknown>; errors: FieldError[] } {
  const values: Record<string, unknown> = {};
  const errors: FieldError[] = [];
  for (const field of form.fields) {
    const result = checkFieldValue(field, Object.hasOwn(fields, field.key) ? fields[field.key] : undefined);
    if (!result.ok) errors.push({ field: field.key, code: result.code });
    else if (result.value !== undefined) values[field.key] = result.value;
  }
  if (form.consent?.required && !isConsentGiven(consent))
    errors.push({ field: "consent", code: "consent_required" });
  return { values, errors };
}
