// The report API's edges: periods (named, from/to, the default current month) and what is refused with a
// problem, CSV by Accept or format with spreadsheet formulas neutralised, and the campaign cost entries (who may
// write them, what a bad one gets, replacing and removing). Every request is one round trip.
import Papa from "papaparse";
import { beforeAll, describe, expect, it } from "vitest";
import { reportCosts } from "../../db/schema/index.ts";
import { apiKeyFor } from "./factories.ts";
import { at, get, makeContact, rollup, salesTeam, type Team } from "./reports-support.ts";
import { useTestDatabase } from "./support.ts";

const t = useTestDatabase();
let team: Team;

beforeAll(async () => {
  team = await salesTeam(t);
  // A source a spreadsheet would run as a formula.
  await makeContact(t.db, {
    ownerId: team.repA.id,
    teamId: team.teamA,
    createdAt: at("2026-05-02"),
    source: '=HYPERLINK("x")',
  });
  await rollup(t, at("2026-06-01"));
});

async function send(method: string, path: string, headers: Record<string, string>, body?: unknown) {
  let response: Response | undefined;
  const trips = await t.roundTrips(async () => {
    response = await t.fetch(path, {
      method,
      headers: { ...headers, "Content-Type": "application/json" },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
  });
  if (!response) throw new Error("no response");
  const text = await response.text();
  expect(trips).toBeLessThanOrEqual(1);
  const json = response.headers.get("content-type")?.includes("json");
  return {
    status: response.status,
    headers: response.headers,
    body: json && text ? JSON.parse(text) : null,
    text,
  };
}

describe("periods", () => {
  it("takes a year, a quarter, a month, a day, or from and to", async () => {
    const cases: [string, { from: string; to: string }][] = [
      ["period=2026", { from: "2026-01-01", to: "2026-12-31" }],
      ["period=2026-Q1", { from: "2026-01-01", to: "2026-03-31" }],
      ["period=2024-02", { from: "2024-02-01", to: "2024-02-29" }],
      ["period=2026-05-14", { from: "2026-05-14", to: "2026-05-14" }],
      ["from=2026-04-28&to=2026-05-03", { from: "2026-04-28", to: "2026-05-03" }],
    ];
    for (const [query, period] of cases) {
      const { status, body } = await get(t, `/api/v1/reports/leads?${query}`, team.as.admin);
      expect(status, query).toBe(200);
      expect(body.period, query).toEqual(period);
    }
  });

  it("defaults to the organisation's current month", async () => {
    const { body } = await get(t, "/api/v1/reports/revenue", team.as.admin);
    expect(body.period.from).toMatch(/^\d{4}-\d{2}-01$/);
    expect(body.period.to.slice(0, 7)).toBe(body.period.from.slice(0, 7));
  });

  it("refuses what is not a period with a 422 problem", async () => {
    for (const query of [
      "period=2026-13",
      "period=2026-02-30",
      "period=last-month",
      "from=2026-05-01",
      "from=2026-05-10&to=2026-05-01",
      "from=2026-02-30&to=2026-03-01",
      "period=2026&from=2026-01-01&to=2026-01-02",
      "groupBy=fortnight",
      "format=xlsx",
    ]) {
      const response = await get(t, `/api/v1/reports/revenue?${query}`, team.as.admin);
      expect(response.status, query).toBe(422);
      expect(response.headers.get("content-type")).toContain("application/problem+json");
      expect(JSON.parse(response.text).title).toBe("Validation failed");
    }
    const asOf = await get(t, "/api/v1/reports/pipeline?asOf=2026-02-30", team.as.admin);
    expect(asOf.status).toBe(422);
  });

  it("answers 401 to a caller without credentials, 403 to a key without reports:read", async () => {
    expect((await send("GET", "/api/v1/reports/revenue", {})).status).toBe(401);
    const key = await apiKeyFor(t.db, team.admin, ["contacts:read"]);
    const refused = await send("GET", "/api/v1/reports/revenue", key.headers);
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toContain("reports:read");
    const allowed = await apiKeyFor(t.db, team.admin, ["reports:read"]);
    const csv = await send("GET", "/api/v1/reports/revenue?format=csv", allowed.headers);
    expect([csv.status, csv.text]).toEqual([200, "bucket,currency,deals,amount\r\n"]);
  });
});

describe("CSV", () => {
  it("neutralises cells a spreadsheet would run as formulas, and quotes as RFC 4180 says", async () => {
    const { text, headers } = await get(t, "/api/v1/reports/leads?period=2026-05", {
      ...team.as.admin,
      Accept: "text/csv",
    });
    expect(headers.get("content-disposition")).toBe(
      'attachment; filename="leads-by-source-2026-05-01-2026-05-31.csv"',
    );
    expect(text).toBe(
      'value,label,leads,customers,conversionRate,share\r\n"\'=HYPERLINK(""x"")",,1,0,0,1\r\n',
    );
    const [row] = Papa.parse<Record<string, unknown>>(text.trim(), { header: true }).data;
    expect(row?.value).toBe('\'=HYPERLINK("x")');
  });

  it("downloads every report as CSV: its main table's columns, one round trip, a file named for the period", async () => {
    const reports: [path: string, file: string, header: string][] = [
      ["revenue?period=2026-05&groupBy=week", "revenue", "bucket,currency,deals,amount"],
      [
        "sales?period=2026-05",
        "sales",
        "currency,created,createdAmount,won,wonAmount,lost,lostAmount,averageDealSize,winRate,salesCycleDays,openDeals,salesVelocityPerDay",
      ],
      ["forecast?period=2026-Q2", "forecast", "category,currency,count,amount,weightedAmount"],
      [
        "stages?period=2026-05",
        "stages",
        "pipelineId,stageId,name,position,entered,advanced,lost,stillIn,otherMoves,conversionRate,averageDaysInStage",
      ],
      ["leads?period=2026-05&by=form", "leads-by-form", "value,label,leads,customers,conversionRate,share"],
      ["lead-quality?period=2026-05", "lead-quality", "value,label,leads,customers,conversionRate,share"],
      ["funnel?period=2026-05", "funnel", "stage,entered,conversionToNext"],
      [
        "customers?period=2026-05",
        "customers",
        "currency,customers,purchases,revenue,averagePurchaseValue,purchaseFrequency,customerLifetimeValue,averageLifespanDays",
      ],
      [
        "campaigns?period=2026-05&by=source",
        "campaigns-by-source",
        "value,currency,leads,customers,wonDeals,revenue,cost,return,costPerLead,costPerCustomer",
      ],
      ["activities?period=2026-05", "activities", "userId,name,calls,emails,meetings,notes,total"],
      [
        "sla?period=2026-05",
        "sla",
        "userId,name,started,responded,withinSla,breached,shareWithinSla,meanResponseMs",
      ],
    ];
    for (const [path, file, header] of reports) {
      const { text, headers } = await get(t, `/api/v1/reports/${path}&format=csv`, team.as.admin);
      expect(headers.get("content-type"), path).toContain("text/csv");
      expect(headers.get("content-disposition"), path).toBe(
        `attachment; filename="${file}-${path.includes("Q2") ? "2026-04-01-2026-06-30" : "2026-05-01-2026-05-31"}.csv"`,
      );
      expect(text.split("\r\n")[0], path).toBe(header);
    }
  });

  it("answers JSON when format=json, whatever Accept says", async () => {
    const { headers } = await get(t, "/api/v1/reports/leads?period=2026-05&format=json", {
      ...team.as.admin,
      Accept: "text/csv",
    });
    expect(headers.get("content-type")).toContain("application/json");
  });
});

describe("campaign costs", () => {
  const cost = { dimension: "campaign", value: "tet", month: "2026-05", currency: "VND", amount: 3_000_000 };

  it("lets admins and managers enter a cost, replaced by the next entry of the same month and currency", async () => {
    const first = await send("PUT", "/api/v1/reports/costs", team.as.admin, cost);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ ...cost, updatedBy: team.admin.id });
    const second = await send("PUT", "/api/v1/reports/costs", team.as.managerA, {
      ...cost,
      amount: 3_500_000,
    });
    expect(second.body).toMatchObject({ id: first.body.id, amount: 3_500_000, updatedBy: team.managerA.id });
    const usd = await send("PUT", "/api/v1/reports/costs", team.as.admin, {
      ...cost,
      currency: "USD",
      amount: 120_00,
    });
    expect(usd.body.id).not.toBe(first.body.id);

    const list = await send(
      "GET",
      "/api/v1/reports/costs?dimension=campaign&from=2026-05&to=2026-05&limit=1",
      team.as.repA,
    );
    expect(list.body.items).toHaveLength(1);
    const next = await send(
      "GET",
      `/api/v1/reports/costs?dimension=campaign&from=2026-05&to=2026-05&limit=1&cursor=${list.body.nextCursor}`,
      team.as.repA,
    );
    expect(
      [...list.body.items, ...next.body.items].map((c: { currency: string; amount: number }) => [
        c.currency,
        c.amount,
      ]),
    ).toEqual([
      ["VND", 3_500_000],
      ["USD", 120_00],
    ]);
    expect(next.body.nextCursor).toBeNull();

    expect((await send("DELETE", `/api/v1/reports/costs/${usd.body.id}`, team.as.managerA)).status).toBe(204);
    expect((await send("DELETE", `/api/v1/reports/costs/${usd.body.id}`, team.as.managerA)).status).toBe(404);
  });

  it("refuses reps, and bad entries with a 422 that writes nothing", async () => {
    const before = await t.db.select().from(reportCosts);
    const rep = await send("PUT", "/api/v1/reports/costs", team.as.repA, { ...cost, value: "rep" });
    expect(rep.status).toBe(403);
    for (const bad of [
      { ...cost, month: "2026-13" },
      { ...cost, currency: "dong" },
      { ...cost, amount: -1 },
      { ...cost, amount: 1.5 },
      { ...cost, dimension: "medium" },
      { ...cost, value: "" },
      { ...cost, extra: true },
    ]) {
      const response = await send("PUT", "/api/v1/reports/costs", team.as.admin, bad);
      expect(response.status, JSON.stringify(bad)).toBe(422);
      expect(response.headers.get("content-type")).toContain("application/problem+json");
    }
    expect(await t.db.select().from(reportCosts)).toEqual(before);
  });
});
