// A form's definition as admins write it (zod, documented in OpenAPI): its fields and what each maps to, what
// a lead gets (lifecycle, lead status, owner, a deal), the thank-you, allowed origins, consent, notifications
// and spam settings. The public view of it (toPublicForm) is what the hosted page and the embed receive.
import { z } from "@hono/zod-openapi";
import type { CustomFieldDefinition } from "../../db/custom-fields.ts";
import { LEAD_STATUSES, LIFECYCLE_STAGES } from "../../db/schema/index.ts";
import {
  checkSubmission,
  ERROR_CODES,
  type ErrorCode,
  FIELD_KEY_PATTERN,
  FIELD_TYPES,
  type FieldError,
  type FieldType,
  LANGUAGES,
  LIMITS,
  type PublicField,
  type PublicForm,
} from "./field-rules.ts";

/** Input names the hosted page and plain form posts use for themselves; no field or honeypot may take one. */
export const RESERVED_NAMES = [
  "_sid",
  "_vid",
  "_rendered",
  "_lang",
  "_page",
  "consent",
  "cf-turnstile-response",
];

const Id = z.string().min(1).max(64);

function localized(max: number) {
  return z.strictObject({
    en: z.string().trim().min(1).max(max),
    vi: z.string().trim().max(max).optional(),
  });
}

const LocalizedText = localized(LIMITS.label).openapi("LocalizedText", {
  description: "English, and optionally Vietnamese (English stands in where it is missing).",
});

const HttpUrl = z
  .string()
  .max(2048)
  .refine(
    (value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol),
    "Must be an http(s) URL.",
  );

/**
 * An origin allowed to embed the form and post to it from the browser: `https://example.com`, a port if
 * any, `https://*.example.com` for every subdomain, or `*` for any site.
 */
