// Deals as callers read them: one deal, keyset-paged lists with filters and sorts on indexed columns, and the
// pipeline board. Every query applies the caller's visibility (db/caller.ts); writes are in db/deal-writes.ts.
import { type SQL, sql } from "drizzle-orm";
import { type CallerRef, canSeeRecord, visibilityParts } from "./caller.ts";
import type { Database } from "./client.ts";
import type { Page } from "./paging.ts";
import type { ForecastCategory } from "./pipelines.ts";
import { ftsQuery } from "./search-text.ts";

export type DealStatus = "open" | "won" | "lost";

export interface DealView {
  id: string;
  name: string;
  /** Integer minor units of `currency`. */
  amount: number;
  currency: string;
  pipelineId: string;
  stageId: string;
  stageName: string;
  stageEnteredAt: number;
  status: DealStatus;
  /** The stage's win probability, 0–100. */
  probability: number;
  /** The override when set, else the stage's category. */
  forecastCategory: ForecastCategory;
  forecastOverride: ForecastCategory | null;
  expectedCloseDate: string | null;
  closedAt: number | null;
  closeReason: string | null;
  companyId: string | null;
  contactIds: string[];
  custom: Record<string, unknown>;
  ownerId: string | null;
  teamId: string | null;
  version: number;
  createdAt: number;
  updatedAt: number;
  deletedAt: number | null;
}

export interface DealRow extends Omit<DealView, "contactIds" | "custom" | "forecastCategory"> {
  stageForecastCategory: ForecastCategory;
  contactIds: string;
  custom: string;
}

/** The select list of a deal read, over `deals d join stages s`, with the names the view uses. */
export const DEAL_COLUMNS = sql`d.id as "id", d.name as "name", d.amount as "amount", d.currency as "currency",
  d.pipeline_id as "pipelineId", d.stage_id as "stageId", s.name as "stageName", d.stage_entered_at as "stageEnteredAt",
  d.status as "status", s.probability as "probability", s.forecast_category as "stageForecastCategory",
  d.forecast_override as "forecastOverride", d.expected_close_date as "expectedCloseDate", d.closed_at as "closedAt",
  d.close_reason as "closeReason", d.company_id as "companyId",
  (select coalesce(json_group_array(dc.contact_id), '[]') from
    (select contact_id from deal_contacts where deal_id = d.id order by contact_id) dc) as "contactIds",
  d.custom as "custom", d.owner_id as "ownerId", d.team_id as "teamId", d.version as "version",
  d.created_at as "createdAt", d.updated_at as "updatedAt", d.deleted_at as "deletedAt"`;

export function toDealView(row: DealRow): DealView {
  const { stageForecastCategory, contactIds, custom, ...rest } = row;
  return {
    ...rest,
    forecastCategory: row.forecastOverride ?? stageForecastCategory,
    contactIds: JSON.parse(contactIds) as string[],
    custom: JSON.parse(custom) as Record<string, unknown>,
  };
}

/** Whether the caller may see deal `d`. */
export function dealVisible(me: CallerRef): SQL {
  return canSeeRecord(me, sql`d.owner_id`, sql`d.team_id`);
}

/** One deal the caller may see (0 or 1 row); a deleted one only with `deleted`. */
export function readDealQuery(db: Database, me: CallerRef, id: string, options: { deleted?: boolean } = {}) {
  const deleted = options.deleted ? sql`` : sql`and d.deleted_at is null`;
  return db.all<DealRow>(
    sql`select ${DEAL_COLUMNS} from deals d join stages s on s.id = d.stage_id
      where d.id = ${id} ${deleted} and ${dealVisible(me)}`,
  );
}

export const DEAL_SORTS = [
  "created",
  "-created",
  "updated",
  "-updated",
  "expectedClose",
  "-expectedClose",
] as const;
export type DealSort = (typeof DEAL_SORTS)[number];

export interface DealFilter {
  pipelineId?: string | undefined;
  stageId?: string | undefined;
  ownerId?: string | undefined;
  teamId?: string | undefined;
  status?: DealStatus | undefined;
  companyId?: string | undefined;
  contactId?: string | undefined;
  /** Inclusive YYYY-MM-DD bounds on the expected close date. */
  expectedCloseFrom?: string | undefined;
  expectedCloseTo?: string | undefined;
  /** The deleted deals (the trash) instead of the live ones. */
  deleted?: boolean | undefined;
}

