// Deal reports on a dataset built here, with every expected figure worked out by hand below: revenue, deal size,
// win rate, sales cycle, velocity, pipeline now and as of a past date, forecast with an override, stage
// conversion and time in stage. The May data is rolled up on 31 May (leaving that day's pipeline snapshot), June
// early on 15 June; a deal won later that day is in no rollup yet and reaches the reports through the live window.
import Papa from "papaparse";
import { beforeAll, describe, expect, it } from "vitest";
import { at, DAY, get, makeDeal, rollup, STAGE, salesTeam, type Team } from "./reports-support.ts";
import { useTestDatabase } from "./support.ts";

const t = useTestDatabase();
let team: Team;

beforeAll(async () => {
  team = await salesTeam(t);
  const a = { ownerId: team.repA.id, teamId: team.teamA };
  const b = { ownerId: team.repB.id, teamId: team.teamB };
  const { qualification: Q, meeting: M, proposal: P, negotiation: N, won: W, lost: L } = STAGE;
  // D1 rep A: 1,000, created 4 May, Q → P on 10 May → won 20 May (cycle 16 days).
  await makeDeal(t.db, {
    ...a,
    amount: 1000,
    createdAt: at("2026-05-04"),
    path: [
      [Q, at("2026-05-04")],
      [P, at("2026-05-10")],
      [W, at("2026-05-20")],
    ],
  });
  // D2 rep A: 400, created 6 May, Q → M on 8 May → lost 12 May.
  await makeDeal(t.db, {
    ...a,
    amount: 400,
    createdAt: at("2026-05-06"),
    path: [
      [Q, at("2026-05-06")],
      [M, at("2026-05-08")],
      [L, at("2026-05-12")],
    ],
  });
  // D3 rep B: 3,000, created 5 May, Q → won 25 May (cycle 20 days).
  await makeDeal(t.db, {
    ...b,
    amount: 3000,
    createdAt: at("2026-05-05"),
    path: [
      [Q, at("2026-05-05")],
      [W, at("2026-05-25")],
    ],
  });
  // D4 rep A: 2,000, created 15 May, Q → N on 18 May, open, expected to close 20 June.
  await makeDeal(t.db, {
    ...a,
    amount: 2000,
    createdAt: at("2026-05-15"),
    expectedCloseDate: "2026-06-20",
    path: [
      [Q, at("2026-05-15")],
      [N, at("2026-05-18")],
    ],
  });
  // D5 rep B: 500, created 20 May, open in Q, expected 10 June, forecast overridden to commit.
  await makeDeal(t.db, {
    ...b,
    amount: 500,
    createdAt: at("2026-05-20"),
    expectedCloseDate: "2026-06-10",
    forecastOverride: "commit",
  });
  // D6 rep A: 100 USD, created 2 May, Q → won 12 May (cycle 10 days).
  await makeDeal(t.db, {
    ...a,
    amount: 100,
    currency: "USD",
    createdAt: at("2026-05-02"),
    path: [
      [Q, at("2026-05-02")],
      [W, at("2026-05-12")],
    ],
  });
  // D7 rep B: 700, created 20 April, Q → lost 3 May.
  await makeDeal(t.db, {
    ...b,
    amount: 700,
    createdAt: at("2026-04-20"),
    path: [
      [Q, at("2026-04-20")],
      [L, at("2026-05-03")],
    ],
  });
  // The end of May: the rollup's last run of the day leaves the day's pipeline snapshot.
  await rollup(t, at("2026-05-31", 23));

  // D8 rep A: 1,000, created 1 June, in P, expected 5 July.
  await makeDeal(t.db, {
    ...a,
    amount: 1000,
    createdAt: at("2026-06-01"),
    expectedCloseDate: "2026-07-05",
    path: [[P, at("2026-06-01")]],
  });
  // The run of 08:00 on 15 June: the days up to the 14th are in the rollups, the 15th is live.
  await rollup(t, at("2026-06-15", 8));
  // D9 rep A: 250, created at 09:00 today and won at 11:00, after the last run: only the live window has it.
  await makeDeal(t.db, {
    ...a,
    amount: 250,
    createdAt: at("2026-06-15", 9),
    path: [
      [Q, at("2026-06-15", 9)],
      [W, at("2026-06-15", 11)],
    ],
  });
});

const MAY = "period=2026-05";

