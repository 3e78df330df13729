// Sequences as records: list, read, create, change (If-Match), delete. A change that can make a step due sooner
// (steps edited, the sequence enabled again) wakes its active enrolments, and deleting a sequence stops them,
// each in the batch of the change.
import { and, desc, eq, isNull, lt, type SQL, sql } from "drizzle-orm";
import type { Database } from "../client.ts";
import { newId } from "../ids.ts";
import { rowsForPage } from "../paging.ts";
import { emailTemplates, sequenceEnrolments, sequences } from "../schema/index.ts";
import { insertWhere } from "../statements.ts";
import { stopEnrolmentsStatements } from "./enrolments.ts";

/** What a sequence is made of; `steps` as the engine's schema gives them (queues/sequences/steps.ts). */
export interface SequenceInput<Step> {
  name: string;
  steps: Step[];
  enabled: boolean;
}

const activeCount = sql<number>`(select count(*) from ${sequenceEnrolments} e
  where e.sequence_id = ${sequences.id} and e.status = 'active')`;

const fields = {
  id: sequences.id,
  name: sequences.name,
  steps: sequences.steps,
  enabled: sequences.enabled,
  version: sequences.version,
  createdBy: sequences.createdBy,
  createdAt: sequences.createdAt,
  updatedAt: sequences.updatedAt,
  activeEnrolments: activeCount,
};

export type SequenceRow = {
  id: string;
  name: string;
  steps: string;
  enabled: boolean;
  version: number;
  createdBy: string | null;
  createdAt: number;
  updatedAt: number;
  activeEnrolments: number;
};

/** The template ids of email steps. */
function templateIdsOf(steps: readonly { type: string; templateId?: string }[]): string[] {
  return [
    ...new Set(steps.flatMap((step) => (step.type === "email" && step.templateId ? [step.templateId] : []))),
  ];
}

/** SQL true when every id names a live template. */
function templatesExist(ids: readonly string[]): SQL {
  return sql`not exists (select 1 from json_each(${JSON.stringify(ids)}) j
    where j.value not in (select ${emailTemplates.id} from ${emailTemplates} where ${emailTemplates.deletedAt} is null))`;
}

/** The ids among `ids` that name no live template (for the 422 that explains a refused write). */
export function missingTemplatesQuery(db: Database, steps: readonly { type: string; templateId?: string }[]) {
  const ids = templateIdsOf(steps);
  return db.all<{ id: string }>(sql`select j.value as id from json_each(${JSON.stringify(ids)}) j
    where j.value not in (select ${emailTemplates.id} from ${emailTemplates} where ${emailTemplates.deletedAt} is null)`);
}

/** Newest first, keyset-paged by id. */
export function listSequencesQuery(db: Database, options: { before?: string | undefined; limit: number }) {
  return db
    .select(fields)
    .from(sequences)
    .where(and(isNull(sequences.deletedAt), options.before ? lt(sequences.id, options.before) : undefined))
    .orderBy(desc(sequences.id))
    .limit(rowsForPage(options.limit));
}

export function readSequenceQuery(db: Database, id: string) {
  return db
    .select(fields)
    .from(sequences)
    .where(and(eq(sequences.id, id), isNull(sequences.deletedAt)));
}

/** The missing templates, the insert (only when none is missing), then the new row. */
export function createSequenceStatements<Step extends { type: string; templateId?: string }>(
  db: Database,
  input: SequenceInput<Step>,
  createdBy: SQL,
  now: number,
) {
  const id = newId();
  return [
    missingTemplatesQuery(db, input.steps),
    insertWhere(
      db,
      sequences,
      {
        id,
        name: input.name,
        steps: JSON.stringify(input.steps),
        enabled: input.enabled,
        createdBy,
        createdAt: now,
        updatedAt: now,
      },
      templatesExist(templateIdsOf(input.steps)),
    ),
    readSequenceQuery(db, id),
  ] as const;
}

/**
 * The missing templates, the update (at the version If-Match names, when it names one, and only with every
 * template there), the row as it is now, and the wake-up: active enrolments are looked at again by the next
 * run, which works out their due times from the new steps (or resumes them when the sequence is enabled).
 */
export function updateSequenceStatements<Step extends { type: string; templateId?: string }>(
  db: Database,
  id: string,
  input: Partial<SequenceInput<Step>>,
  ifMatch: number | null,
  now: number,
) {
  const steps = input.steps ?? [];
  const wakes = input.steps !== undefined || input.enabled === true;
  return [
    missingTemplatesQuery(db, steps),
    db
      .update(sequences)
      .set({
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.steps !== undefined ? { steps: JSON.stringify(input.steps) } : {}),
        ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
        version: sql`${sequences.version} + 1`,
        updatedAt: now,
      })
      .where(
        and(
          eq(sequences.id, id),
          isNull(sequences.deletedAt),
          ifMatch === null ? undefined : eq(sequences.version, ifMatch),
          templatesExist(templateIdsOf(steps)),
        ),
      )
      .returning({ id: sequences.id }),
    readSequenceQuery(db, id),
    db.run(sql`update ${sequenceEnrolments} set next_run_at = ${now}, updated_at = ${now}
      where ${sequenceEnrolments.sequenceId} = ${id} and ${sequenceEnrolments.status} = 'active'
        and ${sql.raw(wakes ? "1" : "0")}
        and exists (select 1 from ${sequences} s where s.id = ${id} and s.enabled = 1 and s.updated_at = ${now})`),
  ] as const;
}

/** Soft-deletes the sequence and stops its active enrolments (each with a timeline entry). */
export function deleteSequenceStatements(db: Database, id: string, actor: SQL, now: number) {
  return [
    db
      .update(sequences)
      .set({ deletedAt: now, version: sql`${sequences.version} + 1`, updatedAt: now })
      .where(and(eq(sequences.id, id), isNull(sequences.deletedAt)))
      .returning({ id: sequences.id }),
    ...stopEnrolmentsStatements(
      db,
      {
        where: sql`en.sequence_id = ${id} and exists (select 1 from ${sequences} s where s.id = ${id} and s.deleted_at = ${now})`,
        reason: "sequence_deleted",
        actor,
      },
      now,
    ),
  ] as const;
}
