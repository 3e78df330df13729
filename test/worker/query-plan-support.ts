// EXPLAIN QUERY PLAN for the statements the data functions build, and the rule the plan tests hold them to: no
// step may read a whole table (see test/worker/query-plans.test.ts for what is allowed).
import { expect } from "vitest";
import type { Database } from "../../db/client.ts";

export type Statement =
  | { toSQL(): { sql: string; params: unknown[] } }
  | { getQuery(): { sql: string; params: unknown[] } };

function sqlOf(statement: Statement) {
  return "toSQL" in statement ? statement.toSQL() : statement.getQuery();
}

export async function planOf(db: Database, statement: Statement): Promise<string[]> {
  const { sql, params } = sqlOf(statement);
  const result = await db.$client.execute({
    sql: `explain query plan ${sql}`,
    args: params as (string | number | null)[],
  });
  return result.rows.map((row) => String(row.detail));
}

/**
 * The steps that read a whole table: `SCAN x` with no index after the name, where x is a table (or its alias)
 * rather than a subquery's result, which the plan names in a `CO-ROUTINE x` or `MATERIALIZE x` step.
 */
export function fullScans(plan: string[]): string[] {
  const subqueries = new Set(
    plan.flatMap((step) => /^(?:CO-ROUTINE|MATERIALIZE) (.+)$/.exec(step)?.[1] ?? []),
  );
  return plan.filter((step) => {
    const target = /^SCAN (.+)$/.exec(step)?.[1];
    if (target === undefined || subqueries.has(target)) return false;
    if (/ USING (COVERING )?INDEX | USING INTEGER PRIMARY KEY|VIRTUAL TABLE INDEX/.test(target)) return false;
    return !/^\(subquery|^CONSTANT ROW|^json_each/.test(target);
  });
}

/**
 * An INSERT … SELECT into a parent table lists a scan of each child table that references it: SQLite's check
 * for deferred foreign-key violations, which the bytecode skips (FkIfZero) unless some are outstanding, so it
 * never runs. Those scans are left out; any other is a real one.
 */
async function foreignKeyChecks(db: Database, statement: Statement, scans: string[]): Promise<string[]> {
  const target = /^insert into "?(\w+)"?/i.exec(sqlOf(statement).sql.trim())?.[1];
  if (!target) return [];
  const exempt: string[] = [];
  for (const scan of scans) {
    const table = /^SCAN (\w+)$/.exec(scan)?.[1];
    if (!table) continue;
    const keys = await db.$client.execute(`pragma foreign_key_list(${table})`);
    if (keys.rows.some((row) => row.table === target)) exempt.push(scan);
  }
  return exempt;
}

/** Asserts the statement reads no whole table, and returns its plan. */
export async function expectIndexed(db: Database, statement: Statement): Promise<string[]> {
  const plan = await planOf(db, statement);
  expect(plan.length).toBeGreaterThan(0);
  const scans = fullScans(plan);
  const exempt = await foreignKeyChecks(db, statement, scans);
  expect(
    scans.filter((scan) => !exempt.includes(scan)),
    plan.join("\n"),
  ).toEqual([]);
  return plan;
}