describe("revenue", () => {
  it("sums the deals won in the period per currency, by close date, in buckets", async () => {
    const { body } = await get(t, `/api/v1/reports/revenue?${MAY}&groupBy=day`, team.as.admin);
    expect(body.period).toEqual({ from: "2026-05-01", to: "2026-05-31" });
    // VND: D1 1,000 + D3 3,000 = 4,000 from 2 deals; USD: D6 100. Lost deals (D2, D7) are not revenue.
    expect(body.totals).toEqual([
      { currency: "USD", deals: 1, amount: 100 },
      { currency: "VND", deals: 2, amount: 1000 + 3000 },
    ]);
    expect(body.series).toEqual([
      { bucket: "2026-05-12", currency: "USD", deals: 1, amount: 100 },
      { bucket: "2026-05-20", currency: "VND", deals: 1, amount: 1000 },
      { bucket: "2026-05-25", currency: "VND", deals: 1, amount: 3000 },
    ]);
    // 20 May is a Wednesday of ISO week 21, 25 May the Monday of week 22; 12 May is in week 20.
    const weeks = await get(t, `/api/v1/reports/revenue?${MAY}&groupBy=week`, team.as.admin);
    expect(weeks.body.series.map((s: { bucket: string }) => s.bucket)).toEqual([
      "2026-W20",
      "2026-W21",
      "2026-W22",
    ]);
  });

  it("adds today's deals from the live window to the rolled-up days", async () => {
    const { body } = await get(
      t,
      "/api/v1/reports/revenue?from=2026-05-01&to=2026-06-30&groupBy=month",
      team.as.admin,
    );
    expect(body.rolledUpBefore).toBe("2026-06-15");
    // June: only D9 (250), won at 11:00 today, after the last run.
    expect(body.series).toEqual([
      { bucket: "2026-05", currency: "USD", deals: 1, amount: 100 },
      { bucket: "2026-05", currency: "VND", deals: 2, amount: 4000 },
      { bucket: "2026-06", currency: "VND", deals: 1, amount: 250 },
    ]);
  });

  it("shows a rep their own deals only, a manager their team's, and never another team's", async () => {
    const repA = await get(t, `/api/v1/reports/revenue?${MAY}`, team.as.repA);
    // Rep A won D1 (1,000 VND) and D6 (100 USD).
    expect(repA.body.totals).toEqual([
      { currency: "USD", deals: 1, amount: 100 },
      { currency: "VND", deals: 1, amount: 1000 },
    ]);
    const repB = await get(t, `/api/v1/reports/revenue?${MAY}`, team.as.repB);
    expect(repB.body.totals).toEqual([{ currency: "VND", deals: 1, amount: 3000 }]);
    const manager = await get(t, `/api/v1/reports/revenue?${MAY}`, team.as.managerA);
    expect(manager.body.totals).toEqual(repA.body.totals);
    // Asking for team B's figures does not get around it.
    const sneaky = await get(t, `/api/v1/reports/revenue?${MAY}&teamId=${team.teamB}`, team.as.repA);
    expect(sneaky.body.totals).toEqual([]);
    const filtered = await get(t, `/api/v1/reports/revenue?${MAY}&ownerId=${team.repB.id}`, team.as.admin);
    expect(filtered.body.totals).toEqual(repB.body.totals);
  });
});

describe("sales figures", () => {
  it("computes deal size, win rate, sales cycle and velocity per currency", async () => {
    const { body } = await get(t, `/api/v1/reports/sales?${MAY}`, team.as.admin);
    // Closed in May: won D1, D3, D6; lost D2, D7 → overall 3 ÷ (3 + 2).
    expect(body.winRate).toEqual({ won: 3, lost: 2, rate: 3 / 5 });
    const [usd, vnd] = body.currencies;
    // VND: created in May D1, D2, D3, D4, D5 (D7 in April); won D1 + D3; lost D2 + D7.
    const vndSize = (1000 + 3000) / 2;
    const vndRate = 2 / (2 + 2);
    const vndCycle = (16 + 20) / 2; // days: D1 4 → 20 May, D3 5 → 25 May
    // Open at the end of May (31 May's snapshot): D4 and D5.
    expect(vnd).toEqual({
      currency: "VND",
      created: 5,
      createdAmount: 1000 + 400 + 3000 + 2000 + 500,
      won: 2,
      wonAmount: 4000,
      lost: 2,
      lostAmount: 400 + 700,
      averageDealSize: vndSize,
      winRate: vndRate,
      salesCycleDays: vndCycle,
      openDeals: 2,
      salesVelocityPerDay: (2 * vndSize * vndRate) / vndCycle,
    });
    // USD: D6 alone, won in 10 days, nothing open at the end of May: velocity 0.
    expect(usd).toEqual({
      currency: "USD",
      created: 1,
      createdAmount: 100,
      won: 1,
      wonAmount: 100,
      lost: 0,
      lostAmount: 0,
      averageDealSize: 100,
      winRate: 1,
      salesCycleDays: 10,
      openDeals: 0,
      salesVelocityPerDay: 0,
    });
  });

  it("counts today's won deal and the open deals of now for a period that includes today", async () => {
    const { body } = await get(t, "/api/v1/reports/sales?period=2026-06", team.as.admin);
    // June: D8 and D9 created; D9 won at 11:00 today after 2 hours; open now: D4, D5, D8.
    expect(body.currencies).toEqual([
      {
        currency: "VND",
        created: 2,
        createdAmount: 1000 + 250,
        won: 1,
        wonAmount: 250,
        lost: 0,
        lostAmount: 0,
        averageDealSize: 250,
        winRate: 1,
        salesCycleDays: (2 * 60 * 60_000) / DAY,
        openDeals: 3,
        salesVelocityPerDay: (3 * 250 * 1) / ((2 * 60 * 60_000) / DAY),
      },
    ]);
  });
});

