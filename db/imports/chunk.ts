// The shape every object's importer (contacts, companies, deals) has, and the statements they share: rows
// inserted or updated from one JSON parameter (json_each), so a chunk of thousands of rows is a handful of
// statements in one batch rather than thousands.
import { type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { CallerRef } from "../caller.ts";
import type { Database } from "../client.ts";
import type { RecordConfig } from "../custom-fields.ts";
import type { ImportObject } from "./targets.ts";
import type { CsvRow, RowIssue } from "./values.ts";

export interface ChunkJob {
  importId: string;
  run: number;
  chunk: number;
  object: ImportObject;
  dryRun: boolean;
  /** The importing user: records are theirs when no owner is mapped, and they may change only what they may write. */
  me: CallerRef & { kind: "user" };
  /** Target → column position. */
  index: ReadonlyMap<string, number>;
  config: RecordConfig;
  /** Whether anyone is on the suppression list: hashing every row's email and phone costs, and mostly finds nothing. */
  suppressions: boolean;
  now: number;
}

export interface Counts {
  created: number;
  updated: number;
  skipped: number;
  errors: number;
}

export interface Issue {
  row: number;
  kind: "error" | "skipped";
  reasons: RowIssue[];
  cells: readonly string[];
}

export interface ChunkPlan {
  /** The record writes (none on a dry run). */
  statements: BatchItem<"sqlite">[];
  counts: Counts;
  issues: Issue[];
}

/** An object's importer: read a chunk's rows in code, what it needs from the database, then its writes. */
export interface Importer<P> {
  prepare(job: ChunkJob, rows: readonly CsvRow[]): Promise<P>;
  reads(db: Database, job: ChunkJob, prepared: P): BatchItem<"sqlite">[];
  plan(db: Database, job: ChunkJob, prepared: P, results: readonly unknown[]): ChunkPlan;
}

export function emptyCounts(): Counts {
  return { created: 0, updated: 0, skipped: 0, errors: 0 };
}

/** A JSON array parameter as rows: `value` is each element. */
export function jsonRows(values: readonly unknown[]): SQL {
  return sql`json_each(${JSON.stringify(values)})`;
}

/**
 * INSERT of one row per object in `rows`, each holding the listed columns under their own names; `extra` adds
 * columns computed in SQL, where `v` is the row's JSON.
 */
export function insertRows(
  db: Database,
  table: string,
  columns: readonly string[],
  rows: readonly Record<string, unknown>[],
  extra: Record<string, SQL> = {},
): BatchItem<"sqlite"> {
  const names = [...columns, ...Object.keys(extra)];
  const values = [...columns.map((column) => sql.raw(`v ->> '${column}'`)), ...Object.values(extra)];
  return db.run(sql`insert into ${sql.raw(table)} (${sql.raw(names.join(", "))})
    select ${sql.join(values, sql`, `)} from (select value as v from ${jsonRows(rows)})`);
}

/** `col = the row's value when it has one, else as it is`, for each column. */
export function setFromRow(table: string, columns: readonly string[]): SQL {
  return sql.join(
    columns.map((column) =>
      sql.raw(
        `${column} = iif(json_type(u.v, '$.${column}') is null, ${table}.${column}, u.v ->> '${column}')`,
      ),
    ),
    sql`, `,
  );
}

/** The issues of a chunk as one insert. */
export function issuesStatement(
  db: Database,
  importId: string,
  issues: readonly Issue[],
): BatchItem<"sqlite"> {
  const rows = issues.map((issue) => ({
    row: issue.row,
    kind: issue.kind,
    reasons: JSON.stringify(issue.reasons),
    cells: JSON.stringify(issue.cells),
  }));
  return db.run(sql`insert or replace into import_row_issues (import_id, row, kind, reasons, cells)
    select ${importId}, value ->> 'row', value ->> 'kind', value ->> 'reasons', value ->> 'cells' from ${jsonRows(rows)}`);
}

/** The owner's first team, for a record made without one (as the API does). */
export function firstTeamSql(owner: SQL): SQL {
  return sql`(select team_id from team_members where user_id = ${owner} order by team_id limit 1)`;
}
