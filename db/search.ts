// The global search behind the SPA's quick-search box: the best matches among the contacts, companies and
// deals the caller may see, as three FTS queries that run in one batch; without words, the recently changed.
import { type SQL, sql } from "drizzle-orm";
import { type Grant, grantsCover, type Scope } from "./access.ts";
import { type CallerRef, canSeeRecord } from "./caller.ts";
import type { Database } from "./client.ts";
import { ftsQuery } from "./search-text.ts";

export type SearchHitType = "contact" | "company" | "deal";

export interface SearchHit {
  type: SearchHitType;
  id: string;
  name: string;
  /** A line to tell it apart: a contact's email (or job title, phone), a company's domain, a deal's stage and amount. */
  detail: string | null;
}

interface HitRow {
  id: string;
  name: string;
  detail: string | null;
  /** FTS5 bm25 rank (lower is better), null when listing the recently changed. */
  rank: number | null;
  updatedAt: number;
}

interface DealHitRow extends HitRow {
  amount: number;
  currency: string;
}

interface Kind {
  table: string;
  scope: Scope;
  columns: SQL;
  /** Joins after the record (alias `r`), for what the detail needs. */
  joins?: SQL;
}

const KINDS = {
  contact: {
    table: "contacts",
    scope: "contacts:read",
    columns: sql`coalesce(r.email, r.job_title, r.phone) as "detail"`,
  },
  company: {
    table: "companies",
    scope: "companies:read",
    columns: sql`coalesce(r.domain, r.industry, r.country) as "detail"`,
  },
  deal: {
    table: "deals",
    scope: "deals:read",
    columns: sql`st.name as "detail", r.amount as "amount", r.currency as "currency"`,
    joins: sql`join stages st on st.id = r.stage_id`,
  },
} as const satisfies Record<SearchHitType, Kind>;

/**
 * The matches of one kind: ranked by the FTS index when the query has words, else the most recently changed
 * (the updated_at index), live and visible to the caller, at most `limit`.
 */
function kindQuery<T extends HitRow>(db: Database, me: CallerRef, kind: Kind, q: string, limit: number) {
  const table = sql.raw(kind.table);
  const select = sql`select r.id as "id", r.name as "name", ${kind.columns}, r.updated_at as "updatedAt"`;
  const live = sql`r.deleted_at is null and ${canSeeRecord(me, sql`r.owner_id`, sql`r.team_id`)}`;
  const match = ftsQuery(q);
  if (match === null) {
    return db.all<T>(sql`${select}, null as "rank" from ${table} r ${kind.joins ?? sql``}
      where ${live} order by r.updated_at desc, r.id desc limit ${limit}`);
  }
  const fts = sql.raw(`${kind.table}_fts`);
  const shadow = sql.raw(`${kind.table}_search`);
  return db.all<T>(sql`${select}, ${fts}.rank as "rank" from ${fts}
      join ${shadow} s on s.rowid = ${fts}.rowid join ${table} r on r.id = s.id ${kind.joins ?? sql``}
      where ${fts} match ${match} and ${live} order by ${fts}.rank, r.id limit ${limit}`);
}

/** The three queries, for one batch: contacts, companies, deals. Each brings up to `limit`, the best kept later. */
export function searchQueries(db: Database, me: CallerRef, options: { q: string; limit: number }) {
  const { q, limit } = options;
  return [
    kindQuery<HitRow>(db, me, KINDS.contact, q, limit),
    kindQuery<HitRow>(db, me, KINDS.company, q, limit),
    kindQuery<DealHitRow>(db, me, KINDS.deal, q, limit),
  ] as const;
}

/**
 * The best `limit` hits of the three kinds together: by rank (bm25 scores of the three indexes, close enough to
 * compare for a quick-search box), or by recency without words. A kind the caller's API key may not read
 * (grants without its scope) is left out; a session (grants null) reads all three.
 */
export function searchHits(
  [contacts, companies, deals]: readonly [HitRow[], HitRow[], DealHitRow[]],
  options: { limit: number; grants: readonly Grant[] | null },
): SearchHit[] {
  const may = (kind: Kind) => options.grants === null || grantsCover(options.grants, kind.scope);
  const all: (HitRow & { type: SearchHitType })[] = [
    ...(may(KINDS.contact) ? contacts.map((row) => ({ ...row, type: "contact" as const })) : []),
    ...(may(KINDS.company) ? companies.map((row) => ({ ...row, type: "company" as const })) : []),
    ...(may(KINDS.deal)
      ? deals.map((row) => ({ ...row, type: "deal" as const, detail: dealDetail(row) }))
      : []),
  ];
  all.sort((a, b) =>
    a.rank !== null && b.rank !== null && a.rank !== b.rank
      ? a.rank - b.rank
      : b.updatedAt - a.updatedAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0),
  );
  return all
    .slice(0, options.limit)
    .map(({ type, id, name, detail }) => ({ type, id, name, detail: detail ?? null }));
}

/** "Proposal · 150,000,000 VND": the stage, and the amount in major units of its currency. */
function dealDetail(row: DealHitRow): string {
  let digits = 2;
  try {
    digits =
      new Intl.NumberFormat("en", { style: "currency", currency: row.currency }).resolvedOptions()
        .maximumFractionDigits ?? 2;
  } catch {
    // An unknown code: shown with two decimals, as most currencies have.
  }
  const amount = (row.amount / 10 ** digits).toLocaleString("en", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
  return `${row.detail ?? ""} · ${amount} ${row.currency}`;
}
