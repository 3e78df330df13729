// The monthly rollups: a report over whole past months reads one row per group and month instead of one per
// day, and must give exactly what the days give. Records spread over January to May (a deterministic mix, with
// the live day in May), then for every rollup and many periods (whole months, part months at either end, a
// single day, periods that reach into the live window) the rows a report reads, summed per group, compared
// with the same rows read day by day; and the monthly tables compared with their daily rows summed by month.
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { literalPeriod } from "../../db/reports/period.ts";
import { ROLLUP_KINDS, ROLLUPS, type RollupKind } from "../../db/reports/rollups.ts";
import { rollupRows } from "../../db/reports/scope.ts";
import {
  at,
  changeLifecycle,
  DAY,
  logActivity,
  makeClock,
  makeCompany,
  makeContact,
  makeDeal,
  rollup,
  STAGE,
  salesTeam,
  type Team,
} from "./reports-support.ts";
import { useTestDatabase } from "./support.ts";

const t = useTestDatabase();
let team: Team;
const NOW = at("2026-05-20", 15);

/** A small deterministic generator, so the mix of records is the same on every run. */
function numbers(seed: number) {
  let x = seed;
  return () => {
    x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
    return x / 2_147_483_648;
  };
}

beforeAll(async () => {
  team = await salesTeam(t);
  const random = numbers(7);
  const owners = [
    { ownerId: team.repA.id, teamId: team.teamA },
    { ownerId: team.repB.id, teamId: team.teamB },
    { ownerId: null, teamId: null },
  ];
  const start = at("2026-01-03", 9);
  const company = await makeCompany(t.db, owners[0] ?? { ownerId: null, teamId: null }, start);
  for (let i = 0; i < 60; i++) {
    const owned = owners[i % owners.length] ?? { ownerId: null, teamId: null };
    // Every 2½ days from 3 January to the live day, at hours that move around the clock.
    const createdAt = start + i * 2.3 * DAY + Math.floor(random() * 20) * 3_600_000;
    if (createdAt >= NOW) break;
    const contact = await makeContact(t.db, {
      ...owned,
      createdAt,
      source: ["web", "ads", "referral"][i % 3] ?? null,
      campaign: i % 4 === 0 ? "spring" : null,
      grade: ["A", "B", "C"][i % 3] ?? null,
    });
    if (i % 3 === 0) await changeLifecycle(t.db, contact, "customer", createdAt + 5 * DAY);
    await logActivity(t.db, {
      type: "call",
      actorUserId: owned.ownerId,
      occurredAt: createdAt + DAY,
      contactId: contact,
    });
    await makeClock(t.db, {
      contactId: contact,
      ownerId: owned.ownerId,
      createdAt,
      dueAt: createdAt + 3_600_000,
      ...(i % 2 === 0 ? { respondedAt: createdAt + 1_800_000 } : { breachedAt: createdAt + 3_600_000 }),
    });
    const closeAt = createdAt + Math.floor(5 + random() * 30) * DAY;
    const path: [string, number][] = [
      [STAGE.qualification, createdAt],
      [STAGE.proposal, createdAt + 2 * DAY],
    ];
    if (closeAt < NOW) path.push([i % 4 === 3 ? STAGE.lost : STAGE.won, closeAt]);
    await makeDeal(t.db, {
      ...owned,
      amount: 1_000 + Math.floor(random() * 9_000),
      currency: i % 5 === 0 ? "USD" : "VND",
      createdAt,
      path,
      companyId: i % 2 === 0 ? company : null,
      contactIds: [contact],
    });
  }
  await rollup(t, NOW);
});

/** The rows a report reads for the period, summed per group: through the monthly path or day by day. */
async function readRows(kind: RollupKind, from: string, to: string, byDay: boolean) {
  const rollup = ROLLUPS[kind];
  const groups = sql.raw(rollup.groups.join(", "));
  const sums = sql.raw(rollup.measures.map((m) => `sum(${m}) as ${m}`).join(", "));
  const rows = await t.db.all<Record<string, unknown>>(
    sql`with ${rollupRows(kind, literalPeriod(from, to), "r", {
      byDay,
    })} select ${groups}, ${sums}, count(*) as read from r group by ${groups} order by ${groups}`,
  );
  return {
    sums: rows.map(({ read: _, ...row }) => row),
    read: rows.reduce((n, row) => n + Number(row.read), 0),
  };
}

