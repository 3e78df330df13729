// What campaigns and sources cost, per month and currency, entered by admins and managers: the other half of
// the return per campaign. One row per (dimension, value, month, currency); entering it again replaces it.
import { and, asc, eq, gt, sql } from "drizzle-orm";
import { type CallerRef, callerUserId } from "../caller.ts";
import type { Database } from "../client.ts";
import { newId } from "../ids.ts";
import { rowsForPage } from "../paging.ts";
import { type AttributionDimension, reportCosts } from "../schema/index.ts";

export interface CostInput {
  dimension: AttributionDimension;
  value: string;
  month: string;
  currency: string;
  amount: number;
}

export type CostRecord = typeof reportCosts.$inferSelect;

export function toCost(row: CostRecord) {
  return {
    id: row.id,
    dimension: row.dimension,
    value: row.value,
    month: row.month,
    currency: row.currency,
    amount: row.amount,
    updatedBy: row.updatedBy,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export function putCostStatement(db: Database, me: CallerRef, input: CostInput, now: number) {
  return db
    .insert(reportCosts)
    .values({ id: newId(), ...input, updatedBy: callerUserId(me), createdAt: now, updatedAt: now })
    .onConflictDoUpdate({
      target: [reportCosts.dimension, reportCosts.value, reportCosts.month, reportCosts.currency],
      set: { amount: input.amount, updatedBy: callerUserId(me), updatedAt: now },
    })
    .returning();
}

export interface CostFilter {
  dimension?: AttributionDimension | undefined;
  from?: string | undefined;
  to?: string | undefined;
  cursor?: string | undefined;
  limit: number;
}

/** Costs in id order (oldest entry first), keyset paged. */
export function listCostsQuery(db: Database, filter: CostFilter) {
  return db
    .select()
    .from(reportCosts)
    .where(
      and(
        filter.dimension === undefined ? undefined : eq(reportCosts.dimension, filter.dimension),
        filter.from === undefined ? undefined : sql`${reportCosts.month} >= ${filter.from}`,
        filter.to === undefined ? undefined : sql`${reportCosts.month} <= ${filter.to}`,
        filter.cursor === undefined ? undefined : gt(reportCosts.id, filter.cursor),
      ),
    )
    .orderBy(asc(reportCosts.id))
    .limit(rowsForPage(filter.limit));
}

export function deleteCostStatement(db: Database, id: string) {
  return db.delete(reportCosts).where(eq(reportCosts.id, id)).returning({ id: reportCosts.id });
}
