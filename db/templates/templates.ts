// Email templates: CRUD, and the one query that renders a template for a contact (preview) and the statements
// that send it (the outbox email and an `email` timeline activity), all in SQL so a send is one round trip.
import { and, desc, eq, isNotNull, isNull, lt, sql } from "drizzle-orm";
import { type CallerRef, callerUserId, canSeeRecord } from "../caller.ts";
import type { Database } from "../client.ts";
import { newId } from "../ids.ts";
import { rowsForPage } from "../paging.ts";
import { emailTemplates, type TemplateKind, type TemplateLanguage } from "../schema/index.ts";
import { htmlToText, normalizeVariables } from "./render.ts";
import { type EmailRequest, renderedEmailQueryFor, templateEmailStatements } from "./send.ts";

export {
  type EmailRefusal,
  type EmailRequest,
  emailRefusal,
  type RenderedEmail,
} from "./send.ts";

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

// Rendering and sending live in send.ts, shared with the engines that send on their own; here, a person's
// send: the caller's visibility applies, and the caller is the activity's actor.

/**
 * The contact (0 rows when the caller may not see it) with what the answer needs to explain a refusal, and
 * the template rendered for it: template and deal columns are null when missing or not visible.
 */
export function renderedEmailQuery(db: Database, me: CallerRef, request: EmailRequest) {
  return renderedEmailQueryFor(db, request, (owner, team) => canSeeRecord(me, owner, team));
}

/**
 * The send: the rendered email (read first, to explain a refusal), then the outbox row and the `email`
 * activity, each written only when the same checks as emailRefusal pass at the time the batch runs.
 */
export function sendEmailStatements(db: Database, me: CallerRef, request: EmailRequest, now: number) {
  return templateEmailStatements(db, request, now, {
    actor: callerUserId(me),
    visible: (owner, team) => canSeeRecord(me, owner, team),
  });
}
