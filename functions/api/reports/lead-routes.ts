// Lead and customer reports: lead conversion by source, form or campaign, lead quality by grade, the lifecycle
// funnel, customer lifetime value, and revenue and return per campaign or source. One round trip each.
import {
  attributedRevenueQuery,
  campaignsView,
  customersQuery,
  customersView,
  leadCountsQuery,
  periodCostsQuery,
} from "../../../db/reports/customers.ts";
import { funnelQuery, funnelView, leadsQuery, leadsView } from "../../../db/reports/leads.ts";
import { defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import { answerReport, readReport, reportContent } from "./respond.ts";
import { READ, tags } from "./routes.ts";
import {
  CampaignsQuery,
  CampaignsView,
  CustomersView,
  FunnelView,
  LeadsQuery,
  LeadsView,
  ReportQuery,
} from "./schemas.ts";

const SCOPE_NOTE =
  "Figures cover the records the caller may see, by their owner and team; the pipeline filter does not apply.";

const leadsRoute = defineRoute({
  method: "get",
  path: "/api/v1/reports/leads",
  tags,
  summary: "Lead conversion (lead → customer) by source, form or UTM campaign",
  description:
    "Leads = contacts created in the period; customers = those of them whose lifecycle stage is now customer, " +
    "evangelist or churned (each became a customer). **Conversion = customers ÷ leads.** The form is the one " +
    "of the contact's first form submission; the campaign is the first touch's utm_campaign. " +
    SCOPE_NOTE,
  access: READ,
  request: { query: LeadsQuery },
  responses: { 200: reportContent(LeadsView, "Per source, form or campaign, most leads first") },
});

const qualityRoute = defineRoute({
  method: "get",
  path: "/api/v1/reports/lead-quality",
  tags,
  summary: "Lead quality: the grade distribution of new leads and conversion by grade",
  description:
    "The leads of the period by their current score grade (null: ungraded): share = leads of the grade ÷ all " +
    `leads; conversion = customers ÷ leads, as for the leads report. ${SCOPE_NOTE}`,
  access: READ,
  request: { query: ReportQuery },
  responses: { 200: reportContent(LeadsView, "Per grade") },
});

const funnelRoute = defineRoute({
  method: "get",
  path: "/api/v1/reports/funnel",
  tags,
  summary: "Lifecycle funnel: contacts entering each lifecycle stage, and conversion to the next",
  description:
    "Transitions of lifecycle stage in the period (a contact created in a stage enters it from null). Per " +
    "stage: entered = transitions to it; conversion to next = entered the next stage of subscriber → lead → " +
    `MQL → SQL → opportunity → customer → evangelist ÷ entered this one. ${SCOPE_NOTE}`,
  access: READ,
  request: { query: ReportQuery },
  responses: { 200: reportContent(FunnelView, "Per stage, and each transition") },
});

const customersRoute = defineRoute({
  method: "get",
  path: "/api/v1/reports/customers",
  tags,
  summary: "Customer lifetime value and purchase frequency of the customers won in the period",
  description:
    "A customer is a deal's company, else its first contact, counted per currency; the cohort is the " +
    "customers whose first won deal closed in the period, with all their won deals to date. **Average purchase " +
    "value = revenue ÷ purchases; purchase frequency = purchases ÷ customers; customer lifetime value = " +
    "average purchase value × purchase frequency** (= revenue ÷ customers); average lifespan = Σ (last − first " +
    "purchase) ÷ customers, in days. Figures cover the customers whose first deal the caller may see.",
  access: READ,
  request: { query: ReportQuery },
  responses: { 200: reportContent(CustomersView, "Per currency") },
});

const campaignsRoute = defineRoute({
  method: "get",
  path: "/api/v1/reports/campaigns",
  tags,
  summary: "Revenue, cost and return per UTM campaign or source",
  description:
    "Per campaign (first-touch utm_campaign) or source: leads and customers as in the leads report; deals won " +
    "in the period and their revenue, attributed to the deal's first contact; cost = the costs entered " +
    "(PUT /api/v1/reports/costs) for the months of the period, a month counting for its days inside the " +
    "period (cost × days in both ÷ days in the month). **Return = (revenue − cost) ÷ cost**; cost per lead = " +
    "cost ÷ leads; cost per customer = cost ÷ customers. Per currency; costs are the organisation's.",
  access: READ,
  request: { query: CampaignsQuery },
  responses: { 200: reportContent(CampaignsView, "Per campaign or source and currency") },
});

const LEAD_COLUMNS = ["value", "label", "leads", "customers", "conversionRate", "share"] as const;

export const leadReportRoutes = createRouter()
  .openapi(leadsRoute, async (c) => {
    const query = c.req.valid("query");
    const {
      meta,
      results: [rows],
    } = await readReport(c, query, (db, scope) => [leadsQuery(db, scope, query.by)] as const);
    const view = { ...meta, by: query.by, ...leadsView(rows) };
    return answerReport(c, query.format, view, {
      name: `leads-by-${query.by}`,
      columns: LEAD_COLUMNS,
      rows: view.rows,
    });
  })
  .openapi(qualityRoute, async (c) => {
    const query = c.req.valid("query");
    const {
      meta,
      results: [rows],
    } = await readReport(c, query, (db, scope) => [leadsQuery(db, scope, "grade")] as const);
    const sorted = [...rows].sort((a, b) =>
      a.value === "" ? 1 : b.value === "" ? -1 : a.value.localeCompare(b.value),
    );
    const view = { ...meta, by: "grade" as const, ...leadsView(sorted) };
    return answerReport(c, query.format, view, {
      name: "lead-quality",
      columns: LEAD_COLUMNS,
      rows: view.rows,
    });
  })
  .openapi(funnelRoute, async (c) => {
    const query = c.req.valid("query");
    const {
      meta,
      results: [rows],
    } = await readReport(c, query, (db, scope) => [funnelQuery(db, scope)] as const);
    const view = { ...meta, ...funnelView(rows) };
    return answerReport(c, query.format, view, {
      name: "funnel",
      columns: ["stage", "entered", "conversionToNext"],
      rows: view.stages,
    });
  })
  .openapi(customersRoute, async (c) => {
    const query = c.req.valid("query");
    const {
      meta,
      results: [rows],
    } = await readReport(c, query, (db, scope) => [customersQuery(db, scope)] as const);
    const view = { ...meta, currencies: customersView(rows) };
    return answerReport(c, query.format, view, {
      name: "customers",
      columns: [
        "currency",
        "customers",
        "purchases",
        "revenue",
        "averagePurchaseValue",
        "purchaseFrequency",
        "customerLifetimeValue",
        "averageLifespanDays",
      ],
      rows: view.currencies,
    });
  })
  .openapi(campaignsRoute, async (c) => {
    const query = c.req.valid("query");
    const {
      meta,
      results: [revenue, costs, leads],
    } = await readReport(
      c,
      query,
      (db, scope) =>
        [
          attributedRevenueQuery(db, scope, query.by),
          periodCostsQuery(db, scope, query.by),
          leadCountsQuery(db, scope, query.by),
        ] as const,
    );
    const view = { ...meta, by: query.by, rows: campaignsView(revenue, costs, leads) };
    return answerReport(c, query.format, view, {
      name: `campaigns-by-${query.by}`,
      columns: [
        "value",
        "currency",
        "leads",
        "customers",
        "wonDeals",
        "revenue",
        "cost",
        "return",
        "costPerLead",
        "costPerCustomer",
      ],
      rows: view.rows,
    });
  });