export interface DealListOptions extends DealFilter {
  /** Words the deal's name must contain, accent- and case-insensitive, the last a prefix (db/search-text.ts). */
  q?: string | undefined;
  sort: DealSort;
  cursor?: string | undefined;
  limit: number;
}

type CursorValue = string | number | null;

/** A page's position: the last row's sort value and id, opaque to callers. */
export function encodeCursor(value: CursorValue, id: string): string {
  return btoa(JSON.stringify([value, id]))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

export function decodeCursor(cursor: string): [CursorValue, string] | null {
  try {
    const parsed: unknown = JSON.parse(atob(cursor.replace(/-/g, "+").replace(/_/g, "/")));
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      typeof parsed[1] === "string" &&
      (parsed[0] === null || typeof parsed[0] === "string" || typeof parsed[0] === "number")
    ) {
      return [parsed[0], parsed[1]];
    }
  } catch {
    // Not a cursor this list made: reported below as such.
  }
  return null;
}

const SORT_COLUMNS = {
  created: { column: "d.id", key: (row: DealRow): CursorValue => row.id, nullable: false },
  updated: { column: "d.updated_at", key: (row: DealRow): CursorValue => row.updatedAt, nullable: false },
  expectedClose: {
    column: "d.expected_close_date",
    key: (row: DealRow): CursorValue => row.expectedCloseDate,
    nullable: true,
  },
} as const;

function sortOf(sort: DealSort) {
  const descending = sort.startsWith("-");
  const by = SORT_COLUMNS[(descending ? sort.slice(1) : sort) as keyof typeof SORT_COLUMNS];
  return { ...by, descending };
}

/** Rows after the cursor in the sort order; SQLite puts nulls first when ascending, last when descending. */
function afterCursor(sort: DealSort, [value, id]: [CursorValue, string]): SQL {
  const { column, descending, nullable } = sortOf(sort);
  const col = sql.raw(column);
  const op = sql.raw(descending ? "<" : ">");
  if (column === "d.id") return sql`d.id ${op} ${id}`;
  if (!nullable || value !== null) {
    const past = sql`(${col}, d.id) ${op} (${value}, ${id})`;
    return nullable && descending ? sql`(${past} or ${col} is null)` : past;
  }
  return descending
    ? sql`(${col} is null and d.id < ${id})`
    : sql`((${col} is null and d.id > ${id}) or ${col} is not null)`;
}

function filterConditions(filter: DealFilter): SQL[] {
  const where: SQL[] = [filter.deleted ? sql`d.deleted_at is not null` : sql`d.deleted_at is null`];
  if (filter.pipelineId !== undefined) where.push(sql`d.pipeline_id = ${filter.pipelineId}`);
  if (filter.stageId !== undefined) where.push(sql`d.stage_id = ${filter.stageId}`);
  if (filter.ownerId !== undefined) where.push(sql`d.owner_id = ${filter.ownerId}`);
  if (filter.teamId !== undefined) where.push(sql`d.team_id = ${filter.teamId}`);
  if (filter.status !== undefined) where.push(sql`d.status = ${filter.status}`);
  if (filter.companyId !== undefined) where.push(sql`d.company_id = ${filter.companyId}`);
  if (filter.contactId !== undefined) {
    where.push(sql`d.id in (select deal_id from deal_contacts where contact_id = ${filter.contactId})`);
  }
  if (filter.expectedCloseFrom !== undefined) {
    where.push(sql`d.expected_close_date >= ${filter.expectedCloseFrom}`);
  }
  if (filter.expectedCloseTo !== undefined)
    where.push(sql`d.expected_close_date <= ${filter.expectedCloseTo}`);
  return where;
}

/** One page of the deals the caller may see. Throws on a cursor this list did not make. */
export function listDealsQuery(db: Database, me: CallerRef, options: DealListOptions) {
  const where = [...filterConditions(options), dealVisible(me)];
  const match = options.q === undefined ? null : ftsQuery(options.q);
  if (match !== null) {
    // The FTS index answers the ids (deals_search maps its rowids to deal ids, migration 0005); the sort's
    // index then walks only those.
    where.push(
      sql`d.id in (select ds.id from deals_fts join deals_search ds on ds.rowid = deals_fts.rowid where deals_fts match ${match})`,
    );
  }
  if (options.cursor !== undefined) {
    const position = decodeCursor(options.cursor);
    if (!position) throw new InvalidCursorError();
    where.push(afterCursor(options.sort, position));
  }
  const { column, descending } = sortOf(options.sort);
  const direction = sql.raw(descending ? "desc" : "asc");
  const order =
    column === "d.id" ? sql`d.id ${direction}` : sql`${sql.raw(column)} ${direction}, d.id ${direction}`;
  return db.all<DealRow>(
    sql`select ${DEAL_COLUMNS} from deals d join stages s on s.id = d.stage_id
      where ${sql.join(where, sql` and `)} order by ${order} limit ${options.limit + 1}`,
  );
}

