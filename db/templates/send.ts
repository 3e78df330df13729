// Rendering a template for a contact and sending it (the outbox email and an `email` timeline activity), in
// SQL so a send is one round trip. Shared by a person's send (db/templates/templates.ts, which applies the
// caller's visibility) and by the engines that send on their own (workflows, sequences), which name no caller.
import { and, eq, isNull, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Database } from "../client.ts";
import { newId } from "../ids.ts";
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
import type { TemplateVariable } from "./render.ts";

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
export function languageSql(lang: TemplateLanguage): SQL {
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

/** Whether a record with this owner and team may be used: the caller's visibility rule, or `1` for an engine. */
export type Visibility = (owner: SQLiteColumn, team: SQLiteColumn) => SQL;

/**
 * The contact (0 rows when not visible) with what is needed to explain a refusal, and the template rendered
 * for it: template and deal columns are null when missing or not visible.
 */
export function renderedEmailQueryFor(db: Database, request: EmailRequest, visible: Visibility) {
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
      and(eq(deals.id, request.dealId ?? ""), isNull(deals.deletedAt), visible(deals.ownerId, deals.teamId)),
    )
    .where(
      and(
        eq(contacts.id, request.contactId),
        isNull(contacts.deletedAt),
        visible(contacts.ownerId, contacts.teamId),
      ),
    );
}

export type RenderedEmail = Awaited<ReturnType<typeof renderedEmailQueryFor>>[number];

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

export interface SendOptions {
  /** The activity's actor: the caller's user id as SQL, or `null` for an engine. */
  actor: SQL;
  visible: Visibility;
  /** Write only when this holds at the time the batch runs (an engine's claim on its step). */
  when?: SQL | undefined;
  /** More keys for the activity's metadata (e.g. the workflow run), after the standard ones. */
  metadata?: Readonly<Record<string, string>> | undefined;
}

/**
 * The send: the rendered email (read first, to explain a refusal), then the outbox row and the `email`
 * activity, each written only when the same checks as emailRefusal pass at the time the batch runs.
 */
export function templateEmailStatements(
  db: Database,
  request: EmailRequest,
  now: number,
  options: SendOptions,
) {
  const outboxId = newId();
  const activityId = newId();
  const email = renderedEmailQueryFor(db, request, options.visible);
  const dealOk = request.dealId === undefined ? sql`1` : sql`e.deal_id is not null`;
  const when = options.when === undefined ? sql`` : sql` and (${options.when})`;
  const extra = Object.entries(options.metadata ?? {}).map(([key, value]) => sql`, ${key}, ${value}`);
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
           and (e.kind = 'transactional' or e.email_consent = 'granted')${when}`),
      db.run(sql`insert into ${activities}
          (id, type, occurred_at, actor_user_id, contact_id, deal_id, subject, body, metadata, created_at)
        select ${activityId}, 'email', ${now}, ${options.actor}, ${outbox.contactId}, ${request.dealId ?? null},
               ${outbox.subject}, ${outbox.body},
               json_object('templateId', ${request.templateId}, 'subject', ${outbox.subject},
                           'outboxId', ${outbox.id}, 'lang', ${languageSql(request.lang)}${sql.join(extra)}),
               ${now}
          from ${outbox} left join ${emailTemplates} on ${emailTemplates.id} = ${request.templateId}
         where ${outbox.id} = ${outboxId}`),
    ] as const,
  };
}
