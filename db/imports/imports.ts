// An import as the API sees it: made, its file uploaded in parts (the header read from part 0), a run started
// (a dry run or the import itself, with its mapping remembered for the source), followed, and undone. Each is
// one statement set for the request's single batch; an import is its creator's, and admins see every one.
import { and, desc, eq, lt, type SQL, sql } from "drizzle-orm";
import { type CallerRef, callerIsAdmin, callerUserId } from "../caller.ts";
import type { Database } from "../client.ts";
import { newId } from "../ids.ts";
import { rowsForPage } from "../paging.ts";
import { importMappings, imports } from "../schema/index.ts";
import type { CsvHeader } from "./csv.ts";
import type { ImportObject, Mapping } from "./targets.ts";

export type ImportRow = typeof imports.$inferSelect;

/** Parts hold at most the API's body limit; a file of 10,000 parts is 10 GB, far past what anyone imports. */
export const MAX_PARTS = 10_000;

/** The caller may see (and act on) the import: theirs, or any for an admin. */
export function importVisible(me: CallerRef, alias = "imports"): SQL {
  return sql`(${sql.raw(alias)}.created_by = ${callerUserId(me)} or ${callerIsAdmin(me)})`;
}

export function createImportStatement(
  db: Database,
  me: CallerRef,
  input: { object: ImportObject; sourceName: string; fileName?: string | undefined },
  now: number,
) {
  return db
    .insert(imports)
    .values({
      id: newId(),
      object: input.object,
      status: "uploading",
      sourceName: input.sourceName,
      fileName: input.fileName ?? null,
      createdBy: callerUserId(me),
      createdAt: now,
      updatedAt: now,
    })
    .returning();
}

/** One import with the mapping remembered for its source (0 or 1 row). */
export function importQuery(db: Database, me: CallerRef, id: string) {
  return db
    .select({
      import: imports,
      remembered: sql<
        string | null
      >`(select m.mapping from import_mappings m where m.object = ${imports.object} and m.source_name = ${imports.sourceName})`,
    })
    .from(imports)
    .where(and(eq(imports.id, id), importVisible(me)));
}

export function listImportsQuery(
  db: Database,
  me: CallerRef,
  options: { cursor?: string | undefined; limit: number },
) {
  return db
    .select()
    .from(imports)
    .where(and(importVisible(me), options.cursor ? lt(imports.id, options.cursor) : undefined))
    .orderBy(desc(imports.id))
    .limit(rowsForPage(options.limit));
}

/**
 * Stores part `part` of the file (replacing an earlier upload of it) while the import is still uploading; part 0
 * also sets the header read from it. Returns the import afterwards, and whether the part was taken.
 */
export function putPartStatements(
  db: Database,
  me: CallerRef,
  id: string,
  part: number,
  data: Uint8Array,
  header: CsvHeader | null,
  now: number,
) {
  const open = sql`exists (select 1 from imports where id = ${id} and status = 'uploading' and ${importVisible(me)})`;
  return [
    db.all<{
      part: number;
    }>(sql`insert into import_parts (import_id, part, data, bytes) select ${id}, ${part}, ${data}, ${data.length}
      where ${open} on conflict (import_id, part) do update set data = excluded.data, bytes = excluded.bytes returning part`),
    db.run(sql`update imports set
        parts = (select count(*) from import_parts where import_id = ${id}),
        bytes = (select coalesce(sum(bytes), 0) from import_parts where import_id = ${id}),
        ${
          header
            ? sql`columns = ${JSON.stringify(header.columns)}, delimiter = ${header.delimiter}, newline = ${header.newline},
          data_start = ${header.dataStart}, preview = ${JSON.stringify(header.preview)},`
            : sql``
        }
        updated_at = ${now}
      where id = ${id} and ${open}`),
    db
      .select()
      .from(imports)
      .where(and(eq(imports.id, id), importVisible(me))),
  ] as const;
}

export interface RunRequest {
  mapping: Mapping;
  dryRun: boolean;
  /** Whether the mapping passed checkMapping for each object (the import's own is known only to the batch). */
  validFor: Record<ImportObject, boolean>;
}

/**
 * Fails the run a chunk belonged to once the chunk has failed every retry (it is in the dead letters), saying
 * where and what to do; a later run, or an earlier one already settled, is left alone.
 */
export function failDeadChunkStatement(
  db: Database,
  chunk: { importId: string; run: number; chunk: number },
  now: number,
) {
  const failure =
    `Part ${chunk.chunk + 1} of the run failed every retry (see the dead letters). The rows before it are in; ` +
    "start the import again to finish it: rows already imported are matched and updated, not made twice.";
  return db.run(sql`update imports set status = 'failed', failure = ${failure}, finished_at = ${now},
      updated_at = ${now}
    where id = ${chunk.importId} and run = ${chunk.run} and status in ('running', 'dry_running')`);
}

/**
 * Starts a run: from uploading (or after a dry run, or a failed run) with every part in place and the mapping's columns in the
 * file. Fixes where each part starts, clears the issues of an earlier run and remembers the mapping for the
 * source. Returns the import when it started, and then why not.
 */