export class InvalidCursorError extends Error {
  override name = "InvalidCursorError";
  constructor() {
    super("The cursor is not one this list gave out; start again without it.");
  }
}

export function dealPage(rows: DealRow[], options: { sort: DealSort; limit: number }): Page<DealView> {
  const kept = rows.slice(0, options.limit);
  const last = kept.at(-1);
  const { key } = sortOf(options.sort);
  return {
    items: kept.map(toDealView),
    nextCursor: rows.length > options.limit && last ? encodeCursor(key(last), last.id) : null,
  };
}

// The board -----------------------------------------------------------------------------------------------------

export interface BoardOptions {
  /** Deals shown per stage; the rest are reached with the stage's nextCursor. */
  limit: number;
  ownerId?: string | undefined;
  teamId?: string | undefined;
}

/**
 * The first `limit` (+1, to know whether more follow) deals of each stage the caller may see, newest first (the
 * list's `-created`). For each stage of the pipeline, each part of the caller's visibility (db/caller.ts) takes
 * its newest deals through an index (stage for an admin, owner and stage, team and stage), so the cost does not
 * grow with the number of deals. A stage can bring up to twice `limit` + 1 rows (owned and team parts);
 * boardColumn keeps the newest.
 */
export function boardDealsQuery(db: Database, me: CallerRef, pipelineId: string, options: BoardOptions) {
  const filters = sql.join(
    filterConditions({ pipelineId, ownerId: options.ownerId, teamId: options.teamId }),
    sql` and `,
  );
  // Inside each subquery `d` is the subquery's own deal; `s` is the outer query's stage.
  const parts = visibilityParts(me, sql`d.owner_id`, sql`d.team_id`, options.limit + 1).map(
    (part) => sql`select ${DEAL_COLUMNS} from stages s join deals d on d.id in
      (select d.id from deals d where d.stage_id = s.id and ${filters} and ${part.where}
        order by d.id desc limit ${part.limit})
      where s.pipeline_id = ${pipelineId}`,
  );
  return db.all<DealRow>(sql.join(parts, sql` union all `));
}

export interface BoardTotalRow {
  stageId: string;
  currency: string;
  count: number;
  amount: number;
  /** Sum of amount × probability (percent), divided by 100 once, at the end, to round once. */
  weightedCents: number;
}

/**
 * Per stage and currency: how many deals, their total and their probability-weighted total, summed from the
 * rollup rows (deal_stage_totals, per stage, owner, team and currency) the caller may see.
 */
export function boardTotalsQuery(db: Database, me: CallerRef, pipelineId: string, options: BoardOptions) {
  const owner = sql`nullif(t.owner_id, '')`;
  const team = sql`nullif(t.team_id, '')`;
  const where = [sql`s.pipeline_id = ${pipelineId}`, canSeeRecord(me, owner, team)];
  if (options.ownerId !== undefined) where.push(sql`t.owner_id = ${options.ownerId}`);
  if (options.teamId !== undefined) where.push(sql`t.team_id = ${options.teamId}`);
  return db.all<BoardTotalRow>(
    sql`select t.stage_id as "stageId", t.currency as "currency", sum(t.count) as "count",
        sum(t.amount) as "amount", sum(t.amount) * s.probability as "weightedCents"
      from deal_stage_totals t join stages s on s.id = t.stage_id where ${sql.join(where, sql` and `)}
      group by t.stage_id, t.currency order by t.stage_id, t.currency`,
  );
}

export interface CurrencyTotal {
  currency: string;
  count: number;
  amount: number;
  weightedAmount: number;
}

export function toCurrencyTotal(row: BoardTotalRow): CurrencyTotal {
  return {
    currency: row.currency,
    count: row.count,
    amount: row.amount,
    weightedAmount: Math.round(row.weightedCents / 100),
  };
}

/** The deals of one stage as the board shows them, and where the deal list continues. */
export function boardColumn(rows: DealRow[], limit: number): Page<DealView> {
  const newestFirst = [...rows].sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  return dealPage(newestFirst, { sort: "-created", limit });
}