describe("pipeline", () => {
  it("values the open pipeline now, weighted by stage probability", async () => {
    const { body } = await get(t, "/api/v1/reports/pipeline", team.as.admin);
    expect(body.snapshotDay).toBeNull();
    // D5 in Qualification (10 %), D8 in Proposal (50 %), D4 in Negotiation (80 %).
    expect(
      body.stages.map((s: { stageId: string; count: number; amount: number; weightedAmount: number }) => [
        s.stageId,
        s.count,
        s.amount,
        s.weightedAmount,
      ]),
    ).toEqual([
      [STAGE.qualification, 1, 500, 500 * 0.1],
      [STAGE.proposal, 1, 1000, 1000 * 0.5],
      [STAGE.negotiation, 1, 2000, 2000 * 0.8],
    ]);
    expect(body.totals).toEqual([
      { currency: "VND", count: 3, amount: 3500, weightedAmount: 50 + 500 + 1600 },
    ]);
  });

  it("reads the pipeline as of a past date from the last snapshot on or before it", async () => {
    const { body } = await get(t, "/api/v1/reports/pipeline?asOf=2026-06-01", team.as.admin);
    // The snapshot of 31 May: D4 (Negotiation) and D5 (Qualification); D8 came on 1 June, after it.
    expect(body.snapshotDay).toBe("2026-05-31");
    expect(body.totals).toEqual([{ currency: "VND", count: 2, amount: 2500, weightedAmount: 1600 + 50 }]);
    const before = await get(t, "/api/v1/reports/pipeline?asOf=2026-05-01", team.as.admin);
    expect(before.body).toMatchObject({ snapshotDay: null, stages: [], totals: [] });
    const repB = await get(t, "/api/v1/reports/pipeline?asOf=2026-05-31", team.as.repB);
    expect(repB.body.totals).toEqual([{ currency: "VND", count: 1, amount: 500, weightedAmount: 50 }]);
  });
});

describe("forecast", () => {
  it("puts a month's open deals in their category, honouring the deal's override, and adds the won", async () => {
    const { body } = await get(t, "/api/v1/reports/forecast?period=2026-06", team.as.admin);
    expect(body.period).toEqual({ from: "2026-06-01", to: "2026-06-30" });
    expect(body.categories).toEqual([
      // D4 (Negotiation: commit, 80 %) and D5 (Qualification, but overridden to commit, 10 %).
      { category: "commit", currency: "VND", count: 2, amount: 2000 + 500, weightedAmount: 1600 + 50 },
      // D9, won today.
      { category: "closed_won", currency: "VND", count: 1, amount: 250, weightedAmount: 250 },
    ]);
  });

  it("covers the three months of a quarter", async () => {
    const q3 = await get(t, "/api/v1/reports/forecast?period=2026-Q3", team.as.admin);
    // D8 expected 5 July, in Proposal: best case, 50 %.
    expect(q3.body.categories).toEqual([
      { category: "best_case", currency: "VND", count: 1, amount: 1000, weightedAmount: 500 },
    ]);
    const q2 = await get(t, "/api/v1/reports/forecast?period=2026-Q2", team.as.admin);
    expect(q2.body.categories).toEqual([
      { category: "commit", currency: "VND", count: 2, amount: 2500, weightedAmount: 1650 },
      // Won in April to June: D6 (USD); D1, D3 and D9 (VND).
      { category: "closed_won", currency: "USD", count: 1, amount: 100, weightedAmount: 100 },
      { category: "closed_won", currency: "VND", count: 3, amount: 1000 + 3000 + 250, weightedAmount: 4250 },
    ]);
  });

  it("refuses a period that is not a month or a quarter", async () => {
    const { status, body } = await get(t, "/api/v1/reports/forecast?period=2026", team.as.admin);
    expect(status).toBe(422);
    expect(body.title).toBe("Validation failed");
  });
});

