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
 * CTE definitions naming `name` the rows of a rollup in the period: buckets before the live day from the table,
 * the rest computed live. To put after WITH.
 */
export function rollupRows(kind: RollupKind, period: Period, name: string): SQL {
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
  return sql`${liveName}(${columns}) as (${live}),
    ${sql.identifier(name)} as (
      select ${columns} from ${sql.identifier(rollup.table)}
        where day >= ${period.from} and day <= ${period.to} and day < ${LIVE_DAY}
      union all
      select * from ${liveName} where day >= ${period.from} and day <= ${period.to})`;
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
