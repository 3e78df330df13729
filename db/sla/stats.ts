// Per-rep speed-to-lead figures for reports: the counters kept by the first-response trigger and the breach
// job, with each rep's median time to first response read off the (owner, response time) index. One query.
import { sql } from "drizzle-orm";
import type { Database } from "../client.ts";

export interface RepSlaRow {
  userId: string;
  name: string;
  responses: number;
  withinSla: number;
  breaches: number;
  totalResponseMs: number;
  medianResponseMs: number | null;
}

export function repStatsQuery(db: Database) {
  // The median: the middle response (the lower middle for an even count) of each rep's responded clocks.
  return db.all<RepSlaRow>(sql`with ranked as (select owner_id, response_ms,
        row_number() over (partition by owner_id order by response_ms) as rn,
        count(*) over (partition by owner_id) as n
      from sla_clocks where response_ms is not null and owner_id is not null)
    select s.user_id as userId, u.name as name, s.responses as responses,
      s.within_sla as withinSla, s.breaches as breaches, s.total_response_ms as totalResponseMs,
      (select r.response_ms from ranked r where r.owner_id = s.user_id and r.rn = (r.n + 1) / 2) as medianResponseMs
    from sla_rep_stats s join users u on u.id = s.user_id order by u.name, s.user_id`);
}
