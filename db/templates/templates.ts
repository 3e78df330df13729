// Email templates: CRUD, and the one query that renders a template for a contact (preview) and the statements
// that send it (the outbox email and an `email` timeline activity), all in SQL so a send is one round trip.
import { and, desc, eq, isNotNull, isNull, lt, type SQL, sql } from "drizzle-orm";
import { type CallerRef, callerUserId, canSeeRecord } from "../caller.ts";
import type { Database } from "../client.ts";
import { newId } from "../ids.ts";
import { rowsForPage } from "../paging.ts";
import {
  activities,
  companies,
  contacts,
  deals,
  emailTemplates,
  outbox,
  type TemplateKind,
  type TemplateLanguage,
  users,
} from "../schema/index.ts";
import { htmlToText, normalizeVariables, type TemplateVariable } from "./render.ts";

export interface TemplateVariant {
  subject: string;
  html: string;
  text?: string | undefined;
}
export type TemplateVariants = { en: TemplateVariant; vi?: TemplateVariant | undefined };

export interface TemplateInput {
  name: string;
  kind: TemplateKind;
  variants: TemplateVariants;
}

const fields = {
  id: emailTemplates.id,
  name: emailTemplates.name,
  kind: emailTemplates.kind,
  variants: emailTemplates.variants,
  version: emailTemplates.version,
  createdAt: emailTemplates.createdAt,
  updatedAt: emailTemplates.updatedAt,
};

export type TemplateRow = {
  id: string;
  name: string;
  kind: TemplateKind;
  variants: string;
  version: number;
  createdAt: number;
  updatedAt: number;
};

/** A variant as stored: variables normalized, and always a text body. */
export type StoredVariant = Required<TemplateVariant>;

export function toTemplate(row: TemplateRow) {
  return { ...row, variants: JSON.parse(row.variants) as { en: StoredVariant; vi?: StoredVariant } };
}

/** Variables in their stored form, and a text body made from the HTML when none is given. */
function storedVariants(variants: TemplateVariants): string {
  const stored: Partial<Record<TemplateLanguage, StoredVariant>> = {};
  for (const lang of ["en", "vi"] as const) {
    const variant = variants[lang];
    if (!variant) continue;
    const html = normalizeVariables(variant.html);
    stored[lang] = {
      subject: normalizeVariables(variant.subject),
      html,
      text: variant.text === undefined ? htmlToText(html) : normalizeVariables(variant.text),
    };
  }
  return JSON.stringify(stored);
}

/** Newest first, keyset-paged by id. */
export function listTemplatesQuery(db: Database, options: { before?: string | undefined; limit: number }) {
  return db
    .select(fields)
    .from(emailTemplates)
    .where(
      and(
        isNull(emailTemplates.deletedAt),
        options.before ? lt(emailTemplates.id, options.before) : undefined,
      ),
    )
    .orderBy(desc(emailTemplates.id))
    .limit(rowsForPage(options.limit));
}

export function readTemplateQuery(db: Database, id: string) {
  return db
    .select(fields)
    .from(emailTemplates)
    .where(and(eq(emailTemplates.id, id), isNull(emailTemplates.deletedAt)));
}

export function createTemplateStatement(db: Database, me: CallerRef, input: TemplateInput, now: number) {
  return db
    .insert(emailTemplates)
    .values({
      id: newId(),
      name: input.name,
      kind: input.kind,
      variants: storedVariants(input.variants),
      createdBy: callerUserId(me),
      createdAt: now,
      updatedAt: now,
    })
    .returning(fields);
}

/** The update (only at the version If-Match names, when it names one), then the live row's version. */
export function updateTemplateStatements(
  db: Database,
  id: string,
  input: Partial<TemplateInput>,
  ifMatch: number | null,
  now: number,
) {
  return [
    db
      .update(emailTemplates)
      .set({
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.kind !== undefined ? { kind: input.kind } : {}),
        ...(input.variants !== undefined ? { variants: storedVariants(input.variants) } : {}),
        version: sql`${emailTemplates.version} + 1`,
        updatedAt: now,
      })
      .where(
        and(
          eq(emailTemplates.id, id),
          isNull(emailTemplates.deletedAt),
          ifMatch === null ? undefined : eq(emailTemplates.version, ifMatch),
        ),
      )
      .returning(fields),
    readTemplateQuery(db, id),
  ] as const;
}

export function deleteTemplateStatement(db: Database, id: string, now: number) {
  return db
    .update(emailTemplates)
    .set({ deletedAt: now, version: sql`${emailTemplates.version} + 1`, updatedAt: now })
    .where(and(eq(emailTemplates.id, id), isNull(emailTemplates.deletedAt)))
    .returning({ id: emailTemplates.id });
}

/** Restores a deleted template; then reads it, so restoring a live one answers with it (a harmless retry). */
export function restoreTemplateStatements(db: Database, id: string, now: number) {
  return [
    db
      .update(emailTemplates)
      .set({ deletedAt: null, version: sql`${emailTemplates.version} + 1`, updatedAt: now })
      .where(and(eq(emailTemplates.id, id), isNotNull(emailTemplates.deletedAt)))
      .returning({ id: emailTemplates.id }),
    readTemplateQuery(db, id),
  ] as const;
}

// Rendering in SQL: the chosen language's variant, with each variable replaced by its value.

const VALUES: Record<TemplateVariable, SQL> = {
  "contact.firstName": sql`${contacts.firstName}`,
  "contact.lastName": sql`${contacts.lastName}`,
  "contact.name": sql`${contacts.name}`,
  "contact.email": sql`${contacts.email}`,
  "contact.jobTitle": sql`${contacts.jobTitle}`,
  "company.name": sql`${companies.name}`,
  "company.domain": sql`${companies.domain}`,
  "deal.name": sql`${deals.name}`,
  "owner.name": sql`${users.name}`,
  "owner.email": sql`${users.email}`,
};

