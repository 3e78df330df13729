// Customer value and marketing return: lifetime value and purchase frequency of the customers won in the period,
// and revenue, cost and return per campaign or source.
import { sql } from "drizzle-orm";
import type { Database } from "../client.ts";
import type { AttributionDimension } from "../schema/index.ts";
import { ratio } from "./sales.ts";
import { ownedRowsWhere, type ReportScope, rollupRows } from "./scope.ts";

const DAY_MS = 24 * 60 * 60_000;

export interface CustomerRow {
  currency: string;
  customers: number;
  purchases: number;
  revenue: number;
  lifespanMs: number;
}

/** The customers whose first won deal closed in the period (per currency), with all their won deals to date. */
export function customersQuery(db: Database, scope: ReportScope) {
  return db.all<CustomerRow>(sql`with ${rollupRows("customer", scope.period, "r")}
    select currency, sum(customers) as customers, sum(purchases) as purchases, sum(revenue) as revenue,
      sum(lifespan_ms) as "lifespanMs"
    from r where ${ownedRowsWhere(scope, "r")} group by currency order by currency`);
}

/**
 * Per currency, for the customers first won in the period: average purchase value = revenue ÷ purchases;
 * purchase frequency = purchases ÷ customers; customer lifetime value = average purchase value × purchase
 * frequency (= revenue ÷ customers); average lifespan = Σ (last − first purchase) ÷ customers, in days.
 */
export function customersView(rows: readonly CustomerRow[]) {
  return rows.map((r) => {
    const lifespanMs = ratio(r.lifespanMs, r.customers);
    const averagePurchaseValue = ratio(r.revenue, r.purchases);
    const purchaseFrequency = ratio(r.purchases, r.customers);
    return {
      currency: r.currency,
      customers: r.customers,
      purchases: r.purchases,
      revenue: r.revenue,
      averagePurchaseValue,
      purchaseFrequency,
      customerLifetimeValue:
        averagePurchaseValue === null || purchaseFrequency === null
          ? null
          : averagePurchaseValue * purchaseFrequency,
      averageLifespanDays: lifespanMs === null ? null : lifespanMs / DAY_MS,
    };
  });
}

export interface AttributedRow {
  value: string;
  currency: string;
  won: number;
  wonAmount: number;
}

export function attributedRevenueQuery(db: Database, scope: ReportScope, dimension: AttributionDimension) {
  return db.all<AttributedRow>(sql`with ${rollupRows("attribution", scope.period, "r")}
    select value, currency, sum(won) as won, sum(won_amount) as "wonAmount"
    from r where dimension = ${dimension} and ${ownedRowsWhere(scope, "r", { pipeline: sql`r.pipeline_id` })}
    group by value, currency`);
}

export interface CostRow {
  value: string;
  currency: string;
  cost: number;
}

/**
 * The costs entered for the period: a month's cost counts for the days of the month inside the period, i.e.
 * cost × days in both ÷ days in the month. Costs are the organisation's: not narrowed by owner or team.
 */
export function periodCostsQuery(db: Database, scope: ReportScope, dimension: AttributionDimension) {
  const { from, to } = scope.period;
  const start = sql`(c.month || '-01')`;
  const end = sql`date(c.month || '-01', '+1 month', '-1 day')`;
  return db.all<CostRow>(sql`select c.value as value, c.currency as currency,
      sum(c.amount * (julianday(min(${to}, ${end})) - julianday(max(${from}, ${start})) + 1)
        / (julianday(${end}) - julianday(${start}) + 1)) as cost
    from report_costs c
    where c.dimension = ${dimension} and c.month >= substr(${from}, 1, 7) and c.month <= substr(${to}, 1, 7)
    group by c.value, c.currency`);
}

export interface LeadCountRow {
  value: string;
  leads: number;
  converted: number;
}

export function leadCountsQuery(db: Database, scope: ReportScope, dimension: AttributionDimension) {
  return db.all<LeadCountRow>(sql`with ${rollupRows("lead", scope.period, "r")}
    select value, sum(leads) as leads, sum(converted) as converted
    from r where dimension = ${dimension} and ${ownedRowsWhere(scope, "r")} group by value`);
}

/**
 * One row per campaign (or source) and currency: leads and new customers among them, deals won and revenue,
 * cost, and return = (revenue − cost) ÷ cost; also cost per lead = cost ÷ leads and cost per customer = cost ÷
 * customers. A value with neither revenue nor cost has one row without a currency.
 */
export function campaignsView(
  revenue: readonly AttributedRow[],
  costs: readonly CostRow[],
  leads: readonly LeadCountRow[],
) {
  const values = new Set([
    ...revenue.map((r) => r.value),
    ...costs.map((c) => c.value),
    ...leads.map((l) => l.value),
  ]);
  const rows = [];
  for (const value of [...values].sort()) {
    const lead = leads.find((l) => l.value === value);
    const currencies = new Set([
      ...revenue.filter((r) => r.value === value).map((r) => r.currency),
      ...costs.filter((c) => c.value === value).map((c) => c.currency),
    ]);
    const list = currencies.size > 0 ? [...currencies].sort() : [null];
    for (const currency of list) {
      const r = revenue.find((x) => x.value === value && x.currency === currency);
      const c = costs.find((x) => x.value === value && x.currency === currency);
      const cost = c ? Math.round(c.cost) : null;
      const amount = r?.wonAmount ?? 0;
      const leadCount = lead?.leads ?? 0;
      const customers = lead?.converted ?? 0;
      rows.push({
        value: value === "" ? null : value,
        currency,
        leads: leadCount,
        customers,
        wonDeals: r?.won ?? 0,
        revenue: amount,
        cost,
        return: cost === null ? null : ratio(amount - cost, cost),
        costPerLead: cost === null ? null : ratio(cost, leadCount),
        costPerCustomer: cost === null ? null : ratio(cost, customers),
      });
    }
  }
  return rows;
}