describe("stages", () => {
  it("gives each stage's conversion to a later stage and the average time in it", async () => {
    const { body } = await get(t, `/api/v1/reports/stages?${MAY}`, team.as.admin);
    const byStage = Object.fromEntries(body.stages.map((s: { stageId: string }) => [s.stageId, s]));
    // Stays in Qualification that began in May: D1 (→ P after 6 days), D2 (→ M, 2 days), D3 (→ Won, 20 days),
    // D4 (→ N, 3 days), D6 (→ Won, 10 days), D5 still there. D7's began in April.
    expect(byStage[STAGE.qualification]).toMatchObject({
      entered: 6,
      advanced: 5,
      lost: 0,
      stillIn: 1,
      otherMoves: 0,
      conversionRate: 5 / 6,
      averageDaysInStage: (6 + 2 + 20 + 3 + 10) / 5,
    });
    // Meeting: D2 went to Lost after 4 days.
    expect(byStage[STAGE.meeting]).toMatchObject({
      entered: 1,
      advanced: 0,
      lost: 1,
      conversionRate: 0,
      averageDaysInStage: 4,
    });
    // Proposal: D1 went on to Won after 10 days.
    expect(byStage[STAGE.proposal]).toMatchObject({
      entered: 1,
      advanced: 1,
      conversionRate: 1,
      averageDaysInStage: 10,
    });
    // Negotiation: D4 is still there; no stay has ended.
    expect(byStage[STAGE.negotiation]).toMatchObject({
      entered: 1,
      stillIn: 1,
      conversionRate: 0,
      averageDaysInStage: null,
    });
    expect(byStage[STAGE.won]).toMatchObject({ entered: 3 });
    expect(byStage[STAGE.lost]).toMatchObject({ entered: 2 });
    const moves = Object.fromEntries(
      body.transitions.map((m: { fromStageId: string; toStageId: string; count: number }) => [
        `${m.fromStageId}>${m.toStageId}`,
        m.count,
      ]),
    );
    expect(moves).toEqual({
      [`${STAGE.qualification}>${STAGE.proposal}`]: 1,
      [`${STAGE.qualification}>${STAGE.meeting}`]: 1,
      [`${STAGE.qualification}>${STAGE.won}`]: 2,
      [`${STAGE.qualification}>${STAGE.negotiation}`]: 1,
      [`${STAGE.proposal}>${STAGE.won}`]: 1,
      [`${STAGE.meeting}>${STAGE.lost}`]: 1,
    });
  });
});

describe("CSV", () => {
  it("downloads every deal report as CSV that parses back to the JSON figures", async () => {
    const json = await get(t, `/api/v1/reports/sales?${MAY}`, team.as.admin);
    const csv = await get(t, `/api/v1/reports/sales?${MAY}&format=csv`, team.as.admin);
    expect(csv.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(csv.headers.get("content-disposition")).toBe(
      'attachment; filename="sales-2026-05-01-2026-05-31.csv"',
    );
    const parsed = Papa.parse<Record<string, unknown>>(csv.text.trim(), {
      header: true,
      dynamicTyping: true,
    });
    expect(parsed.errors).toEqual([]);
    expect(parsed.data).toEqual(json.body.currencies);

    const byAccept = await get(t, `/api/v1/reports/revenue?${MAY}&groupBy=day`, {
      ...team.as.admin,
      Accept: "text/csv",
    });
    expect(byAccept.text.split("\r\n")).toEqual([
      "bucket,currency,deals,amount",
      "2026-05-12,USD,1,100",
      "2026-05-20,VND,1,1000",
      "2026-05-25,VND,1,3000",
      "",
    ]);
    for (const path of ["pipeline", "forecast?period=2026-06", `stages?${MAY}`]) {
      const file = await get(
        t,
        `/api/v1/reports/${path}${path.includes("?") ? "&" : "?"}format=csv`,
        team.as.admin,
      );
      expect(file.status).toBe(200);
      const rows = Papa.parse<Record<string, unknown>>(file.text.trim(), {
        header: true,
        dynamicTyping: true,
      });
      expect(rows.errors).toEqual([]);
      expect(rows.data.length).toBeGreaterThan(0);
    }
  });
});
