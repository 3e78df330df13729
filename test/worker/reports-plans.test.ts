// The query plans of the reports and of the rollup runs, taken from the very statements they send. A report must
// cost the same at a thousand deals or a million: it may read the rollup tables by day, the small tables (stages,
// users, the stage totals) as it likes, and the records themselves only through a seek on a time index for the
// live window. The planner cannot be trusted to choose that by itself at every size (at a million deals it built
// an automatic index on the deals' status, reading every deal per report), so the windows name their index and
// put the window in the outer loop; these tests hold the plans to it, and they hold on any data because the
// plans no longer depend on row estimates.
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import type { CallerRef } from "../../db/caller.ts";
import {
  attributedRevenueQuery,
  customersQuery,
  leadCountsQuery,
  periodCostsQuery,
} from "../../db/reports/customers.ts";
import { funnelQuery, leadsQuery } from "../../db/reports/leads.ts";
import { activitiesQuery, slaQuery } from "../../db/reports/people.ts";
import { literalPeriod } from "../../db/reports/period.ts";
import { ROLLUP_KINDS, ROLLUPS, recomputeStatements } from "../../db/reports/rollups.ts";
import { dealTotalsQuery, forecastOpenQuery, pipelineQuery, revenueQuery } from "../../db/reports/sales.ts";
import type { ReportScope } from "../../db/reports/scope.ts";
import { stageMovesQuery } from "../../db/reports/stages.ts";
import { dirtySlotsQuery, eventRangeQuery } from "../../db/reports/state.ts";
import { liveWindow } from "../../db/reports/window.ts";
import { ATTRIBUTION_DIMENSIONS, LEAD_DIMENSIONS } from "../../db/schema/index.ts";
import { planOf as planIn, type Statement } from "./query-plan-support.ts";
import { useTestDatabase } from "./support.ts";

const t = useTestDatabase();

/**
 * The planner's statistics (ANALYZE's sqlite_stat1) of the benchmark's database of a million deals, half a
 * million contacts and a million activities, so the plans below are the ones SQLite makes at that size, not on
 * an empty database. Without the named indexes, the customers rollup read every deal under these figures.
 */
const MILLION_DEALS_STATS: [table: string, index: string, stat: string][] = [
  ["activities", "activities_company_idx", "1000000 1000000 1 1"],
  ["activities", "activities_contact_idx", "1000000 2 1 1"],
  ["activities", "activities_deal_idx", "1000000 1 1 1"],
  ["activities", "activities_occurred_idx", "1000000 1 1"],
  ["activities", "sqlite_autoindex_activities_1", "1000000 1"],
  ["contacts", "contacts_company_idx", "500000 4 1"],
  ["contacts", "contacts_created_idx", "500000 1 1"],
  ["contacts", "contacts_lifecycle_idx", "500000 83334 1"],
  ["contacts", "contacts_owner_idx", "500000 71429 1"],
  ["contacts", "contacts_team_idx", "500000 166667 1"],
  ["contacts", "sqlite_autoindex_contacts_1", "500000 1"],
  ["deal_contacts", "deal_contacts_contact_idx", "1000000 2 1"],
  ["deal_contacts", "sqlite_autoindex_deal_contacts_1", "1000000 1 1"],
  ["deal_stage_history", "deal_stage_history_deal_idx", "2943928 3 1"],
  ["deal_stage_history", "deal_stage_history_entered_idx", "2943928 1"],
  ["deal_stage_history", "sqlite_autoindex_deal_stage_history_1", "2943928 1"],
  ["deals", "deals_close_date_idx", "1000000 1187 1"],
  ["deals", "deals_closed_idx", "481705 1"],
  ["deals", "deals_company_idx", "1000000 9 1"],
  ["deals", "deals_created_idx", "1000000 1"],
  ["deals", "deals_owner_idx", "1000000 142858 1"],
  ["deals", "deals_owner_stage_idx", "1000000 142858 23810 1"],
  ["deals", "deals_stage_idx", "1000000 1000000 166667 1"],
  ["deals", "deals_team_idx", "1000000 333334 1"],
  ["deals", "deals_team_stage_idx", "1000000 333334 55556 1"],
  ["deals", "sqlite_autoindex_deals_1", "1000000 1"],
  ["domain_events", "domain_events_created_idx", "2625000 2"],
  ["domain_events", "domain_events_record_idx", "2625000 656250 1 1"],
  ["report_deal_daily", "sqlite_autoindex_report_deal_daily_1", "10220 14 14 2 2 1"],
  ["report_lifecycle_transitions", "report_lifecycle_transitions_at_idx", "500000 1"],
  ["report_lifecycle_transitions", "report_lifecycle_transitions_contact_idx", "500000 1 1"],
  ["report_stage_daily", "sqlite_autoindex_report_stage_daily_1", "86039 118 20 7 1 1"],
];