const Origin = z
  .string()
  .trim()
  .toLowerCase()
  .regex(
    /^(\*|https?:\/\/(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?)$/,
    "An origin: scheme and host (and port), no path, e.g. https://www.example.com, or https://*.example.com, or *.",
  );

/** What a field's value may be written to. */
export const CONTACT_PROPERTIES = [
  "email",
  "phone",
  "firstName",
  "lastName",
  "name",
  "jobTitle",
  "address",
] as const;
export const COMPANY_PROPERTIES = ["name", "domain", "industry", "size", "country"] as const;
export type ContactProperty = (typeof CONTACT_PROPERTIES)[number];
export type CompanyProperty = (typeof COMPANY_PROPERTIES)[number];

export type MapTarget =
  | { object: "contact"; property: ContactProperty }
  | { object: "company"; property: CompanyProperty }
  | { object: "contact"; custom: string };

const MAP_TO = new RegExp(
  `^(contact\\.(${CONTACT_PROPERTIES.join("|")})|company\\.(${COMPANY_PROPERTIES.join("|")})|contact\\.custom\\.[A-Za-z0-9_]{1,64})$`,
);

export function parseMapTo(mapTo: string): MapTarget | null {
  if (!MAP_TO.test(mapTo)) return null;
  const [object, property, custom] = mapTo.split(".") as [string, string, string | undefined];
  if (object === "company") return { object: "company", property: property as CompanyProperty };
  if (property === "custom" && custom !== undefined) return { object: "contact", custom };
  return { object: "contact", property: property as ContactProperty };
}

const TEXT_LIKE: readonly FieldType[] = ["text", "textarea", "hidden", "select", "email", "phone", "url"];

/** The field types each target takes. */
const PROPERTY_TYPES: Record<string, readonly FieldType[]> = {
  "contact.email": ["email"],
  "contact.phone": ["phone"],
  "contact.firstName": ["text", "hidden"],
  "contact.lastName": ["text", "hidden"],
  "contact.name": ["text", "hidden"],
  "contact.jobTitle": ["text", "select", "hidden"],
  "contact.address": ["text", "textarea", "hidden"],
  "company.name": ["text", "hidden"],
  "company.domain": ["url", "text", "hidden"],
  "company.industry": ["text", "select", "hidden"],
  "company.size": ["text", "select", "hidden"],
  "company.country": ["text", "select", "hidden"],
};

const CUSTOM_TYPES: Record<CustomFieldDefinition["type"], readonly FieldType[]> = {
  text: TEXT_LIKE,
  number: ["number"],
  date: ["date"],
  select: ["select"],
  multi_select: ["multiselect"],
  boolean: ["checkbox"],
  url: ["url"],
  email: ["email"],
  phone: ["phone"],
};

export const FormFieldSchema = z
  .strictObject({
    key: z
      .string()
      .regex(FIELD_KEY_PATTERN, "Lower-case letters, digits and _, starting with a letter; at most 64."),
    type: z.enum(FIELD_TYPES),
    label: LocalizedText,
    placeholder: LocalizedText.optional(),
    required: z.boolean().default(false),
    options: z
      .array(z.strictObject({ value: z.string().trim().min(1).max(200), label: LocalizedText }))
      .max(LIMITS.options)
      .optional(),
    min: z.number().finite().optional(),
    max: z.number().finite().optional(),
    maxLength: z.number().int().min(1).max(LIMITS.textarea).optional(),
    mapTo: z
      .string()
      .regex(MAP_TO, "contact.<property>, contact.custom.<key> or company.<property>.")
      .nullable()
      .default(null)
      .openapi({
        description: `Where the value is written: contact.${CONTACT_PROPERTIES.join("|")}, contact.custom.<key> (a contact custom field), or company.${COMPANY_PROPERTIES.join("|")}. Null keeps it on the submission and the timeline only.`,
      }),
  })
  .superRefine((field, ctx) => {
    const choice = field.type === "select" || field.type === "multiselect";
    if (choice && (field.options?.length ?? 0) === 0) {
      ctx.addIssue({ code: "custom", path: ["options"], message: "A select needs at least one option." });
    }
    if (!choice && field.options !== undefined) {
      ctx.addIssue({ code: "custom", path: ["options"], message: "Only selects have options." });
    }
    const values = field.options?.map((option) => option.value) ?? [];
    if (new Set(values).size !== values.length) {
      ctx.addIssue({ code: "custom", path: ["options"], message: "Option values must differ." });
    }
    if (field.type !== "number" && (field.min !== undefined || field.max !== undefined)) {
      ctx.addIssue({ code: "custom", path: ["min"], message: "Only number fields have min and max." });
    }
    if (field.min !== undefined && field.max !== undefined && field.min > field.max) {
      ctx.addIssue({ code: "custom", path: ["max"], message: "max must not be below min." });
    }
  })
  .openapi("FormField");

const Consent = z
  .strictObject({ text: localized(LIMITS.consentText), required: z.boolean().default(true) })
  .openapi("FormConsent");

const DEFAULT_THANK_YOU = {
  message: { en: "Thank you! We will be in touch soon.", vi: "Cảm ơn bạn! Chúng tôi sẽ sớm liên hệ." },
  redirectUrl: null,
};

const Spam = z
  .strictObject({
    honeypotName: z
      .string()
      .regex(FIELD_KEY_PATTERN)
      .default("website_url")
      .openapi({ description: "Name of the hidden trap input: people leave it empty, bots fill it in." }),
    minFillMs: z
      .number()
      .int()
      .min(0)
      .max(3_600_000)
      .default(2000)
      .openapi({ description: "A submission sooner than this after the form was rendered is spam." }),
    turnstile: z
      .strictObject({
        siteKey: z.string().trim().min(1).max(200),
        secretKey: z.string().trim().min(1).max(200).optional().openapi({
          description: "Write-only. Required when first set; left out on a replace, the stored one stays.",
        }),
      })
      .nullable()
      .default(null)
      .openapi({
        description: "Cloudflare Turnstile: when set, a submission without a valid token is spam.",
      }),
    perIpLimit: z
      .strictObject({
        max: z.number().int().min(1).max(10_000),
        windowMinutes: z.number().int().min(1).max(1440),
      })
      .nullable()
      .default({ max: 10, windowMinutes: 60 })
      .openapi({ description: "More submissions than this from one address within the window are spam." }),
  })
  .openapi("FormSpamSettings");

const SPAM_DEFAULTS = Spam.parse({});

export const FormInputSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    languages: z
      .array(z.enum(LANGUAGES))
      .min(1)
      .max(LANGUAGES.length)
      .refine((list) => new Set(list).size === list.length, "Each language once.")
      .default(["en"])
      .openapi({ description: "The first is the default." }),
    fields: z.array(FormFieldSchema).min(1).max(LIMITS.fields),
    submitLabel: localized(100).default({ en: "Submit", vi: "Gửi" }),
    consent: Consent.nullable().default(null),
    thankYou: z
      .strictObject({ message: localized(1000), redirectUrl: HttpUrl.nullable().default(null) })
      .default(DEFAULT_THANK_YOU),
    lifecycleStage: z
      .enum(LIFECYCLE_STAGES)
      .default("lead")
      .openapi({ description: "Set on new contacts; an existing contact only ever moves forward." }),
    leadStatus: z
      .enum(LEAD_STATUSES)
      .nullable()
      .default("new")
      .openapi({ description: "Set on contacts that have none yet." }),
    deal: z
      .strictObject({
        pipelineId: Id,
        stageId: Id.optional().openapi({ description: "Default: the pipeline's first open stage." }),
        name: z
          .string()
          .trim()
          .min(1)
          .max(200)
          .default("{form}: {name}")
          .openapi({ description: "{form}, {name}, {email} and {field_key} are replaced." }),
        amount: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
        currency: z
          .string()
          .regex(/^[A-Z]{3}$/)
          .default("USD"),
      })
      .nullable()
      .default(null)
      .openapi({ description: "A deal to open for each lead the form brings in." }),
    defaultOwnerId: Id.nullable()
      .optional()
      .openapi({ description: "Owner of new leads; on create, the caller when left out." }),
    notify: z
      .strictObject({
        owner: z.boolean().default(true),
        emails: z.array(z.email().max(254)).max(20).default([]),
      })
      .default({ owner: true, emails: [] }),
    allowedOrigins: z
      .array(Origin)
      .max(50)
      .default([])
      .openapi({ description: "Sites that may embed the form. The hosted page is always allowed." }),
    spam: Spam.default(SPAM_DEFAULTS),
  })
  .superRefine((form, ctx) => {
    const keys = form.fields.map((field) => field.key);
    keys.forEach((key, i) => {
      if (keys.indexOf(key) !== i)
        ctx.addIssue({ code: "custom", path: ["fields", i, "key"], message: "Taken." });
      if (RESERVED_NAMES.includes(key)) {
        ctx.addIssue({
          code: "custom",
          path: ["fields", i, "key"],
          message: "Reserved for the form itself.",
        });
      }
    });
    if (keys.includes(form.spam.honeypotName) || RESERVED_NAMES.includes(form.spam.honeypotName)) {
      ctx.addIssue({
        code: "custom",
        path: ["spam", "honeypotName"],
        message: "Must differ from every field key.",
      });
    }
    const targets = form.fields.map((field) => field.mapTo);
    targets.forEach((target, i) => {
      if (target !== null && targets.indexOf(target) !== i) {
        ctx.addIssue({ code: "custom", path: ["fields", i, "mapTo"], message: "Another field maps there." });
      }
    });
    if (!targets.includes("contact.email") && !targets.includes("contact.phone")) {
      ctx.addIssue({
        code: "custom",
        path: ["fields"],
        message:
          "Map a field to contact.email or contact.phone: a lead needs a way to be reached and matched.",
      });
    }
  })
  .openapi("FormInput");

