// The rollups' promise: a run twice gives the same rows, and runs that follow changes (stage moves, wins, edits
// of past deals, deletes and restores, lifecycle moves, answered and breached SLA clocks, a new day) leave exactly
// the rows a recompute from scratch makes. Also: day buckets in the organisation's time zone, a time zone change
// or pruned events recompute everything, the forecast totals the triggers keep match the deals, the cron jobs
// run it, and the statements read through indexes.
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import {
  attributedRevenueQuery,
  customersQuery,
  leadCountsQuery,
  periodCostsQuery,
} from "../../db/reports/customers.ts";
import { dayBound } from "../../db/reports/days.ts";
import { funnelQuery, leadsQuery } from "../../db/reports/leads.ts";
import { activitiesQuery, slaQuery } from "../../db/reports/people.ts";
import { literalPeriod } from "../../db/reports/period.ts";
import { ROLLUP_KINDS, recomputeStatements } from "../../db/reports/rollups.ts";
import { dealTotalsQuery, forecastOpenQuery, revenueQuery } from "../../db/reports/sales.ts";
import { stageMovesQuery } from "../../db/reports/stages.ts";
import { dirtySlotsQuery } from "../../db/reports/state.ts";
import { contacts, domainEvents, reportState } from "../../db/schema/index.ts";
import { fakeQueue } from "./forms-support.ts";
import { expectIndexed, type Statement } from "./query-plan-support.ts";
import {
  at,
  changeLifecycle,
  HOUR,
  logActivity,
  makeClock,
  makeCompany,
  makeContact,
  makeDeal,
  moveDeal,
  rollup,
  rollupRows,
  STAGE,
  salesTeam,
  setTimeZone,
  type Team,
  updateDeal,
} from "./reports-support.ts";
import { useTestDatabase } from "./support.ts";

const t = useTestDatabase();
let team: Team;

/** Rebuilds every day bucket from nothing: the rows a first run on these records would make. */
async function fromScratch(now: number, today: string) {
  for (const table of [
    "report_deal_daily",
    "report_stage_daily",
    "report_lead_daily",
    "report_lifecycle_daily",
    "report_activity_daily",
    "report_sla_daily",
    "report_customer_daily",
    "report_attribution_daily",
  ]) {
    await t.db.run(sql.raw(`delete from ${table}`));
    await t.db.run(sql.raw(`delete from ${table.replace(/_daily$/, "_monthly")}`));
  }
  await rollup(t, now, { full: true });
  return rollupRows(t.db, today);
}

beforeAll(async () => {
  team = await salesTeam(t);
});