beforeAll(async () => {
  // ANALYZE makes the statistics table; the rows are then replaced, and reloaded by ANALYZE of the schema table.
  await t.db.$client.execute("analyze");
  await t.db.$client.batch(
    [
      "delete from sqlite_stat1",
      ...MILLION_DEALS_STATS.map(([table, index, stat]) => ({
        sql: "insert into sqlite_stat1 (tbl, idx, stat) values (?, ?, ?)",
        args: [table, index, stat],
      })),
      "analyze sqlite_schema",
    ],
    "write",
  );
});

const ID = "0190bbbb-0000-7000-8000-000000000002";
const callers: Record<string, CallerRef> = {
  "a session": { kind: "user", userId: "0190aaaa-0000-7000-8000-000000000001" },
  "an API key": { kind: "api_key", keyHash: "0".repeat(64) },
};

/** The tables that grow with the business: read only by a seek, never walked whole or indexed on the fly. */
const RECORDS = [
  "deals",
  "contacts",
  "activities",
  "deal_stage_history",
  "deal_contacts",
  "sla_clocks",
  "report_lifecycle_transitions",
  "domain_events",
];

/** Each alias the statements give a record table, and the table it stands for. */
const ALIASES: Record<string, string> = {
  d: "deals",
  e: "deals",
  c: "contacts",
  ct: "contacts",
  a: "activities",
  h: "deal_stage_history",
  h2: "deal_stage_history",
  dc: "deal_contacts",
  x: "deal_contacts",
  y: "deal_contacts",
  k: "sla_clocks",
  f: "report_lifecycle_transitions",
};

/**
 * The steps of a plan that walk a record table (or a whole index of it) or build an automatic index on one.
 * Names the plan gives a subquery's result (`CO-ROUTINE x`, `MATERIALIZE x`) are not tables: scanning those, or
 * indexing them on the fly, costs what the subquery returned.
 */
function costlySteps(plan: string[]): string[] {
  const subqueries = new Set(
    plan.flatMap((step) => /^(?:CO-ROUTINE|MATERIALIZE) (.+)$/.exec(step)?.[1] ?? []),
  );
  return plan.filter((step) => {
    const target = /^(?:SCAN|SEARCH) (\w+)(?: |$)/.exec(step)?.[1];
    if (target === undefined || subqueries.has(target)) return false;
    if (/AUTOMATIC/.test(step)) return true;
    // Walking a whole index of a record table is a scan too: there is no LIMIT to stop it.
    return step.startsWith("SCAN ") && RECORDS.includes(ALIASES[target] ?? target);
  });
}

async function expectFlat(statement: Statement): Promise<string[]> {
  const plan = await planIn(t.db, statement);
  expect(plan.length).toBeGreaterThan(0);
  expect(costlySteps(plan), plan.join("\n")).toEqual([]);
  return plan;
}