export function startRunStatements(db: Database, me: CallerRef, id: string, run: RunRequest, now: number) {
  const mapping = JSON.stringify(run.mapping);
  const columnsKnown = sql`not exists (select 1 from json_each(${mapping}) m where m.key not in (select value from json_each(imports.columns)))`;
  const unknownCustom = (
    object: SQL,
  ) => sql`select substr(m.value, 8) as k from json_each(${mapping}) m where m.value like 'custom.%'
    and substr(m.value, 8) not in (select key from custom_field_definitions where object = ${object} and archived_at is null)`;
  const valid = sql`(case imports.object when 'contact' then ${run.validFor.contact ? 1 : 0}
    when 'company' then ${run.validFor.company ? 1 : 0} else ${run.validFor.deal ? 1 : 0} end)`;
  const ready = sql`imports.id = ${id} and ${importVisible(me)} and imports.status in ('uploading', 'checked', 'failed')
    and imports.columns is not null and imports.parts > 0 and ${valid}
    and (select max(part) + 1 from import_parts where import_id = ${id}) = imports.parts and ${columnsKnown}
    and not exists (${unknownCustom(sql`imports.object`)})`;
  const started = sql`exists (select 1 from imports where id = ${id} and run > 0 and started_at = ${now} and mapping = ${mapping})`;
  return [
    db.run(sql`update import_parts set start = (select coalesce(sum(p.bytes), 0) from import_parts p
        where p.import_id = ${id} and p.part < import_parts.part)
      where import_id = ${id} and exists (select 1 from imports where ${ready})`),
    db
      .update(imports)
      .set({
        mapping,
        run: sql`${imports.run} + 1`,
        dryRun: run.dryRun,
        status: run.dryRun ? "dry_running" : "running",
        nextChunk: 0,
        cursor: sql`${imports.dataStart}`,
        avgRowBytes: 0,
        rowsDone: 0,
        created: 0,
        updated: 0,
        skipped: 0,
        errors: 0,
        failure: null,
        startedAt: now,
        finishedAt: null,
        updatedAt: now,
      })
      .where(ready)
      .returning(),
    db.run(sql`delete from import_row_issues where import_id = ${id} and ${started}`),
    db.run(sql`insert into import_mappings (object, source_name, mapping, updated_by, updated_at)
      select object, source_name, ${mapping}, ${callerUserId(me)}, ${now} from imports where id = ${id} and ${started}
      on conflict (object, source_name) do update set mapping = excluded.mapping, updated_by = excluded.updated_by,
        updated_at = excluded.updated_at`),
    db.all<StartWhy>(
      sql`select exists (select 1 from imports where id = ${id} and ${importVisible(me)}) as visible,
        (select status from imports where id = ${id}) as status, (select object from imports where id = ${id}) as object,
        (select columns from imports where id = ${id}) as columns,
        (select count(*) from import_parts where import_id = ${id}) as parts,
        (select coalesce(max(part) + 1, 0) from import_parts where import_id = ${id}) as lastPart,
        (select json_group_array(m.key) from json_each(${mapping}) m where m.key not in
          (select value from json_each(coalesce((select columns from imports where id = ${id}), '[]')))) as unknownColumns,
        (select json_group_array(k) from (${unknownCustom(sql`(select object from imports where id = ${id})`)})) as unknownCustom`,
    ),
  ] as const;
}

/** Why a run did not start. */
export interface StartWhy {
  visible: number;
  status: string | null;
  object: ImportObject | null;
  columns: string | null;
  parts: number;
  lastPart: number;
  unknownColumns: string;
  unknownCustom: string;
}

/** Starts undoing a finished import (not a dry run). Returns the import when it did. */
export function startUndoStatements(db: Database, me: CallerRef, id: string, now: number) {
  return [
    db
      .update(imports)
      .set({ status: "undoing", undoCursor: `${UNDO_PHASES[0]}|`, reverted: 0, removed: 0, updatedAt: now })
      .where(
        sql`${imports.id} = ${id} and ${imports.status} = 'done' and ${imports.dryRun} = 0 and ${importVisible(me)}`,
      )
      .returning(),
    db.all<{ status: string }>(sql`select status from imports where id = ${id} and ${importVisible(me)}`),
  ] as const;
}

/** Undo walks what the import did, newest kind first: deals, then contacts, then companies; updates, then creates. */
export const UNDO_PHASES = [
  "deal:updated",
  "deal:created",
  "contact:updated",
  "contact:created",
  "company:updated",
  "company:created",
] as const;

export function mappingsQuery(db: Database, object: ImportObject, sourceName: string) {
  return db
    .select()
    .from(importMappings)
    .where(and(eq(importMappings.object, object), eq(importMappings.sourceName, sourceName)));
}

/** The issues of an import's current run, by row number (keyset). */
export function issuesQuery(
  db: Database,
  me: CallerRef,
  id: string,
  options: { after: number; limit: number; kind?: "error" | "skipped" | undefined },
) {
  return db.all<{ row: number; kind: "error" | "skipped"; reasons: string; cells: string }>(
    sql`select i.row as row, i.kind as kind, i.reasons as reasons, i.cells as cells from import_row_issues i
      where i.import_id = ${id} and i.row > ${options.after}
        ${options.kind ? sql`and i.kind = ${options.kind}` : sql``}
        and exists (select 1 from imports where imports.id = ${id} and ${importVisible(me)})
      order by i.row limit ${options.limit + 1}`,
  );
}