describe("incremental rollups", () => {
  it("give the same rows when run twice, and after changes the rows a recompute from scratch gives", async () => {
    const a = { ownerId: team.repA.id, teamId: team.teamA };
    const b = { ownerId: team.repB.id, teamId: team.teamB };
    const company = await makeCompany(t.db, a, at("2026-03-01"));
    const lead = await makeContact(t.db, {
      ...a,
      createdAt: at("2026-03-02"),
      source: "web",
      campaign: "tet",
      grade: "A",
    });
    const other = await makeContact(t.db, { ...b, createdAt: at("2026-03-03"), source: "ads", grade: "B" });
    const d1 = await makeDeal(t.db, {
      ...a,
      amount: 1000,
      companyId: company,
      contactIds: [lead],
      createdAt: at("2026-03-02"),
    });
    const d2 = await makeDeal(t.db, {
      ...b,
      amount: 500,
      contactIds: [other],
      createdAt: at("2026-03-04"),
      expectedCloseDate: "2026-04-10",
    });
    const d3 = await makeDeal(t.db, {
      ...a,
      amount: 800,
      companyId: company,
      createdAt: at("2026-03-05"),
      path: [
        [STAGE.qualification, at("2026-03-05")],
        [STAGE.won, at("2026-03-09")],
      ],
    });
    await logActivity(t.db, {
      type: "call",
      actorUserId: team.repA.id,
      occurredAt: at("2026-03-03"),
      contactId: lead,
    });
    await makeClock(t.db, {
      contactId: other,
      ownerId: team.repB.id,
      createdAt: at("2026-03-03", 9),
      dueAt: at("2026-03-03", 10),
    });

    const first = await rollup(t, at("2026-03-10", 6));
    expect(first.full).toBe(true);
    const once = await rollupRows(t.db, "2026-03-10");
    expect(once.report_deal_daily?.length).toBeGreaterThan(0);
    await rollup(t, at("2026-03-10", 6));
    await rollup(t, at("2026-03-10", 7));
    expect(await rollupRows(t.db, "2026-03-10")).toEqual(once);

    // Changes, most of them to days already rolled up:
    await moveDeal(t.db, d1, STAGE.proposal, at("2026-03-10", 8));
    await moveDeal(t.db, d1, STAGE.won, at("2026-03-10", 9));
    await updateDeal(t.db, d3, { amount: 900 }, at("2026-03-10", 9)); // won on 9 March: a past bucket
    await moveDeal(t.db, d2, STAGE.lost, at("2026-03-10", 10));
    await changeLifecycle(t.db, lead, "customer", at("2026-03-10", 10));
    await changeLifecycle(t.db, other, "mql", at("2026-03-10", 10));
    // A first call to `other` answers the clock of 3 March (the SLA trigger), logged as of 3 March 11:00.
    await logActivity(t.db, {
      type: "call",
      actorUserId: team.repB.id,
      occurredAt: at("2026-03-03", 11),
      contactId: other,
    });
    await t.db
      .update(contacts)
      .set({
        firstTouch: JSON.stringify({ campaign: "summer" }),
        version: sql`version + 1`,
        updatedAt: at("2026-03-10", 10),
      })
      .where(sql`id = ${other}`);
    const late = await makeContact(t.db, { ...b, createdAt: at("2026-03-10", 10), source: "ads" });
    await makeClock(t.db, {
      contactId: late,
      ownerId: team.repB.id,
      createdAt: at("2026-03-10", 10),
      dueAt: at("2026-03-10", 11),
      breachedAt: at("2026-03-10", 11),
    });
    const incremental = await rollup(t, at("2026-03-10", 11));
    expect(incremental.full).toBe(false);
    const sameDay = await rollupRows(t.db, "2026-03-10");
    expect(await fromScratch(at("2026-03-10", 11), "2026-03-10")).toEqual(sameDay);

    // Two days later (the 10th and 11th leave the live window), after more changes: a deleted deal, a restored
    // one, a deleted contact, a deal that changes company.
    await updateDeal(t.db, d3, { deletedAt: at("2026-03-11", 9) }, at("2026-03-11", 9));
    await updateDeal(t.db, d3, { deletedAt: null }, at("2026-03-11", 10));
    await updateDeal(t.db, d2, { deletedAt: at("2026-03-11", 10) }, at("2026-03-11", 10));
    await t.db
      .update(contacts)
      .set({ deletedAt: at("2026-03-11", 11), version: sql`version + 1`, updatedAt: at("2026-03-11", 11) })
      .where(sql`id = ${other}`);
    await updateDeal(t.db, d1, { companyId: null }, at("2026-03-11", 12));
    await makeDeal(t.db, {
      ...a,
      amount: 50,
      currency: "USD",
      createdAt: at("2026-03-11", 13),
      path: [
        [STAGE.qualification, at("2026-03-11", 13)],
        [STAGE.won, at("2026-03-11", 14)],
      ],
    });
    const later = await rollup(t, at("2026-03-12", 6));
    expect(later.full).toBe(false);
    expect(later.liveDay).toBe("2026-03-12");
    const afterRollover = await rollupRows(t.db, "2026-03-12");
    expect(afterRollover.report_deal_daily?.some((r) => (r as { day: string }).day === "2026-03-11")).toBe(
      true,
    );
    expect(await fromScratch(at("2026-03-12", 6), "2026-03-12")).toEqual(afterRollover);
  });
});