/** The time index each rollup reads its records by, as the plan names the seek. */
const SEEKS: Record<(typeof ROLLUP_KINDS)[number], RegExp[]> = {
  deal: [
    /SEARCH d USING INDEX deals_created_idx \(created_at>/,
    /SEARCH d USING INDEX deals_closed_idx \(closed_at>/,
  ],
  stage: [/SEARCH h USING INDEX deal_stage_history_entered_idx \(entered_at>/],
  lead: [/SEARCH c USING INDEX contacts_created_idx \(created_at>/],
  funnel: [/SEARCH f USING INDEX report_lifecycle_transitions_at_idx \(at>/],
  activity: [/SEARCH a USING INDEX activities_occurred_idx \(occurred_at>/],
  sla: [/SEARCH k USING INDEX sla_clocks_created_idx \(created_at>/],
  customer: [/SEARCH d USING INDEX deals_closed_idx \(closed_at>/],
  attribution: [/SEARCH d USING INDEX deals_closed_idx \(closed_at>/],
};

function expectSeeks(kind: (typeof ROLLUP_KINDS)[number], plan: string[]) {
  for (const seek of SEEKS[kind])
    expect(
      plan.some((step) => seek.test(step)),
      plan.join("\n"),
    ).toBe(true);
}

describe("the rollups' own SELECTs", () => {
  const days = [
    { day: "2026-05-01", start: Date.parse("2026-04-30T17:00:00Z"), end: Date.parse("2026-05-01T17:00:00Z") },
    { day: "2026-05-02", start: Date.parse("2026-05-01T17:00:00Z"), end: Date.parse("2026-05-02T17:00:00Z") },
  ];

  for (const kind of ROLLUP_KINDS) {
    it(`${kind}: the live window seeks its records by time`, async () => {
      expectSeeks(kind, await expectFlat(t.db.all(ROLLUPS[kind].select(liveWindow()))));
    });

    it(`${kind}: a run's recompute of some days seeks the records of those days`, async () => {
      // The statements are a delete and an insert … select per rollup: the insert is the one that reads.
      const [, insert] = recomputeStatements(t.db, days, [kind]);
      expectSeeks(kind, await expectFlat(insert as unknown as Statement));
    });
  }

  it("a run reads only the events after its watermark", async () => {
    await expectFlat(eventRangeQuery(t.db));
    await expectFlat(dirtySlotsQuery(t.db));
  });
});

describe("every report reads rollups by day and the live window by seek", () => {
  for (const [who, me] of Object.entries(callers)) {
    for (const [what, narrowed] of Object.entries({
      unfiltered: {},
      "by owner, team and pipeline": { ownerId: ID, teamId: ID, pipelineId: ID },
    })) {
      it(`for ${who}, ${what}`, async () => {
        const scope: ReportScope = { me, period: literalPeriod("2026-01-01", "2026-03-31"), ...narrowed };
        const statements: Statement[] = [
          revenueQuery(t.db, scope, "day"),
          revenueQuery(t.db, scope, "month"),
          dealTotalsQuery(t.db, scope),
          pipelineQuery(t.db, scope, null),
          pipelineQuery(t.db, scope, sql`${"2026-02-01"}`),
          forecastOpenQuery(t.db, scope),
          stageMovesQuery(t.db, scope),
          funnelQuery(t.db, scope),
          customersQuery(t.db, scope),
          activitiesQuery(t.db, scope),
          slaQuery(t.db, scope),
          ...LEAD_DIMENSIONS.map((dimension) => leadsQuery(t.db, scope, dimension)),
          ...ATTRIBUTION_DIMENSIONS.flatMap((dimension) => [
            attributedRevenueQuery(t.db, scope, dimension),
            periodCostsQuery(t.db, scope, dimension),
            leadCountsQuery(t.db, scope, dimension),
          ]),
        ];
        for (const statement of statements) {
          const plan = await expectFlat(statement);
          // A rollup table is read by its day or month range (its primary key), never whole.
          const rollupScans = plan.filter((step) => /^SCAN report_\w+_(daily|monthly)\b/.test(step));
          expect(rollupScans, plan.join("\n")).toEqual([]);
        }
      });
    }
  }
});

describe("the rule itself", () => {
  it("flags a record table read whole and an automatic index, and lets seeks, small tables and subquery results pass", () => {
    expect(
      costlySteps(["SCAN d", "SCAN stages", "SEARCH d USING INDEX deals_closed_idx (closed_at>?)"]),
    ).toEqual(["SCAN d"]);
    expect(costlySteps(["SEARCH d USING AUTOMATIC PARTIAL COVERING INDEX (status=?)"])).toHaveLength(1);
    expect(costlySteps(["MATERIALIZE r", "SEARCH r USING AUTOMATIC COVERING INDEX (rn=?)"])).toEqual([]);
    expect(costlySteps(["SCAN deals USING INDEX deals_created_idx"])).toHaveLength(1);
    expect(
      costlySteps(["SCAN w", "SCAN r", "SEARCH report_deal_daily USING INDEX x (day>? AND day<?)"]),
    ).toEqual([]);
  });

  it("refuses a window over an index that cannot serve it, instead of scanning", async () => {
    const refused = await t.db
      .all(sql`select count(*) from deals d indexed by deals_closed_idx where d.amount > 0`)
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(String((refused as Error | undefined)?.cause ?? refused)).toMatch(/no query solution/);
  });
});
