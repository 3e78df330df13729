// From the values a mapping read out of one event to the lead they describe, in the shape form submissions use
// (queues/capture/lead.ts): email lower-cased, phone in E.164, custom values checked against the contact's
// fields, the company's domain (mapped, or the email's unless it is free mail), and the UTM touch.
import { normalizeDomain } from "../../db/companies/domain.ts";
import type { RecordConfig } from "../../db/custom-fields.ts";
import { validateCustom } from "../../db/custom-fields.ts";
import { toE164 } from "../../db/phones.ts";
import { isFreeMailDomain } from "../capture/free-mail.ts";
import type { Lead } from "../capture/lead.ts";
import type { Utm } from "../capture/message.ts";
import { UTM_KEYS } from "./mapping.ts";

/** Text as a contact field takes it: trimmed, without NULs (a JSON payload may carry them escaped), capped. */
function text(value: unknown, max = 500): string | null {
  if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") return null;
  const cleaned = String(value).replaceAll("\u0000", "").trim();
  return cleaned === "" ? null : cleaned.slice(0, max);
}

function customValue(value: unknown): unknown {
  if (typeof value === "string") return value.replaceAll("\u0000", "");
  if (Array.isArray(value)) return value.map(customValue);
  return value;
}

export interface WebhookLead extends Lead {
  utm: Utm;
}

export function leadOf(
  values: Record<string, unknown>,
  config: Pick<RecordConfig, "region" | "definitions">,
): WebhookLead {
  const field = (target: string) => text(values[target]);
  const custom: Record<string, unknown> = {};
  const utm: Utm = {};
  for (const [target, value] of Object.entries(values)) {
    if (target.startsWith("contact.custom."))
      custom[target.slice("contact.custom.".length)] = customValue(value);
    if (target.startsWith("utm.")) {
      const key = target.slice(4) as (typeof UTM_KEYS)[number];
      const v = text(value, 200);
      if (v !== null && UTM_KEYS.includes(key)) utm[key] = v;
    }
  }
  const rawEmail = field("contact.email")?.toLowerCase() ?? null;
  const email = rawEmail && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(rawEmail) ? rawEmail.slice(0, 254) : null;
  const rawPhone = field("contact.phone");
  const phone = rawPhone ? toE164(rawPhone, config.region) : null;
  const checked = validateCustom(config.definitions, custom, { partial: true, region: config.region });
  const firstName = field("contact.firstName");
  const lastName = field("contact.lastName");
  const composed = [firstName, lastName].filter(Boolean).join(" ");
  const givenName = field("contact.name") ?? (composed || null);
  const emailDomain = email ? normalizeDomain(email.slice(email.lastIndexOf("@") + 1)) : null;
  const companyDomain = field("company.domain");
  const mappedDomain = companyDomain ? normalizeDomain(companyDomain) : null;
  return {
    email,
    phone,
    rawPhone,
    firstName,
    lastName,
    givenName,
    displayName: givenName ?? email ?? phone ?? rawPhone ?? "Webhook lead",
    jobTitle: field("contact.jobTitle"),
    address: field("contact.address"),
    custom: checked.values,
    skipped: checked.errors.map((e) => `${e.path}: ${e.message}`),
    company: {
      name: field("company.name"),
      domain: mappedDomain ?? (emailDomain && !isFreeMailDomain(emailDomain) ? emailDomain : null),
      industry: field("company.industry"),
      size: field("company.size"),
      country: field("company.country"),
    },
    utm,
  };
}