describe("day buckets", () => {
  it("are cut in the organisation's time zone; a change of zone recomputes every bucket", async () => {
    const db = useTestDatabase();
    const people = await salesTeam(db);
    const owned = { ownerId: people.repA.id, teamId: people.teamA };
    // Won at 20:00 UTC on 10 May: 03:00 on 11 May in Bangkok (UTC+7).
    await makeDeal(db.db, {
      ...owned,
      amount: 100,
      createdAt: at("2026-05-10", 1),
      path: [
        [STAGE.qualification, at("2026-05-10", 1)],
        [STAGE.won, at("2026-05-10", 20)],
      ],
    });
    const won = async () =>
      (await db.db.$client.execute("select day, won from report_deal_daily where won > 0")).rows.map((r) => [
        r.day,
        r.won,
      ]);
    await rollup(db, at("2026-05-20"));
    expect(await won()).toEqual([["2026-05-10", 1]]);
    await setTimeZone(db.db, "Asia/Bangkok");
    const outcome = await rollup(db, at("2026-05-20", 1));
    expect(outcome.full).toBe(true);
    expect(await won()).toEqual([["2026-05-11", 1]]);
    const [state] = await db.db.select().from(reportState);
    // The live day starts at local midnight: 17:00 UTC the day before.
    expect(state).toMatchObject({
      timeZone: "Asia/Bangkok",
      liveDay: "2026-05-20",
      liveFrom: at("2026-05-19", 17),
      offsetMs: 7 * HOUR,
    });
    expect(dayBound("2026-05-11", "Asia/Bangkok")).toEqual({
      day: "2026-05-11",
      start: at("2026-05-10", 17),
      end: at("2026-05-11", 17),
    });
  });

  it("follow daylight saving: a day may last 23 or 25 hours", () => {
    // Paris: clocks go forward on 29 March 2026 (CET → CEST) and back on 25 October.
    expect(dayBound("2026-03-29", "Europe/Paris")).toEqual({
      day: "2026-03-29",
      start: at("2026-03-28", 23),
      end: at("2026-03-29", 22),
    });
    expect(dayBound("2026-10-25", "Europe/Paris")).toEqual({
      day: "2026-10-25",
      start: at("2026-10-24", 22),
      end: at("2026-10-25", 23),
    });
    // Kiritimati is 14 hours ahead: its 1 May starts at 10:00 UTC on 30 April.
    expect(dayBound("2026-05-01", "Pacific/Kiritimati").start).toBe(at("2026-04-30", 10));
  });

  it("are recomputed from scratch when events after the watermark were pruned before a run read them", async () => {
    const db = useTestDatabase();
    const people = await salesTeam(db);
    const owned = { ownerId: people.repA.id, teamId: people.teamA };
    await makeDeal(db.db, { ...owned, amount: 100, createdAt: at("2026-05-02") });
    await rollup(db, at("2026-05-05"));
    const lost = await makeDeal(db.db, { ...owned, amount: 200, createdAt: at("2026-05-03") });
    await makeDeal(db.db, { ...owned, amount: 300, createdAt: at("2026-05-04") });
    // The events of the first of them are gone, as housekeeping prunes them.
    await db.db.delete(domainEvents).where(sql`record_id = ${lost}`);
    const outcome = await rollup(db, at("2026-05-05", 1));
    expect(outcome.full).toBe(true);
    const created = await db.db.$client.execute(
      "select day, created_amount from report_deal_daily order by day",
    );
    expect(created.rows.map((r) => [r.day, r.created_amount])).toEqual([
      ["2026-05-02", 100],
      ["2026-05-03", 200],
      ["2026-05-04", 300],
    ]);
  });

  it("go out on the events queue in chunks when there are many, and come back the same", async () => {
    const db = useTestDatabase();
    const people = await salesTeam(db);
    const owned = { ownerId: people.repA.id, teamId: people.teamA };
    for (let month = 1; month <= 4; month++) {
      await makeDeal(db.db, { ...owned, amount: month * 100, createdAt: at(`2026-0${month}-15`) });
    }
    const outcome = await rollup(db, at("2026-05-01"));
    // 15 January to 30 April: 106 days × 8 rollups.
    expect(outcome.queued).toBe(106 * ROLLUP_KINDS.length);
    const rows = await db.db.$client.execute(
      "select day, created_amount from report_deal_daily order by day",
    );
    expect(rows.rows.map((r) => [r.day, r.created_amount])).toEqual([
      ["2026-01-15", 100],
      ["2026-02-15", 200],
      ["2026-03-15", 300],
      ["2026-04-15", 400],
    ]);
  });
});

