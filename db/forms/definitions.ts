// Form definitions: create, replace (If-Match), archive and restore, one batch each, and the reads of one form
// and of the keyset-paged list. The checks that need rows (the default owner, the deal's pipeline and stage)
// run in the write's own batch: a check query says what is wrong, the write happens only when all hold.
import { and, desc, eq, isNotNull, isNull, lt, type SQL, sql } from "drizzle-orm";
import { callerAuditStatement } from "../audit-queries.ts";
import { type CallerRef, callerUserId } from "../caller.ts";
import type { Database } from "../client.ts";
import { containsText, rowsForPage } from "../paging.ts";
import { forms } from "../schema/index.ts";
import { insertWhere, type WriteContext } from "../statements.ts";

export type FormRow = typeof forms.$inferSelect;

export interface FormValues {
  name: string;
  /** The stored definition, as JSON text. */
  definition: string;
  /** A new Turnstile secret; undefined keeps the stored one (on replace), null removes it. */
  turnstileSecret: string | null | undefined;
  /** The form uses Turnstile: a replace that sends no secret needs one stored already. */
  turnstile: boolean;
  /** Undefined: the caller on create, unchanged on replace. */
  defaultOwnerId: string | null | undefined;
  deal: { pipelineId: string; stageId?: string | undefined } | null;
}

/** A rule over rows, with the field it concerns and what to say when it fails. */
export interface FormRule {
  name: string;
  path: string;
  message: string;
  holds: SQL;
}

function rules(values: FormValues, owner: SQL | null): FormRule[] {
  const out: FormRule[] = [];
  if (owner) {
    out.push({
      name: "ownerOk",
      path: "defaultOwnerId",
      message: "No active user with this id.",
      holds: sql`exists (select 1 from users where id = ${owner} and active = 1)`,
    });
  }
  if (values.deal) {
    const { pipelineId, stageId } = values.deal;
    out.push({
      name: "pipelineOk",
      path: "deal.pipelineId",
      message: "No open pipeline with this id.",
      holds: sql`exists (select 1 from pipelines where id = ${pipelineId} and archived_at is null)`,
    });
    out.push(
      stageId === undefined
        ? {
            name: "stageOk",
            path: "deal.pipelineId",
            message: "The pipeline has no open stage.",
            holds: sql`exists (select 1 from stages where pipeline_id = ${pipelineId} and archived_at is null)`,
          }
        : {
            name: "stageOk",
            path: "deal.stageId",
            message: "No open stage with this id in the pipeline.",
            holds: sql`exists (select 1 from stages where id = ${stageId} and pipeline_id = ${pipelineId} and archived_at is null)`,
          },
    );
  }
  return out;
}

function checkQuery(db: Database, list: FormRule[]) {
  const columns =
    list.length === 0
      ? sql`1 as ok`
      : sql.join(
          list.map((rule) => sql`(${rule.holds}) as ${sql.identifier(rule.name)}`),
          sql`, `,
        );
  return db.all<Record<string, unknown>>(sql`select ${columns}`);
}

function allHold(list: FormRule[]): SQL {
  return list.length === 0
    ? sql`1`
    : sql.join(
        list.map((rule) => sql`(${rule.holds})`),
        sql` and `,
      );
}

/** The rules that failed, from the flags the check query read. */
export function failedRules(list: FormRule[], flags: Record<string, unknown> | undefined): FormRule[] {
  return list.filter((rule) => flags?.[rule.name] !== 1 && flags?.[rule.name] !== true);
}

export function formQuery(db: Database, id: string) {
  return db.select().from(forms).where(eq(forms.id, id));
}

export function createForm(db: Database, id: string, values: FormValues, ctx: WriteContext) {
  let list: FormRule[] = [];
  const statements = (me: CallerRef) => {
    const owner = values.defaultOwnerId === undefined ? callerUserId(me) : values.defaultOwnerId;
    list = rules(values, owner === null ? null : typeof owner === "string" ? sql`${owner}` : owner);
    const created = sql`exists (select 1 from forms where id = ${id})`;
    return [
      checkQuery(db, list),
      insertWhere(
        db,
        forms,
        {
          id,
          name: values.name,
          definition: values.definition,
          turnstileSecret: values.turnstileSecret ?? null,
          defaultOwnerId: owner,
          createdAt: ctx.now,
          updatedAt: ctx.now,
        },
        allHold(list),
      ),
      callerAuditStatement(
        db,
        me,
        { action: "form.created", targetType: "form", targetId: id },
        ctx.origin,
        ctx.now,
        {
          when: created,
        },
      ),
      formQuery(db, id),
    ] as const;
  };
  return { statements, rules: () => list };
}

