// The report API's query parameters and answers. Every report takes a period and the owner, team and pipeline
// filters, and answers JSON or, with `?format=csv` or `Accept: text/csv`, a CSV file of its main table.
import { z } from "@hono/zod-openapi";
import { GROUPINGS } from "../../../db/reports/sales.ts";
import { ATTRIBUTION_DIMENSIONS } from "../../../db/schema/index.ts";

const Id = z.string().min(1).max(64);
const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "A date: YYYY-MM-DD");

export const PERIOD_DESCRIPTION =
  "The period, in the organisation's time zone: a year (2026), quarter (2026-Q2), month (2026-05) or day " +
  "(2026-05-14); or give `from` and `to` (dates, both included). The current month when absent.";

export const ReportQuery = z.object({
  period: z.string().max(10).optional().openapi({ description: PERIOD_DESCRIPTION, example: "2026-05" }),
  from: Day.optional().openapi({ description: "First date of the period (with `to`)" }),
  to: Day.optional().openapi({ description: "Last date of the period, included (with `from`)" }),
  pipelineId: Id.optional().openapi({ description: "Only this pipeline (deal reports)" }),
  ownerId: Id.optional().openapi({ description: "Only this owner's figures (or this person's)" }),
  teamId: Id.optional().openapi({ description: "Only this team's figures (or its members')" }),
  format: z
    .enum(["json", "csv"])
    .optional()
    .openapi({ description: "csv answers a CSV file (as `Accept: text/csv` does)" }),
});
export type ReportQueryInput = z.infer<typeof ReportQuery>;

export const RevenueQuery = ReportQuery.extend({
  groupBy: z.enum(GROUPINGS).default("month").openapi({ description: "The series' buckets (ISO weeks)" }),
});
export const PipelineQuery = ReportQuery.omit({ period: true, from: true, to: true }).extend({
  asOf: Day.optional().openapi({
    description: "The pipeline at the end of this date, from the daily snapshots; now when absent",
  }),
});
export const ForecastQuery = ReportQuery.omit({ from: true, to: true }).extend({
  period: z
    .string()
    .regex(/^\d{4}-(Q[1-4]|\d{2})$/, "A month (2026-05) or a quarter (2026-Q2)")
    .optional()
    .openapi({ description: "A month (2026-05) or a quarter (2026-Q2); the current month when absent" }),
});
export const LeadsQuery = ReportQuery.extend({
  by: z.enum(["source", "form", "campaign"]).default("source"),
});
export const CampaignsQuery = ReportQuery.extend({ by: z.enum(ATTRIBUTION_DIMENSIONS).default("campaign") });

const Rate = z.number().nullable();
const Meta = {
  period: z.object({ from: z.string(), to: z.string() }),
  rolledUpBefore: z
    .string()
    .nullable()
    .openapi({ description: "Days before this date come from the rollups; it and later are computed live" }),
};

const MoneyTotal = z.object({ currency: z.string(), deals: z.number().int(), amount: z.number().int() });

export const RevenueView = z
  .object({
    ...Meta,
    groupBy: z.enum(GROUPINGS),
    totals: z.array(MoneyTotal),
    series: z.array(MoneyTotal.extend({ bucket: z.string() })),
  })
  .openapi("RevenueReport");

export const SalesView = z
  .object({
    ...Meta,
    winRate: z.object({ won: z.number().int(), lost: z.number().int(), rate: Rate }),
    currencies: z.array(
      z.object({
        currency: z.string(),
        created: z.number().int(),
        createdAmount: z.number().int(),
        won: z.number().int(),
        wonAmount: z.number().int(),
        lost: z.number().int(),
        lostAmount: z.number().int(),
        averageDealSize: Rate,
        winRate: Rate,
        salesCycleDays: Rate,
        openDeals: z.number().int(),
        salesVelocityPerDay: Rate,
      }),
    ),
  })
  .openapi("SalesReport");

const PipelineStage = z.object({
  pipelineId: z.string(),
  stageId: z.string(),
  stageName: z.string().nullable(),
  currency: z.string(),
  count: z.number().int(),
  amount: z.number().int(),
  weightedAmount: z.number().int(),
});
const CurrencyTotal = z.object({
  currency: z.string(),
  count: z.number().int(),
  amount: z.number().int(),
  weightedAmount: z.number().int(),
});

export const PipelineView = z
  .object({
    asOf: z.string().nullable(),
    snapshotDay: z.string().nullable().openapi({
      description: "The snapshot read for a past date (the last one on or before it); null: live",
    }),
    stages: z.array(PipelineStage),
    totals: z.array(CurrencyTotal),
  })
  .openapi("PipelineReport");

export const ForecastView = z
  .object({
    ...Meta,
    categories: z.array(
      z.object({
        category: z.enum(["pipeline", "best_case", "commit", "closed_won"]),
        currency: z.string(),
        count: z.number().int(),
        amount: z.number().int(),
        weightedAmount: z.number().int(),
      }),
    ),
  })
  .openapi("ForecastReport");

