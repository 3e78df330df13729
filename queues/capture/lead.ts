// From a form's checked values to the lead they describe: the contact's and the company's properties as the
// form maps them (email lower-cased, phone in E.164, custom values checked), the company's domain (mapped, or
// the email's unless it is free mail), the fingerprint that recognises a double click, and readable summaries.
import { normalizeDomain } from "../../db/companies/domain.ts";
import { type CustomFieldDefinition, validateCustom } from "../../db/custom-fields.ts";
import { toE164 } from "../../db/phones.ts";
import { type FormField, parseMapTo, type StoredDefinition } from "../../functions/forms/definition.ts";
import { type Lang, localize } from "../../functions/forms/field-rules.ts";
import { isFreeMailDomain } from "./free-mail.ts";

export interface Lead {
  email: string | null;
  /** E.164; null when there is none or it could not be read as a number (the raw text stays in `rawPhone`). */
  phone: string | null;
  rawPhone: string | null;
  firstName: string | null;
  lastName: string | null;
  /** A name the form gave (its own field, or first and last); null when it gave none. */
  givenName: string | null;
  /** What a new contact is called: the given name, else the email, else the phone. */
  displayName: string;
  jobTitle: string | null;
  address: string | null;
  custom: Record<string, unknown>;
  /** Custom values the contact's field definitions refused; they stay on the submission and the timeline. */
  skipped: string[];
  company: {
    name: string | null;
    domain: string | null;
    industry: string | null;
    size: string | null;
    country: string | null;
  };
}

const text = (value: unknown): string | null =>
  typeof value === "string" && value.trim() !== ""
    ? value.trim()
    : typeof value === "number"
      ? String(value)
      : null;

export function leadFrom(
  definition: StoredDefinition,
  values: Record<string, unknown>,
  options: { region: string; customFields: readonly CustomFieldDefinition[] },
): Lead {
  const contact: Record<string, string | null> = {};
  const company: Record<string, string | null> = {};
  const custom: Record<string, unknown> = {};
  for (const field of definition.fields) {
    const value = values[field.key];
    if (field.mapTo === null || value === undefined) continue;
    const target = parseMapTo(field.mapTo);
    if (!target) continue;
    if ("custom" in target) custom[target.custom] = value;
    else if (target.object === "company") company[target.property] = text(value);
    else contact[target.property] = text(value);
  }
  const email = contact.email?.toLowerCase() ?? null;
  const rawPhone = contact.phone ?? null;
  const phone = rawPhone ? toE164(rawPhone, options.region) : null;
  const checked = validateCustom(options.customFields, custom, { partial: true, region: options.region });
  const firstName = contact.firstName ?? null;
  const lastName = contact.lastName ?? null;
  const composed = [firstName, lastName].filter(Boolean).join(" ");
  const givenName = contact.name ?? (composed || null);
  const emailDomain = email ? normalizeDomain(email.slice(email.lastIndexOf("@") + 1)) : null;
  const mappedDomain = company.domain ? normalizeDomain(company.domain) : null;
  return {
    email,
    phone,
    rawPhone,
    firstName,
    lastName,
    givenName,
    displayName: givenName ?? email ?? phone ?? rawPhone ?? "Form lead",
    jobTitle: contact.jobTitle ?? null,
    address: contact.address ?? null,
    custom: checked.values,
    skipped: checked.errors.map((e) => `${e.path}: ${e.message}`),
    company: {
      name: company.name ?? null,
      domain: mappedDomain ?? (emailDomain && !isFreeMailDomain(emailDomain) ? emailDomain : null),
      industry: company.industry ?? null,
      size: company.size ?? null,
      country: company.country ?? null,
    },
  };
}

/** Values in a stable order, so equal submissions hash alike whatever order their fields came in. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => [k, canonical(v)]),
    );
  }
  return value;
}

/**
 * The double-click fingerprint: the form, who sent it (email, else visitor id, else address) and exactly what
 * they sent. Two submissions with the same fingerprint close together are one lead.
 */
export async function fingerprintOf(
  formId: string,
  who: string | null,
  values: Record<string, unknown>,
  consent: boolean,
): Promise<string> {
  const text = JSON.stringify([formId, who ?? "", canonical(values), consent]);
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function display(field: FormField, value: unknown, lang: Lang): string {
  if (typeof value === "boolean") return value ? "✓" : "✗";
  const list = Array.isArray(value) ? value : [value];
  return list
    .map((item) => {
      const option = field.options?.find((o) => o.value === item);
      return option ? localize(option.label, lang) : String(item);
    })
    .join(", ");
}

/** "Label: value" lines, in the form's order and default language: the timeline entry and the notification. */
export function summaryOf(definition: StoredDefinition, values: Record<string, unknown>): string {
  const lang = definition.languages[0] ?? "en";
  return definition.fields
    .filter((field) => values[field.key] !== undefined)
    .map((field) => `${localize(field.label, lang)}: ${display(field, values[field.key], lang)}`)
    .join("\n");
}

/** The deal's name from its template: {form}, {name}, {email} and {<field key>}. */
export function dealName(
  template: string,
  formName: string,
  lead: Lead,
  values: Record<string, unknown>,
): string {
  const name = template.replace(/\{([a-z][a-z0-9_]{0,63})\}/g, (_, key: string) => {
    if (key === "form") return formName;
    if (key === "name") return lead.displayName;
    if (key === "email") return lead.email ?? "";
    const value = values[key];
    return value === undefined ? "" : Array.isArray(value) ? value.join(", ") : String(value);
  });
  return name.trim().slice(0, 200) || formName;
}