export function replaceForm(
  db: Database,
  id: string,
  values: FormValues,
  ifMatch: number | null,
  ctx: WriteContext,
) {
  let list: FormRule[] = [];
  const statements = (me: CallerRef) => {
    const owner =
      values.defaultOwnerId === undefined
        ? sql`(select default_owner_id from forms where id = ${id})`
        : values.defaultOwnerId === null
          ? null
          : sql`${values.defaultOwnerId}`;
    list = rules(values, values.defaultOwnerId === undefined ? null : owner);
    if (values.turnstile && values.turnstileSecret === undefined) {
      list.push({
        name: "secretOk",
        path: "spam.turnstile.secretKey",
        message: "Required when Turnstile is first set.",
        holds: sql`exists (select 1 from forms where id = ${id} and turnstile_secret is not null)`,
      });
    }
    const applies = sql`${forms.id} = ${id} ${ifMatch === null ? sql`` : sql`and ${forms.version} = ${ifMatch}`} and ${allHold(list)}`;
    return [
      checkQuery(db, list),
      db
        .update(forms)
        .set({
          name: values.name,
          definition: values.definition,
          ...(values.turnstileSecret !== undefined ? { turnstileSecret: values.turnstileSecret } : {}),
          ...(values.defaultOwnerId !== undefined ? { defaultOwnerId: values.defaultOwnerId } : {}),
          version: sql`${forms.version} + 1`,
          updatedAt: ctx.now,
        })
        .where(applies)
        .returning({ id: forms.id }),
      callerAuditStatement(
        db,
        me,
        { action: "form.updated", targetType: "form", targetId: id },
        ctx.origin,
        ctx.now,
        {
          when: sql`exists (select 1 from forms where id = ${id} and updated_at = ${ctx.now})`,
        },
      ),
      formQuery(db, id),
    ] as const;
  };
  return { statements, rules: () => list };
}

/** Archives (deletes) a form; archiving an archived form changes nothing. */
export function archiveForm(db: Database, id: string, ctx: WriteContext) {
  return (me: CallerRef) =>
    [
      db
        .update(forms)
        .set({ archivedAt: ctx.now, version: sql`${forms.version} + 1`, updatedAt: ctx.now })
        .where(and(eq(forms.id, id), isNull(forms.archivedAt)))
        .returning({ id: forms.id }),
      callerAuditStatement(
        db,
        me,
        { action: "form.archived", targetType: "form", targetId: id },
        ctx.origin,
        ctx.now,
        {
          when: sql`exists (select 1 from forms where id = ${id} and archived_at = ${ctx.now})`,
        },
      ),
      formQuery(db, id),
    ] as const;
}

export function restoreForm(db: Database, id: string, ctx: WriteContext) {
  return (me: CallerRef) =>
    [
      db
        .update(forms)
        .set({ archivedAt: null, version: sql`${forms.version} + 1`, updatedAt: ctx.now })
        .where(and(eq(forms.id, id), isNotNull(forms.archivedAt)))
        .returning({ id: forms.id }),
      callerAuditStatement(
        db,
        me,
        { action: "form.restored", targetType: "form", targetId: id },
        ctx.origin,
        ctx.now,
        {
          when: sql`exists (select 1 from forms where id = ${id} and archived_at is null and updated_at = ${ctx.now})`,
        },
      ),
      formQuery(db, id),
    ] as const;
}

export interface FormListFilter {
  state: "live" | "archived" | "all";
  q?: string | undefined;
  /** The id the previous page ended on (newest first). */
  before?: string | undefined;
  limit: number;
}

/** Newest first, keyset-paged by id (UUIDv7, so by creation time). */
export function listFormsQuery(db: Database, filter: FormListFilter) {
  return db
    .select()
    .from(forms)
    .where(
      and(
        filter.state === "live"
          ? isNull(forms.archivedAt)
          : filter.state === "archived"
            ? isNotNull(forms.archivedAt)
            : undefined,
        filter.q ? containsText([forms.name], filter.q) : undefined,
        filter.before ? lt(forms.id, filter.before) : undefined,
      ),
    )
    .orderBy(desc(forms.id))
    .limit(rowsForPage(filter.limit));
}
