// Per-person reports: the calls, emails, meetings and notes each rep logged, and their speed to lead.
import { sql } from "drizzle-orm";
import type { Database } from "../client.ts";
import { REP_ACTIVITY_TYPES } from "./rollups.ts";
import { ratio } from "./sales.ts";
import { personRowsWhere, type ReportScope, rollupRows } from "./scope.ts";

export interface ActivityRow {
  userId: string;
  name: string | null;
  type: string;
  count: number;
}

export function activitiesQuery(db: Database, scope: ReportScope) {
  return db.all<ActivityRow>(sql`with ${rollupRows("activity", scope.period, "r")}
    select r.user_id as "userId", u.name as name, r.type as type, sum(r.count) as count
    from r left join users u on u.id = r.user_id where ${personRowsWhere(scope, sql`r.user_id`)}
    group by r.user_id, r.type order by u.name, r.user_id, r.type`);
}

type Counts = Record<(typeof REP_ACTIVITY_TYPES)[number], number>;

export function activitiesView(rows: readonly ActivityRow[]) {
  const reps = new Map<string, { userId: string; name: string | null } & Counts & { total: number }>();
  for (const row of rows) {
    const rep = reps.get(row.userId) ?? {
      userId: row.userId,
      name: row.name,
      call: 0,
      email: 0,
      meeting: 0,
      note: 0,
      total: 0,
    };
    if ((REP_ACTIVITY_TYPES as readonly string[]).includes(row.type))
      rep[row.type as keyof Counts] += row.count;
    rep.total += row.count;
    reps.set(row.userId, rep);
  }
  return [...reps.values()].map(({ call, email, meeting, note, ...rest }) => ({
    ...rest,
    calls: call,
    emails: email,
    meetings: meeting,
    notes: note,
  }));
}

export interface SlaRow {
  userId: string;
  name: string | null;
  started: number;
  responded: number;
  withinSla: number;
  breached: number;
  responseMs: number;
}

export function slaQuery(db: Database, scope: ReportScope) {
  return db.all<SlaRow>(sql`with ${rollupRows("sla", scope.period, "r")}
    select r.owner_id as "userId", u.name as name, sum(r.started) as started, sum(r.responded) as responded,
      sum(r.within_sla) as "withinSla", sum(r.breached) as breached, sum(r.response_ms) as "responseMs"
    from r left join users u on u.id = r.owner_id where ${personRowsWhere(scope, sql`r.owner_id`)}
    group by r.owner_id order by u.name, r.owner_id`);
}

/**
 * Of the clocks started in the period: share within SLA = answered in time ÷ answered; mean response = Σ
 * response time ÷ answered.
 */
export function slaView(rows: readonly SlaRow[]) {
  return rows.map((r) => ({
    userId: r.userId === "" ? null : r.userId,
    name: r.name,
    started: r.started,
    responded: r.responded,
    withinSla: r.withinSla,
    breached: r.breached,
    shareWithinSla: ratio(r.withinSla, r.responded),
    meanResponseMs: ratio(r.responseMs, r.responded),
  }));
}
