// What every report reads: a rollup's rows for the period (the stored buckets of closed days, plus the live
// window computed by the rollup's own SELECT), narrowed to what the caller may see (db/caller.ts: owner and
// team of each row) and to the filters asked for.
import { type SQL, sql } from "drizzle-orm";
import { type CallerRef, canSeeRecord } from "../caller.ts";
import type { Database } from "../client.ts";
import type { Period } from "./period.ts";
import { funnelSelect, ROLLUPS, type RollupKind } from "./rollups.ts";
import { UNCOLLECTED_TRANSITIONS } from "./state.ts";
import { LIVE_DAY, liveWindow } from "./window.ts";

export interface ReportScope {
  me: CallerRef;
  period: Period;
  pipelineId?: string | undefined;
  ownerId?: string | undefined;
  teamId?: string | undefined;
}

/**
 * CTE definitions naming `name` the rows of a rollup in the period, to put after WITH: the days before the live
 * day from the stored buckets, the rest computed live. The whole months of the period before the live day's month
 * come from the monthly table (a row per group and month, labelled with the month's first day), the other days
 * from the daily one, so a year of figures reads twelve months and at most two part-months of days, however
 * many deals made them; `byDay` keeps every row a day's (a report by day or week).
 */
export function rollupRows(
  kind: RollupKind,
  period: Period,
  name: string,
  options: { byDay?: boolean } = {},
): SQL {
  const rollup = ROLLUPS[kind];
  const columns = sql.raw(rollup.columns.join(", "));
  const live =
    kind === "funnel"
      ? funnelSelect(
          liveWindow(),
          // The window's bound inside the union too, so the transitions are read through their time index.
          sql`(select * from report_lifecycle_transitions where at >= (select coalesce(max(live_from), 0)
            from report_state where id = 1) union all select * from ${UNCOLLECTED_TRANSITIONS}) f`,
        )
      : rollup.select(liveWindow());
  const liveName = sql.identifier(`${name}_live`);
  const daily = sql.identifier(rollup.table);
  const inPeriod = sql`day >= ${period.from} and day <= ${period.to} and day < ${LIVE_DAY}`;
  const liveRows = sql`select * from ${liveName} where day >= ${period.from} and day <= ${period.to}`;
  if (options.byDay) {
    return sql`${liveName}(${columns}) as (${live}),
      ${sql.identifier(name)} as (select ${columns} from ${daily} where ${inPeriod} union all ${liveRows})`;
  }
  // [cs, ce]: the days the monthly rows cover, whole months inside the period and before the live day's month
  // (ce is the day before cs when there are none, so that the daily ranges before and after never overlap).
  const spanName = sql.identifier(`${name}_span`);
  const span = (column: "cs" | "ce") => sql`(select ${sql.raw(column)} from ${spanName})`;
  const groups = sql.raw(rollup.groups.join(", "));
  return sql`${liveName}(${columns}) as (${live}),
    ${spanName}(cs, ce) as (select fs, max(min(fe, lm), date(fs, '-1 day')) from (select
      iif(${period.from} = date(${period.from}, 'start of month'), ${period.from},
        date(${period.from}, 'start of month', '+1 month')) as fs,
      iif(${period.to} = date(${period.to}, 'start of month', '+1 month', '-1 day'), ${period.to},
        date(${period.to}, 'start of month', '-1 day')) as fe,
      coalesce(date(${LIVE_DAY}, 'start of month', '-1 day'), '') as lm)),
    ${sql.identifier(name)} as (
      select ${columns} from ${daily} where ${inPeriod} and day < ${span("cs")}
      union all
      select ${columns} from ${daily} where ${inPeriod} and day > ${span("ce")}
      union all
      select month || '-01', ${groups}, ${sql.raw(rollup.measures.join(", "))} from ${sql.identifier(rollup.monthly)}
        where month >= substr(${span("cs")}, 1, 7) and month <= substr(${span("ce")}, 1, 7)
      union all ${liveRows})`;
}

/** Rows with an owner and a team ('' for none) that the caller may see, with the filters of the scope. */
export function ownedRowsWhere(scope: ReportScope, alias: string, options: { pipeline?: SQL } = {}): SQL {
  const a = (column: string) => sql.raw(`${alias}.${column}`);
  const where = [canSeeRecord(scope.me, sql`nullif(${a("owner_id")}, '')`, sql`nullif(${a("team_id")}, '')`)];
  if (scope.ownerId !== undefined) where.push(sql`${a("owner_id")} = ${scope.ownerId}`);
  if (scope.teamId !== undefined) where.push(sql`${a("team_id")} = ${scope.teamId}`);
  if (scope.pipelineId !== undefined && options.pipeline)
    where.push(sql`${options.pipeline} = ${scope.pipelineId}`);
  return sql.join(where, sql` and `);
}

/**
 * Rows of one person's figures (activities, speed to lead): the caller sees their own, and a person of a team
 * whose records they may see (managers their teams'; reps when the organisation lets them); admins all.
 */
export function personRowsWhere(scope: ReportScope, column: SQL): SQL {
  const where = [
    sql`(${canSeeRecord(scope.me, sql`nullif(${column}, '')`, sql`null`)} or exists (select 1 from team_members rm
      where rm.user_id = ${column} and ${canSeeRecord(scope.me, sql`null`, sql`rm.team_id`)}))`,
  ];
  if (scope.ownerId !== undefined) where.push(sql`${column} = ${scope.ownerId}`);
  if (scope.teamId !== undefined) {
    where.push(sql`${column} in (select user_id from team_members where team_id = ${scope.teamId})`);
  }
  return sql.join(where, sql` and `);
}

export interface ReportMeta {
  from: string;
  to: string;
  /** Days before this date come from the rollups, the rest is computed live ('' before the first run). */
  liveDay: string;
}

/** The period as dates, and where the rollups end: every report's batch reads it beside its figures. */
export function metaQuery(db: Database, period: Period) {
  return db.all<ReportMeta>(
    sql`select ${period.from} as "from", ${period.to} as "to", ${LIVE_DAY} as "liveDay"`,
  );
}
