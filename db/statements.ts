// Building blocks of the user and team write batches: rows inserted only when a condition holds, a missing row
// that aborts the batch, and a taken unique value turned into a 409.
import { getTableColumns, is, SQL, sql } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { RequestOrigin } from "./audit.ts";
import type { Database } from "./client.ts";
import { ConflictError } from "./errors.ts";

/** What a write needs besides its input: where the request came from (for the audit log) and the clock. */
export interface WriteContext {
  origin: RequestOrigin;
  now: number;
}

type InsertValues<T extends SQLiteTable> = { [K in keyof T["$inferInsert"]]?: T["$inferInsert"][K] | SQL };

/**
 * INSERT … SELECT of one row, written only when `condition` holds. A batch has no reads between its
 * statements, so this is how a later statement depends on an earlier one, or on a rule, in one round trip.
 */
export function insertWhere<T extends SQLiteTable>(
  db: Database,
  table: T,
  values: InsertValues<T>,
  condition: SQL,
) {
  const row = Object.entries(getTableColumns(table))
    // The columns drizzle lists in the INSERT: all but generated ones.
    .filter(([, column]) => column.generated === undefined || column.generated.type === "byDefault")
    .map(([key, column]) => {
      const value: unknown = (values as Record<string, unknown>)[key];
      if (is(value, SQL)) return value;
      if (value !== undefined) return sql.param(value, column);
      if (is(column.default, SQL)) return column.default;
      return column.default === undefined ? sql`null` : sql.param(column.default, column);
    });
  return db.insert(table).select(sql`select ${sql.join(row, sql`, `)} where ${condition}`);
}

/** SQL's 1 or 0, so a statement in a fixed batch that does not apply this time is a cheap no-op. */
export function when(applies: boolean): SQL {
  return sql.raw(applies ? "1" : "0");
}

/** Aborts the whole batch with a 404 when the row is missing (through the access_guard trigger). */
export function existsGuard(db: Database, table: SQLiteTable, id: string) {
  return db.run(
    sql`insert into access_guard (denied) select 'not_found' where not exists (select 1 from ${table} where id = ${id})`,
  );
}

/** Maps the unique index's refusal (`table.column` → sentence) to a ConflictError; rethrows anything else. */
export function conflictOnUnique(messages: Record<string, string>): (error: unknown) => never {
  return (error) => {
    for (let e: unknown = error, depth = 0; e instanceof Error && depth < 6; e = e.cause, depth++) {
      const column = /UNIQUE constraint failed: ([\w.]+)/.exec(e.message)?.[1];
      const message = column === undefined ? undefined : messages[column];
      if (message) throw new ConflictError(message);
    }
    throw error;
  };
}

/** The ids for an SQL `in (…)`, each bound as a parameter. */
export function idList(ids: readonly string[]): SQL {
  return sql.join(
    ids.map((id) => sql`${id}`),
    sql`, `,
  );
}
