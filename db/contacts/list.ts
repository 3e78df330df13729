// Keyset-paged lists of owned records (contacts, companies): sort on an indexed column with the id as the
// tie-breaker, the cursor carrying both, filters that indexes serve, and `q` through the FTS index.
import { and, gte, isNull, lte, type SQL, sql } from "drizzle-orm";
import { integer, type SQLiteColumn, type SQLiteTable, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { type CallerRef, canSeeRecord, visibilityParts } from "../caller.ts";
import { ftsQuery } from "../search-text.ts";

/**
 * `match` is the order of the search index, newest entry first: what a list with `q` and no `sort` uses. The
 * index hands its matches over in that order, so a page costs the same however many records match; any other
 * sort has to look at every match first.
 */
export type SortKey = "id" | "name" | "createdAt" | "updatedAt" | "match";
export interface Sort {
  key: SortKey;
  desc: boolean;
}

/** The sort asked for; without one, the search index's order when `q` has words to look for, else the id. */
export function parseSort(value: string | undefined, q?: string): Sort | null {
  if (value === undefined && q !== undefined && ftsQuery(q) !== null) return { key: "match", desc: true };
  const raw = value ?? "id";
  const desc = raw.startsWith("-");
  const key = desc ? raw.slice(1) : raw;
  return ["id", "name", "createdAt", "updatedAt"].includes(key) ? { key: key as SortKey, desc } : null;
}

/**
 * The FTS tables of migration 0005, for the queries the search index drives: `<table>_fts` (the FTS5 index)
 * and `<table>_search` (its rows, mapping each rowid to a record id). Not in db/schema, which drizzle-kit
 * turns into migrations: these are made by hand-written SQL.
 */
const searchTable = (name: string) => ({
  fts: sqliteTable(`${name}_fts`, { rowid: integer() }),
  rows: sqliteTable(`${name}_search`, { rowid: integer(), id: text().notNull() }),
});
export const SEARCH_TABLES = { contacts: searchTable("contacts"), companies: searchTable("companies") };
export type SearchTables = (typeof SEARCH_TABLES)[keyof typeof SEARCH_TABLES];

/** The keyset condition after the cursor: `(col, id) > (v, id)` (or `<` descending), which indexes serve. */
export function afterCursor(
  column: SQLiteColumn,
  id: SQLiteColumn,
  sort: Sort,
  cursor: [string | number, string],
): SQL {
  const [value, lastId] = cursor;
  if (sort.key === "match") return sql`${column} < ${Number(value)}`;
  if (sort.key === "id") return sort.desc ? sql`${id} < ${lastId}` : sql`${id} > ${lastId}`;
  return sort.desc
    ? sql`(${column}, ${id}) < (${value}, ${lastId})`
    : sql`(${column}, ${id}) > (${value}, ${lastId})`;
}

export function orderBy(column: SQLiteColumn, id: SQLiteColumn, sort: Sort): SQL {
  const dir = sql.raw(sort.desc ? "desc" : "asc");
  return sort.key === "id" || sort.key === "match"
    ? sql`${sort.key === "id" ? id : column} ${dir}`
    : sql`${column} ${dir}, ${id} ${dir}`;
}

/**
 * `id in (…)` the FTS index answers for `q`, or null when `q` has no words. `table` is contacts, companies or
 * deals: the shadow table maps FTS rowids to record ids (migration 0005).
 */
export function matchesSearch(
  id: SQLiteColumn,
  table: "contacts" | "companies" | "deals",
  q: string,
): SQL | null {
  const match = ftsQuery(q);
  if (match === null) return null;
  const fts = sql.raw(`${table}_fts`);
  const shadow = sql.raw(`${table}_search`);
  return sql`${id} in (select s.id from ${fts} join ${shadow} s on s.rowid = ${fts}.rowid where ${fts} match ${match})`;
}

/** `custom.<key>=value` filters: the stored JSON value equals the text (or number, or boolean) given. */
export function customEquals(custom: SQLiteColumn, filters: Record<string, string>): SQL[] {
  return Object.entries(filters).map(([key, value]) => {
    const path = `$.${JSON.stringify(key)}`;
    const candidates = [
      value,
      ...(Number.isFinite(Number(value)) && value.trim() !== "" ? [Number(value)] : []),
    ];
    if (value === "true" || value === "false") candidates.push(value === "true" ? 1 : 0);
    return sql`(json_extract(${custom}, ${path}) in (${sql.join(
      candidates.map((c) => sql`${c}`),
      sql`, `,
    )}) or exists (select 1 from json_each(${custom}, ${path}) where value = ${value}))`;
  });
}

/** The columns every owned, listable record has (contacts, companies). */
export interface OwnedListColumns {
  id: SQLiteColumn;
  ownerId: SQLiteColumn;
  teamId: SQLiteColumn;
  createdAt: SQLiteColumn;
  updatedAt: SQLiteColumn;
  deletedAt: SQLiteColumn;
  custom: SQLiteColumn;
}

/** The filters and paging every owned-record list takes. */
export interface OwnedListFilter {
  ownerId?: string | undefined;
  teamId?: string | undefined;
  createdFrom?: number | undefined;
  createdTo?: number | undefined;
  updatedFrom?: number | undefined;
  updatedTo?: number | undefined;
  custom?: Record<string, string>;
  q?: string | undefined;
  sort: Sort;
  cursor?: [string | number, string] | undefined;
  limit: number;
}

/**
 * The conditions every owned-record list applies, but for who may see what: live rows, owner, team and date
 * ranges, custom values, search (unless the search index drives the query) and the position after the cursor.
 * Each list adds its own filters to these, and ownedListWhere puts the caller's visibility around them.
 */
export function ownedListConditions(
  t: OwnedListColumns,
  searchTable: "contacts" | "companies",
  sortColumn: SQLiteColumn,
  f: OwnedListFilter,
): (SQL | undefined)[] {
  return [
    isNull(t.deletedAt),
    f.ownerId ? sql`${t.ownerId} = ${f.ownerId}` : undefined,
    f.teamId ? sql`${t.teamId} = ${f.teamId}` : undefined,
    f.createdFrom !== undefined ? gte(t.createdAt, f.createdFrom) : undefined,
    f.createdTo !== undefined ? lte(t.createdAt, f.createdTo) : undefined,
    f.updatedFrom !== undefined ? gte(t.updatedAt, f.updatedFrom) : undefined,
    f.updatedTo !== undefined ? lte(t.updatedAt, f.updatedTo) : undefined,
    ...customEquals(t.custom, f.custom ?? {}),
    (f.q && f.sort.key !== "match" ? matchesSearch(t.id, searchTable, f.q) : null) ?? undefined,
    f.cursor ? afterCursor(sortColumn, t.id, f.sort, f.cursor) : undefined,
  ];
}

/**
 * The WHERE of a list: its conditions, among the rows the caller may see. In id order, each part of the
 * caller's visibility (db/caller.ts) takes its first rows through its own index (the primary key for an admin,
 * owner and id, team and id) and the list keeps the first of those: a rep who owns a few rows among a million
 * reads those few, not the table. Other orders test each row on the sort's index.
 */
export function ownedListWhere(
  table: SQLiteTable,
  t: OwnedListColumns,
  me: CallerRef,
  conditions: (SQL | undefined)[],
  sort: Sort,
  limit: number,
): SQL | undefined {
  if (sort.key !== "id") return and(canSeeRecord(me, t.ownerId, t.teamId), ...conditions);
  const order = orderBy(t.id, t.id, sort);
  const parts = visibilityParts(me, t.ownerId, t.teamId, limit + 1).map(
    (part) =>
      sql`select "id" from (select ${t.id} from ${table} where ${and(part.where, ...conditions)} order by ${order} limit ${part.limit})`,
  );
  return sql`${t.id} in (${sql.join(parts, sql` union all `)})`;
}

/** The search index's match for `q` (the list is sorted `match`, so `q` has words). */
export function searchMatch(tables: SearchTables, q: string | undefined): SQL {
  return sql`${tables.fts} match ${ftsQuery(q ?? "") ?? ""}`;
}