describe("forecast totals", () => {
  it("follow every change to open deals, as a recompute from the deals would give", async () => {
    const db = useTestDatabase();
    const people = await salesTeam(db);
    const owned = { ownerId: people.repA.id, teamId: people.teamA };
    const d1 = await makeDeal(db.db, {
      ...owned,
      amount: 100,
      createdAt: at("2026-05-01"),
      expectedCloseDate: "2026-06-10",
    });
    const d2 = await makeDeal(db.db, {
      ...owned,
      amount: 200,
      createdAt: at("2026-05-01"),
      expectedCloseDate: "2026-06-20",
    });
    const d3 = await makeDeal(db.db, { ...owned, amount: 300, createdAt: at("2026-05-01") });
    await updateDeal(
      db.db,
      d1,
      { expectedCloseDate: "2026-07-01", forecastOverride: "commit" },
      at("2026-05-02"),
    );
    await moveDeal(db.db, d2, STAGE.won, at("2026-05-03"));
    await updateDeal(
      db.db,
      d3,
      { amount: 350, ownerId: people.repB.id, teamId: people.teamB },
      at("2026-05-04"),
    );
    await moveDeal(db.db, d2, STAGE.negotiation, at("2026-05-05"));
    await updateDeal(db.db, d3, { deletedAt: at("2026-05-06") }, at("2026-05-06"));
    const kept = await db.db.$client.execute(
      "select close_month, stage_id, override, owner_id, team_id, currency, count, amount from report_forecast_totals order by 1, 2, 3, 4",
    );
    const recomputed =
      await db.db.$client.execute(`select coalesce(substr(expected_close_date, 1, 7), ''), stage_id,
      coalesce(forecast_override, ''), coalesce(owner_id, ''), coalesce(team_id, ''), currency, count(*), sum(amount)
      from deals where deleted_at is null and status = 'open' group by 1, 2, 3, 4, 5, 6 order by 1, 2, 3, 4`);
    expect(kept.rows.map((r) => Object.values(r))).toEqual(recomputed.rows.map((r) => Object.values(r)));
    expect(kept.rows.map((r) => [r.close_month, r.override, r.amount])).toEqual([
      ["2026-06", "", 200],
      ["2026-07", "commit", 100],
    ]);
  });
});

describe("the cron jobs", () => {
  it("run the rollups every minute, and the nightly verify run recomputes the last weeks", async () => {
    const events = fakeQueue();
    const db = useTestDatabase({ EVENTS_QUEUE: events.queue });
    const people = await salesTeam(db);
    const owned = { ownerId: people.repA.id, teamId: people.teamA };
    const id = await makeDeal(db.db, { ...owned, amount: 100, createdAt: at("2026-05-02") });
    await db.scheduled("* * * * *", at("2026-05-05", 10));
    const [state] = await db.db.select().from(reportState);
    expect(state?.liveDay).toBe("2026-05-05");
    // A change no event tells of (no new version: the event triggers let it by): only the verify run finds it.
    await db.db.run(sql`update deals set amount = 150 where id = ${id}`);
    await db.scheduled("17 3 * * *", at("2026-05-06", 3, 17));
    // Five weeks of eight rollups is more than a run does itself: the chunks went out on the events queue.
    const chunks = events.sent.filter((m) => m.type === "reports.rollup");
    expect(chunks.length).toBeGreaterThan(0);
    expect((await db.queue("crm-events", chunks)).retryMessages).toEqual([]);
    const rows = await db.db.$client.execute("select created_amount from report_deal_daily");
    expect(rows.rows.map((r) => r.created_amount)).toEqual([150]);
    const runs = await db.db.$client.execute(
      "select job, status from job_runs where job like 'report-rollups%' order by job",
    );
    expect(runs.rows.map((r) => [r.job, r.status])).toEqual([
      ["report-rollups", "succeeded"],
      ["report-rollups-verify", "succeeded"],
    ]);
  });
});

describe("query plans", () => {
  it("recompute buckets and read reports through indexes, whatever the number of records", async () => {
    const days = [dayBound("2026-05-01", "UTC"), dayBound("2026-05-02", "UTC")];
    for (const statement of recomputeStatements(t.db, days, ROLLUP_KINDS)) {
      await expectIndexed(t.db, statement as unknown as Statement);
    }
    await expectIndexed(t.db, dirtySlotsQuery(t.db));
    const me = { kind: "user", userId: team.repA.id } as const;
    const scope = { me, period: literalPeriod("2026-05-01", "2026-05-31") };
    // (The live pipeline reads deal_stage_totals whole, as the board does: a row per stage, owner, team and
    // currency, not per deal.)
    for (const query of [
      revenueQuery(t.db, scope, "day"),
      revenueQuery(t.db, scope, "month"),
      dealTotalsQuery(t.db, scope),
      forecastOpenQuery(t.db, scope),
      attributedRevenueQuery(t.db, scope, "campaign"),
      periodCostsQuery(t.db, scope, "campaign"),
      leadCountsQuery(t.db, scope, "source"),
      stageMovesQuery(t.db, scope),
      leadsQuery(t.db, scope, "source"),
      funnelQuery(t.db, scope),
      customersQuery(t.db, scope),
      activitiesQuery(t.db, scope),
      slaQuery(t.db, scope),
    ]) {
      await expectIndexed(t.db, query);
    }
  });
});