export type FormInput = z.infer<typeof FormInputSchema>;
export type FormField = FormInput["fields"][number];

/** What the forms table keeps in `definition`: the input without its name, owner and Turnstile secret. */
export type StoredDefinition = Omit<FormInput, "name" | "defaultOwnerId" | "spam"> & {
  spam: Omit<FormInput["spam"], "turnstile"> & { turnstile: { siteKey: string } | null };
};

export function toStoredDefinition(input: FormInput): StoredDefinition {
  const { name: _name, defaultOwnerId: _owner, spam, ...rest } = input;
  return {
    ...rest,
    spam: { ...spam, turnstile: spam.turnstile ? { siteKey: spam.turnstile.siteKey } : null },
  };
}

export interface FieldProblem {
  path: string;
  message: string;
}

/**
 * Checks each field's mapping against its target: the field type fits the property, and a contact custom
 * field exists, is not archived, has a fitting type and offers every option the form does.
 */
export function checkMappings(
  fields: readonly FormField[],
  custom: readonly CustomFieldDefinition[],
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const live = new Map(
    custom.filter((d) => d.object === "contact" && d.archivedAt === null).map((d) => [d.key, d]),
  );
  fields.forEach((field, i) => {
    if (field.mapTo === null) return;
    const path = `fields.${i}.mapTo`;
    const target = parseMapTo(field.mapTo);
    if (!target) return;
    if (!("custom" in target)) {
      const allowed = PROPERTY_TYPES[field.mapTo] ?? [];
      if (!allowed.includes(field.type)) {
        problems.push({ path, message: `${field.mapTo} takes a field of type ${allowed.join(" or ")}.` });
      }
      return;
    }
    const definition = live.get(target.custom);
    if (!definition) {
      problems.push({ path, message: `No contact custom field "${target.custom}" (or it is archived).` });
      return;
    }
    if (!CUSTOM_TYPES[definition.type].includes(field.type)) {
      problems.push({
        path,
        message: `The custom field is of type ${definition.type}; a ${field.type} field cannot fill it.`,
      });
      return;
    }
    if (definition.type === "select" || definition.type === "multi_select") {
      const missing = (field.options ?? []).filter((option) => !definition.options.includes(option.value));
      if (missing.length > 0) {
        problems.push({
          path: `fields.${i}.options`,
          message: `Not options of the custom field: ${missing.map((o) => o.value).join(", ")}.`,
        });
      }
    }
  });
  return problems;
}