export const StagesView = z
  .object({
    ...Meta,
    stages: z.array(
      z.object({
        pipelineId: z.string(),
        stageId: z.string(),
        name: z.string(),
        position: z.number().int(),
        entered: z.number().int(),
        advanced: z.number().int(),
        lost: z.number().int(),
        stillIn: z.number().int(),
        otherMoves: z.number().int(),
        conversionRate: Rate,
        averageDaysInStage: Rate,
      }),
    ),
    transitions: z.array(
      z.object({ fromStageId: z.string(), toStageId: z.string(), count: z.number().int() }),
    ),
  })
  .openapi("StagesReport");

const LeadFigures = z.object({
  leads: z.number().int(),
  customers: z.number().int(),
  conversionRate: Rate,
});

export const LeadsView = z
  .object({
    ...Meta,
    by: z.enum(["source", "form", "campaign", "grade"]),
    rows: z.array(
      LeadFigures.extend({
        value: z
          .string()
          .nullable()
          .openapi({ description: "null: none (no source, form, campaign or grade)" }),
        label: z.string().nullable(),
        share: Rate,
      }),
    ),
    totals: LeadFigures,
  })
  .openapi("LeadsReport");

export const FunnelView = z
  .object({
    ...Meta,
    stages: z.array(z.object({ stage: z.string(), entered: z.number().int(), conversionToNext: Rate })),
    transitions: z.array(z.object({ from: z.string().nullable(), to: z.string(), count: z.number().int() })),
  })
  .openapi("FunnelReport");

export const CustomersView = z
  .object({
    ...Meta,
    currencies: z.array(
      z.object({
        currency: z.string(),
        customers: z.number().int(),
        purchases: z.number().int(),
        revenue: z.number().int(),
        averagePurchaseValue: Rate,
        purchaseFrequency: Rate,
        customerLifetimeValue: Rate,
        averageLifespanDays: Rate,
      }),
    ),
  })
  .openapi("CustomersReport");

export const CampaignsView = z
  .object({
    ...Meta,
    by: z.enum(ATTRIBUTION_DIMENSIONS),
    rows: z.array(
      z.object({
        value: z.string().nullable(),
        currency: z.string().nullable(),
        leads: z.number().int(),
        customers: z.number().int(),
        wonDeals: z.number().int(),
        revenue: z.number().int(),
        cost: z.number().int().nullable(),
        return: Rate,
        costPerLead: Rate,
        costPerCustomer: Rate,
      }),
    ),
  })
  .openapi("CampaignsReport");

export const ActivitiesView = z
  .object({
    ...Meta,
    reps: z.array(
      z.object({
        userId: z.string(),
        name: z.string().nullable(),
        calls: z.number().int(),
        emails: z.number().int(),
        meetings: z.number().int(),
        notes: z.number().int(),
        total: z.number().int(),
      }),
    ),
  })
  .openapi("ActivitiesReport");

export const SlaView = z
  .object({
    ...Meta,
    reps: z.array(
      z.object({
        userId: z.string().nullable(),
        name: z.string().nullable(),
        started: z.number().int(),
        responded: z.number().int(),
        withinSla: z.number().int(),
        breached: z.number().int(),
        shareWithinSla: Rate,
        meanResponseMs: Rate,
      }),
    ),
  })
  .openapi("SlaReport");

export const CostInput = z
  .object({
    dimension: z.enum(ATTRIBUTION_DIMENSIONS),
    value: z
      .string()
      .min(1)
      .max(200)
      .openapi({ description: "The campaign (utm_campaign) or source, as leads carry it" }),
    month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, "A month: YYYY-MM"),
    currency: z.string().regex(/^[A-Z]{3}$/, "An ISO 4217 code, e.g. VND"),
    amount: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).openapi({ description: "Minor units" }),
  })
  .strict()
  .openapi("CampaignCostInput");

export const CostSchema = CostInput.extend({
  id: z.string(),
  updatedBy: z.string().nullable(),
  createdAt: z.number().int(),
  updatedAt: z.number().int(),
}).openapi("CampaignCost");

export const CostPage = z
  .object({ items: z.array(CostSchema), nextCursor: z.string().nullable() })
  .openapi("CampaignCostPage");

export const CostListQuery = z.object({
  dimension: z.enum(ATTRIBUTION_DIMENSIONS).optional(),
  from: z
    .string()
    .regex(/^\d{4}-\d{2}$/)
    .optional()
    .openapi({ description: "First month (YYYY-MM)" }),
  to: z
    .string()
    .regex(/^\d{4}-\d{2}$/)
    .optional()
    .openapi({ description: "Last month (YYYY-MM)" }),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(64).optional(),
});
