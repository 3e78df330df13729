// Lead reports: new contacts of the period by source, form or campaign with how many became customers, lead
// quality by grade, and the lifecycle funnel.
import { sql } from "drizzle-orm";
import type { Database } from "../client.ts";
import { type LeadDimension, LIFECYCLE_STAGES } from "../schema/index.ts";
import { ratio } from "./sales.ts";
import { ownedRowsWhere, type ReportScope, rollupRows } from "./scope.ts";

export interface LeadRow {
  value: string;
  /** The form's name, for the form dimension. */
  label: string | null;
  leads: number;
  converted: number;
}

/** New contacts of the period per value of one dimension, and how many of them are (or were) customers. */
export function leadsQuery(db: Database, scope: ReportScope, dimension: LeadDimension) {
  return db.all<LeadRow>(sql`with ${rollupRows("lead", scope.period, "r")}
    select r.value as value,
      ${dimension === "form" ? sql`(select name from forms where id = r.value)` : sql`null`} as label,
      sum(r.leads) as leads, sum(r.converted) as converted
    from r where r.dimension = ${dimension} and ${ownedRowsWhere(scope, "r")}
    group by r.value order by sum(r.leads) desc, r.value`);
}

/**
 * Conversion (lead → customer) = contacts created in the period that are now customers (or evangelists, or
 * churned customers) ÷ contacts created in the period.
 */
export function leadsView(rows: readonly LeadRow[]) {
  const leads = rows.reduce((n, r) => n + r.leads, 0);
  const converted = rows.reduce((n, r) => n + r.converted, 0);
  return {
    rows: rows.map((r) => ({
      value: r.value === "" ? null : r.value,
      label: r.label,
      leads: r.leads,
      customers: r.converted,
      conversionRate: ratio(r.converted, r.leads),
      share: ratio(r.leads, leads),
    })),
    totals: { leads, customers: converted, conversionRate: ratio(converted, leads) },
  };
}

export interface TransitionRow {
  fromStage: string;
  toStage: string;
  count: number;
}

export function funnelQuery(db: Database, scope: ReportScope) {
  return db.all<TransitionRow>(sql`with ${rollupRows("funnel", scope.period, "r")}
    select from_stage as "fromStage", to_stage as "toStage", sum(count) as count
    from r where ${ownedRowsWhere(scope, "r")} group by 1, 2 order by 1, 2`);
}

/** The stages in funnel order; disqualified and churned are exits, listed after. */
const FUNNEL = LIFECYCLE_STAGES;

/**
 * Per lifecycle stage: how many contacts entered it in the period (created in it, or moved to it), and the
 * conversion to the next stage of the funnel = entered the next ÷ entered this one.
 */
export function funnelView(rows: readonly TransitionRow[]) {
  const entered = new Map<string, number>();
  for (const row of rows) entered.set(row.toStage, (entered.get(row.toStage) ?? 0) + row.count);
  const main: readonly string[] = FUNNEL.filter((stage) => stage !== "disqualified" && stage !== "churned");
  const stages = FUNNEL.map((stage) => {
    const index = main.indexOf(stage);
    const next = index >= 0 ? main[index + 1] : undefined;
    const count = entered.get(stage) ?? 0;
    return {
      stage,
      entered: count,
      conversionToNext: next === undefined ? null : ratio(entered.get(next) ?? 0, count),
    };
  });
  return {
    stages,
    transitions: rows.map((r) => ({
      from: r.fromStage === "" ? null : r.fromStage,
      to: r.toStage,
      count: r.count,
    })),
  };
}