const PERIODS: [from: string, to: string][] = [
  ["2026-01-01", "2026-04-30"], // whole months only
  ["2026-02-01", "2026-02-28"], // one whole month
  ["2026-01-15", "2026-04-10"], // part months at both ends, whole ones between
  ["2026-02-10", "2026-02-20"], // inside one month
  ["2026-03-07", "2026-03-07"], // one day
  ["2026-01-01", "2026-05-31"], // into the live month and the live window
  ["2026-03-31", "2026-05-20"], // the last day of a month, then into the live day
  ["2026-05-01", "2026-05-31"], // the live month alone
  ["2025-12-01", "2026-06-30"], // wider than the records
];

describe("monthly rollups", () => {
  for (const kind of ROLLUP_KINDS) {
    it(`${kind}: every period gives the same figures from the months as from the days`, async () => {
      let fewer = false;
      for (const [from, to] of PERIODS) {
        const byMonth = await readRows(kind, from, to, false);
        const byDay = await readRows(kind, from, to, true);
        expect(byMonth.sums, `${kind} ${from}…${to}`).toEqual(byDay.sums);
        if (byMonth.read < byDay.read) fewer = true;
      }
      // Some period read fewer rows through the months: the monthly path is the one taken.
      expect(fewer, kind).toBe(true);
    });

    it(`${kind}: each monthly row is its month's daily rows summed`, async () => {
      const rollup = ROLLUPS[kind];
      const groups = rollup.groups.join(", ");
      const measures = rollup.measures.map((m) => `sum(${m})`).join(", ");
      const fromDays = await t.db.$client.execute(
        `select substr(day, 1, 7) as month, ${groups}, ${measures} from ${rollup.table}
         group by 1, ${groups} order by 1, ${groups}`,
      );
      const stored = await t.db.$client.execute(
        `select month, ${groups}, ${rollup.measures.join(", ")} from ${rollup.monthly} order by month, ${groups}`,
      );
      expect(stored.rows.map((r) => Object.values(r))).toEqual(fromDays.rows.map((r) => Object.values(r)));
      expect(stored.rows.length).toBeGreaterThan(0);
    });
  }
});

describe("a rollup run", () => {
  it("keeps the months in step when records change after them, and when the live day moves to a new month", async () => {
    const check = async (kind: RollupKind, from: string, to: string) =>
      expect((await readRows(kind, from, to, false)).sums).toEqual(
        (await readRows(kind, from, to, true)).sums,
      );
    // A deal won back in February, written now: the next run recomputes its days, and their month.
    await makeDeal(t.db, {
      ownerId: team.repA.id,
      teamId: team.teamA,
      amount: 777,
      createdAt: at("2026-02-02"),
      path: [[STAGE.won, at("2026-02-12")]],
    });
    await rollup(t, NOW + 60_000);
    const february = async () =>
      (
        await t.db.all<{ won: number }>(
          sql`select sum(won_amount) as won from report_deal_monthly where month = '2026-02'`,
        )
      )[0]?.won;
    const wonInFebruary = await t.db.all<{ won: number }>(
      sql`select sum(amount) as won from deals where status = 'won' and closed_at >= ${at("2026-02-01", 0)}
        and closed_at < ${at("2026-03-01", 0)}`,
    );
    expect(await february()).toBe(wonInFebruary[0]?.won);
    // June begins: May is now whole and in the past, and is read from its month.
    await rollup(t, at("2026-06-02", 9));
    for (const kind of ROLLUP_KINDS) await check(kind, "2026-01-01", "2026-05-31");
    const may = await t.db.all<{ n: number }>(
      sql`select count(*) as n from report_deal_monthly where month = '2026-05'`,
    );
    expect(may[0]?.n).toBeGreaterThan(0);
  });
});