/** The definition as the hosted page and the embed see it: nothing secret, nothing about the lead's fate. */
export function toPublicForm(form: { id: string; name: string; definition: StoredDefinition }): PublicForm {
  const { definition } = form;
  return {
    id: form.id,
    name: form.name,
    languages: definition.languages,
    fields: definition.fields.map(toPublicField),
    consent: definition.consent
      ? { text: definition.consent.text, required: definition.consent.required }
      : null,
    submitLabel: definition.submitLabel,
    thankYou: { message: definition.thankYou.message, redirectUrl: definition.thankYou.redirectUrl },
    turnstileSiteKey: definition.spam.turnstile?.siteKey ?? null,
    minFillMs: definition.spam.minFillMs,
    honeypotName: definition.spam.honeypotName,
  };
}

function toPublicField(field: FormField): PublicField {
  return {
    key: field.key,
    type: field.type,
    label: field.label,
    ...(field.placeholder ? { placeholder: field.placeholder } : {}),
    required: field.required,
    ...(field.options ? { options: field.options.map((o) => ({ value: o.value, label: o.label })) } : {}),
    ...(field.min !== undefined ? { min: field.min } : {}),
    ...(field.max !== undefined ? { max: field.max } : {}),
    ...(field.maxLength !== undefined ? { maxLength: field.maxLength } : {}),
  };
}

/** Whether a page at `origin` may embed the form: listed exactly, by a `*.` wildcard, or `*` for all. */
export function originAllowed(origin: string, allowed: readonly string[]): boolean {
  const wanted = origin.toLowerCase();
  for (const entry of allowed) {
    if (entry === "*" || entry === wanted) return true;
    const wildcard = /^(https?:\/\/)\*\.(.+)$/.exec(entry);
    if (
      wildcard?.[1] &&
      wildcard[2] &&
      wanted.startsWith(wildcard[1]) &&
      wanted.endsWith(`.${wildcard[2]}`)
    ) {
      return true;
    }
  }
  return false;
}

/**
 * The server's schema of a submission's values, derived from the form: zod wrapping the one rule set of
 * field-rules.ts (the embed wraps the same rules in valibot). Its output is the normalised values; each issue
 * names the field (`fields.<key>`, or `consent`) and carries the rule's error code as its message.
 */
export function submissionValuesSchema(form: Pick<PublicForm, "fields" | "consent">) {
  return z
    .object({ fields: z.record(z.string(), z.unknown()), consent: z.unknown().optional() })
    .transform(({ fields, consent }, ctx) => {
      const { values, errors } = checkSubmission(form, fields, consent);
      for (const error of errors) {
        ctx.addIssue({
          code: "custom",
          path: error.field === "consent" ? ["consent"] : ["fields", error.field],
          message: error.code,
        });
      }
      return errors.length > 0 ? z.NEVER : values;
    });
}

/** The values checked against the form through its schema: normalised values, or the field errors. */
export function checkValues(
  form: Pick<PublicForm, "fields" | "consent">,
  fields: Record<string, unknown>,
  consent: unknown,
): { values: Record<string, unknown>; errors: FieldError[] } {
  const parsed = submissionValuesSchema(form).safeParse({ fields, consent });
  if (parsed.success) return { values: parsed.data, errors: [] };
  const errors = parsed.error.issues.map((issue) => ({
    field: String(issue.path.at(-1)),
    code: (ERROR_CODES as readonly string[]).includes(issue.message)
      ? (issue.message as ErrorCode)
      : "required",
  }));
  // Values that passed are still wanted (the submission log shows them): the rules give them directly.
  return { values: checkSubmission(form, fields, consent).values, errors };
}