function escapedHtml(value: SQL): SQL {
  return sql`replace(replace(replace(replace(replace(${value}, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;'), '''', '&#39;')`;
}

/** The variant's language: the one asked for when the template has it, else English. */
function languageSql(lang: TemplateLanguage): SQL {
  return sql`case when json_type(${emailTemplates.variants}, ${`$.${lang}`}) is not null then ${lang} else 'en' end`;
}

function rendered(part: "subject" | "text" | "html", lang: TemplateLanguage): SQL<string | null> {
  let out = sql`json_extract(${emailTemplates.variants}, '$.' || ${languageSql(lang)} || ${`.${part}`})`;
  for (const [name, value] of Object.entries(VALUES)) {
    const text = sql`coalesce(${value}, '')`;
    out = sql`replace(${out}, ${`{{${name}}}`}, ${part === "html" ? escapedHtml(text) : text})`;
  }
  return out as SQL<string | null>;
}

export interface EmailRequest {
  contactId: string;
  templateId: string;
  dealId?: string | undefined;
  lang: TemplateLanguage;
}

/**
 * The contact (0 rows when the caller may not see it) with what the answer needs to explain a refusal, and
 * the template rendered for it: template and deal columns are null when missing or not visible.
 */
export function renderedEmailQuery(db: Database, me: CallerRef, request: EmailRequest) {
  return db
    .select({
      contactId: sql<string>`${contacts.id}`.as("contact_id"),
      email: sql<string | null>`${contacts.email}`.as("email"),
      emailConsent: sql<"granted" | "withdrawn" | null>`${contacts.emailConsent}`.as("email_consent"),
      templateId: sql<string | null>`${emailTemplates.id}`.as("template_id"),
      kind: sql<TemplateKind | null>`${emailTemplates.kind}`.as("kind"),
      dealId: sql<string | null>`${deals.id}`.as("deal_id"),
      lang: sql<TemplateLanguage>`${languageSql(request.lang)}`.as("lang"),
      subject: rendered("subject", request.lang).as("subject"),
      text: rendered("text", request.lang).as("text"),
      html: rendered("html", request.lang).as("html"),
    })
    .from(contacts)
    .leftJoin(
      emailTemplates,
      and(eq(emailTemplates.id, request.templateId), isNull(emailTemplates.deletedAt)),
    )
    .leftJoin(companies, and(eq(companies.id, contacts.companyId), isNull(companies.deletedAt)))
    .leftJoin(users, eq(users.id, contacts.ownerId))
    .leftJoin(
      deals,
      and(
        eq(deals.id, request.dealId ?? ""),
        isNull(deals.deletedAt),
        canSeeRecord(me, deals.ownerId, deals.teamId),
      ),
    )
    .where(
      and(
        eq(contacts.id, request.contactId),
        isNull(contacts.deletedAt),
        canSeeRecord(me, contacts.ownerId, contacts.teamId),
      ),
    );
}

export type RenderedEmail = Awaited<ReturnType<typeof renderedEmailQuery>>[number];

/** Why an email cannot go to this contact, or null when it can. */
export type EmailRefusal = "contact" | "template" | "deal" | "no_email" | "no_consent" | "unsubscribed";

export function emailRefusal(row: RenderedEmail | undefined, request: EmailRequest): EmailRefusal | null {
  if (!row) return "contact";
  if (!row.templateId) return "template";
  if (request.dealId !== undefined && !row.dealId) return "deal";
  if (!row.email) return "no_email";
  if (row.kind === "marketing" && row.emailConsent === "withdrawn") return "unsubscribed";
  if (row.kind === "marketing" && row.emailConsent !== "granted") return "no_consent";
  return null;
}

/**
 * The send: the rendered email (read first, to explain a refusal), then the outbox row and the `email`
 * activity, each written only when the same checks as emailRefusal pass at the time the batch runs.
 */
export function sendEmailStatements(db: Database, me: CallerRef, request: EmailRequest, now: number) {
  const outboxId = newId();
  const activityId = newId();
  const email = renderedEmailQuery(db, me, request);
  const dealOk = request.dealId === undefined ? sql`1` : sql`e.deal_id is not null`;
  return {
    outboxId,
    activityId,
    statements: [
      email,
      db.run(sql`insert into ${outbox}
          (id, channel, recipient, subject, body, html, contact_id, template, status, created_at, attempts)
        select ${outboxId}, 'email', e.email, e.subject, e.text, e.html, e.contact_id, 'template:' || e.template_id,
               'pending', ${now}, 0
          from (${email}) e
         where e.template_id is not null and e.email is not null and ${dealOk}
           and (e.kind = 'transactional' or e.email_consent = 'granted')`),
      db.run(sql`insert into ${activities}
          (id, type, occurred_at, actor_user_id, contact_id, deal_id, subject, body, metadata, created_at)
        select ${activityId}, 'email', ${now}, ${callerUserId(me)}, ${outbox.contactId}, ${request.dealId ?? null},
               ${outbox.subject}, ${outbox.body},
               json_object('templateId', ${request.templateId}, 'subject', ${outbox.subject},
                           'outboxId', ${outbox.id}, 'lang', ${languageSql(request.lang)}),
               ${now}
          from ${outbox} left join ${emailTemplates} on ${emailTemplates.id} = ${request.templateId}
         where ${outbox.id} = ${outboxId}`),
    ] as const,
  };
}
