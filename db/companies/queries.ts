// Reading companies: one company as the API shows it, and the filtered, sorted, searchable, keyset-paged list,
// always scoped by who may see which record (db/caller.ts).
import { and, desc, eq, getTableColumns, isNull, type SQL } from "drizzle-orm";
import { type CallerRef, canSeeRecord } from "../caller.ts";
import type { Database } from "../client.ts";
import {
  type OwnedListFilter,
  orderBy,
  ownedListConditions,
  ownedListWhere,
  SEARCH_TABLES,
  type Sort,
  searchMatch,
} from "../contacts/list.ts";
import { companies } from "../schema/index.ts";

export type CompanyRow = typeof companies.$inferSelect;

export interface CompanyView {
  id: string;
  name: string;
  domain: string | null;
  industry: string | null;
  size: string | null;
  country: string | null;
  ownerId: string | null;
  teamId: string | null;
  custom: Record<string, unknown>;
  version: number;
  createdAt: number;
  updatedAt: number;
  deletedAt: number | null;
}

export function toCompanyView(row: CompanyRow): CompanyView {
  return {
    id: row.id,
    name: row.name,
    domain: row.domain,
    industry: row.industry,
    size: row.size,
    country: row.country,
    ownerId: row.ownerId,
    teamId: row.teamId,
    custom: JSON.parse(row.custom) as Record<string, unknown>,
    version: row.version,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    deletedAt: row.deletedAt,
  };
}

/** A live company the caller may see (0 or 1 row). */
export function companyQuery(db: Database, me: CallerRef, id: string) {
  return db
    .select()
    .from(companies)
    .where(
      and(
        eq(companies.id, id),
        isNull(companies.deletedAt),
        canSeeRecord(me, companies.ownerId, companies.teamId),
      ),
    );
}

/** A company by id whatever its state, for reading back what a write in the same batch just did. */
export function companyByIdQuery(db: Database, id: string) {
  return db.select().from(companies).where(eq(companies.id, id));
}

export interface CompanyFilter extends OwnedListFilter {
  industry?: string | undefined;
  country?: string | undefined;
  domain?: string | undefined;
}

const search = SEARCH_TABLES.companies;

const SORT_COLUMNS = {
  id: companies.id,
  name: companies.name,
  createdAt: companies.createdAt,
  updatedAt: companies.updatedAt,
  match: search.fts.rowid,
} as const;

export type CompanyListRow = CompanyRow & { match?: number | null };

/** One page (+1 row) of the companies the caller may see; sorted `match`, the search index drives. */
export function listCompaniesQuery(db: Database, me: CallerRef, f: CompanyFilter) {
  const column = SORT_COLUMNS[f.sort.key];
  const conditions: (SQL | undefined)[] = [
    ...ownedListConditions(companies, "companies", column, f),
    f.industry ? eq(companies.industry, f.industry) : undefined,
    f.country ? eq(companies.country, f.country) : undefined,
    f.domain ? eq(companies.domain, f.domain) : undefined,
  ];
  const where = ownedListWhere(companies, companies, me, conditions, f.sort, f.limit);
  if (f.sort.key === "match") {
    return db
      .select({ ...getTableColumns(companies), match: search.fts.rowid })
      .from(search.fts)
      .innerJoin(search.rows, eq(search.rows.rowid, search.fts.rowid))
      .innerJoin(companies, eq(companies.id, search.rows.id))
      .where(and(searchMatch(search, f.q), where))
      .orderBy(desc(search.fts.rowid))
      .limit(f.limit + 1);
  }
  return db
    .select()
    .from(companies)
    .where(where)
    .orderBy(orderBy(column, companies.id, f.sort))
    .limit(f.limit + 1);
}

/** The sort value of a company on the list, for the cursor after it. */
export function companySortValue(row: CompanyListRow, sort: Sort): string | number {
  if (sort.key === "match") return row.match ?? 0;
  return sort.key === "id" ? row.id : row[sort.key];
}
