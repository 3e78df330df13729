// The day-bucket rollups: for each, the SELECT that computes whole buckets from the records (over a Window), and
// the statements that replace the buckets of some days with what it computes. A bucket is always recomputed
// whole in SQL, never added to, so a rollup run twice, or run again after more changes, gives the rows a run
// from scratch would.
import { type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Database } from "../client.ts";
import type { DayBound } from "./days.ts";
import { daysWindow, timed, type Window } from "./window.ts";

export const ROLLUP_KINDS = [
  "deal",
  "stage",
  "lead",
  "funnel",
  "activity",
  "sla",
  "customer",
  "attribution",
] as const;
export type RollupKind = (typeof ROLLUP_KINDS)[number];

interface Rollup {
  /** The day buckets: `day`, then the groups, then the measures. */
  table: string;
  /** The same columns by month (`month`, YYYY-MM): each row sums the month's daily rows of its groups. */
  monthly: string;
  /** What a bucket is per (owner, team, stage, currency …), and what it counts or adds up. */
  groups: readonly string[];
  measures: readonly string[];
  /** The daily table's columns: day, groups, measures. */
  columns: readonly string[];
  /** WITH … SELECT of the table's columns, in order, for the window's days. */
  select(w: Window): SQL;
}

function tables(name: string, groups: readonly string[], measures: readonly string[]) {
  return {
    table: `report_${name}_daily`,
    monthly: `report_${name}_monthly`,
    groups,
    measures,
    columns: ["day", ...groups, ...measures],
  };
}

const owner = (alias: string) => sql.raw(`coalesce(${alias}.owner_id, '')`);
const team = (alias: string) => sql.raw(`coalesce(${alias}.team_id, '')`);

/** A first-touch campaign out of the contact's UTM JSON (text that is not JSON has none). */
export function campaignOf(column: SQL): SQL {
  return sql`case when json_valid(${column}) then cast(json_extract(${column}, '$.campaign') as text) end`;
}

/** Contacts in these stages became customers at some point: lead → customer conversion counts them. */
export const CONVERTED_STAGES = sql`('customer', 'evangelist', 'churned')`;
/** The activities a person logs by hand: the per-rep activity counts. */
export const REP_ACTIVITY_TYPES = ["call", "email", "meeting", "note"] as const;

export const ROLLUPS: Record<RollupKind, Rollup> = {
  deal: {
    ...tables(
      "deal",
      ["pipeline_id", "owner_id", "team_id", "currency"],
      ["created", "created_amount", "won", "won_amount", "lost", "lost_amount", "won_cycle_ms"],
    ),
    select: (w) => sql`with ${w.cte}, f as (
        select ${w.day(sql`d.created_at`)} as day, d.pipeline_id as p, ${owner("d")} as o, ${team("d")} as t,
          d.currency as c, 1 as cr, d.amount as cra, 0 as wn, 0 as wa, 0 as ls, 0 as la, 0 as cy
        from ${w.over(timed("deals", "d", "deals_created_idx"), sql`d.created_at`)} where d.deleted_at is null
        union all
        select ${w.day(sql`d.closed_at`)}, d.pipeline_id, ${owner("d")}, ${team("d")}, d.currency, 0, 0,
          d.status = 'won', iif(d.status = 'won', d.amount, 0), d.status = 'lost', iif(d.status = 'lost', d.amount, 0),
          iif(d.status = 'won', max(0, d.closed_at - d.created_at), 0)
        from ${w.over(timed("deals", "d", "deals_closed_idx"), sql`d.closed_at`)} where d.deleted_at is null and d.status in ('won', 'lost'))
      select day, p, o, t, c, sum(cr), sum(cra), sum(wn), sum(wa), sum(ls), sum(la), sum(cy)
      from f group by day, p, o, t, c`,
  },

  stage: {
    ...tables(
      "stage",
      ["pipeline_id", "stage_id", "next_stage_id", "owner_id", "team_id"],
      ["entered", "exited", "exited_ms"],
    ),
    // The next stay of the same deal says where it went; uuidv7 ids break ties of the same millisecond.
    select: (w) => sql`with ${w.cte}
      select ${w.day(sql`h.entered_at`)}, s.pipeline_id, h.stage_id,
        coalesce((select h2.stage_id from deal_stage_history h2 where h2.deal_id = h.deal_id
          and (h2.entered_at > h.entered_at or (h2.entered_at = h.entered_at and h2.id > h.id))
          order by h2.entered_at, h2.id limit 1), ''),
        ${owner("d")}, ${team("d")}, count(*), sum(h.left_at is not null),
        sum(coalesce(h.left_at - h.entered_at, 0))
      from ${w.over(timed("deal_stage_history", "h", "deal_stage_history_entered_idx"), sql`h.entered_at`)}
        join deals d on d.id = h.deal_id join stages s on s.id = h.stage_id
      where d.deleted_at is null group by 1, 2, 3, 4, 5, 6`,
  },

  lead: {
    ...tables("lead", ["dimension", "value", "owner_id", "team_id"], ["leads", "converted"]),
    // The form that brought the contact in: the form of its first form submission.
    select: (w) => sql`with ${w.cte}, l as materialized (
        select ${w.day(sql`c.created_at`)} as day, ${owner("c")} as o, ${team("c")} as t,
          c.lifecycle_stage in ${CONVERTED_STAGES} as conv, coalesce(c.source, '') as src,
          coalesce(${campaignOf(sql`c.first_touch`)}, '') as camp, coalesce(c.grade, '') as grade,
          coalesce((select cast(json_extract(a.metadata, '$.formId') as text) from activities a
            where a.contact_id = c.id and a.type = 'form_submission' and json_valid(a.metadata)
            order by a.occurred_at, a.id limit 1), '') as form
        from ${w.over(timed("contacts", "c", "contacts_created_idx"), sql`c.created_at`)} where c.deleted_at is null)
      select day, 'source', src, o, t, count(*), sum(conv) from l group by day, src, o, t
      union all select day, 'form', form, o, t, count(*), sum(conv) from l group by day, form, o, t
      union all select day, 'campaign', camp, o, t, count(*), sum(conv) from l group by day, camp, o, t
      union all select day, 'grade', grade, o, t, count(*), sum(conv) from l group by day, grade, o, t`,
  },

  funnel: {
    ...tables("lifecycle", ["from_stage", "to_stage", "owner_id", "team_id"], ["count"]),
    select: (w) =>
      funnelSelect(w, timed("report_lifecycle_transitions", "f", "report_lifecycle_transitions_at_idx")),
  },

  activity: {
    ...tables("activity", ["user_id", "type"], ["count"]),
    select: (w) => sql`with ${w.cte}
      select ${w.day(sql`a.occurred_at`)}, a.actor_user_id, a.type, count(*)
      from ${w.over(timed("activities", "a", "activities_occurred_idx"), sql`a.occurred_at`)}
      where a.actor_user_id is not null and a.deleted_at is null
        and a.type in (${sql.join(
          REP_ACTIVITY_TYPES.map((type) => sql`${type}`),
          sql`, `,
        )})
      group by 1, 2, 3`,
  },

  sla: {
    ...tables("sla", ["owner_id"], ["started", "responded", "within_sla", "breached", "response_ms"]),
    select: (w) => sql`with ${w.cte}
      select ${w.day(sql`k.created_at`)}, ${owner("k")}, count(*), sum(k.responded_at is not null),
        sum(coalesce(k.within_sla, 0)), sum(k.breached_at is not null), sum(coalesce(k.response_ms, 0))
      from ${w.over(timed("sla_clocks", "k", "sla_clocks_created_idx"), sql`k.created_at`)} group by 1, 2`,
  },

  customer: {
    ...tables(
      "customer",
      ["owner_id", "team_id", "currency"],
      ["customers", "purchases", "revenue", "lifespan_ms"],
    ),
    // Candidates are the customers of the deals won in the window; each one's won deals (in that currency) are
    // gathered through the company index, the contact index, or the deal itself (CROSS JOIN keeps the candidates
    // the outer loop, so no deal is read but theirs), and the customer lands in the bucket of its first one,
    // owned as that deal is.
    select: (w) => sql`with ${w.cte},
      won as (select d.id, d.currency as c, d.company_id as co,
          case when d.company_id is null then (select min(dc.contact_id) from deal_contacts dc where dc.deal_id = d.id) end as ct
        from ${w.over(timed("deals", "d", "deals_closed_idx"), sql`d.closed_at`)} where d.deleted_at is null and d.status = 'won'),
      cand as (select distinct c, co, ct, case when co is null and ct is null then id end as dl from won),
      bought as (
        select cand.c, cand.co, cand.ct, cand.dl, e.id, e.closed_at, e.amount, e.owner_id, e.team_id
          from cand cross join deals e on e.company_id = cand.co
          where cand.co is not null and e.status = 'won' and e.deleted_at is null and e.currency = cand.c
        union all
        select cand.c, cand.co, cand.ct, cand.dl, e.id, e.closed_at, e.amount, e.owner_id, e.team_id
          from cand cross join deal_contacts x on x.contact_id = cand.ct cross join deals e on e.id = x.deal_id
          where cand.ct is not null and e.company_id is null and e.status = 'won' and e.deleted_at is null
            and e.currency = cand.c and (select min(y.contact_id) from deal_contacts y where y.deal_id = e.id) = cand.ct
        union all
        select cand.c, cand.co, cand.ct, cand.dl, e.id, e.closed_at, e.amount, e.owner_id, e.team_id
          from cand cross join deals e on e.id = cand.dl where cand.dl is not null),
      ranked as (select b.*, row_number() over (partition by c, co, ct, dl order by closed_at, id) as rn,
          min(closed_at) over (partition by c, co, ct, dl) as first_at,
          max(closed_at) over (partition by c, co, ct, dl) as last_at,
          count(*) over (partition by c, co, ct, dl) as n,
          sum(amount) over (partition by c, co, ct, dl) as rev
        from bought b)
      select ${w.day(sql`ranked.first_at`)}, ${owner("ranked")}, ${team("ranked")}, ranked.c, count(*),
        sum(ranked.n), sum(ranked.rev), sum(ranked.last_at - ranked.first_at)
      from ${w.over(sql`ranked`, sql`ranked.first_at`)} where ranked.rn = 1 group by 1, 2, 3, 4`,
  },

  attribution: {
    ...tables(
      "attribution",
      ["dimension", "value", "pipeline_id", "owner_id", "team_id", "currency"],
      ["won", "won_amount"],
    ),
    select: (w) => sql`with ${w.cte}, won as materialized (
        select ${w.day(sql`d.closed_at`)} as day, d.pipeline_id as p, ${owner("d")} as o, ${team("d")} as t,
          d.currency as c, d.amount as a, coalesce(ct.source, '') as src,
          coalesce(${campaignOf(sql`ct.first_touch`)}, '') as camp
        from ${w.over(timed("deals", "d", "deals_closed_idx"), sql`d.closed_at`)}
          left join contacts ct on ct.id = (select min(dc.contact_id) from deal_contacts dc where dc.deal_id = d.id)
        where d.deleted_at is null and d.status = 'won')
      select day, 'source', src, p, o, t, c, count(*), sum(a) from won group by day, src, p, o, t, c
      union all
      select day, 'campaign', camp, p, o, t, c, count(*), sum(a) from won group by day, camp, p, o, t, c`,
  },
};

/** Lifecycle transitions of contacts that are not deleted, counted per day, stage pair, owner and team. */
export function funnelSelect(w: Window, transitions: SQL): SQL {
  return sql`with ${w.cte}
    select ${w.day(sql`f.at`)}, f.from_stage, f.to_stage, f.owner_id, f.team_id, count(*)
    from ${w.over(transitions, sql`f.at`)}
    where exists (select 1 from contacts c where c.id = f.contact_id and c.deleted_at is null)
    group by 1, 2, 3, 4, 5`;
}

/** The statements that replace the buckets of these days in these rollups with freshly computed ones. */
export function recomputeStatements(
  db: Database,
  days: readonly DayBound[],
  kinds: readonly RollupKind[],
): BatchItem<"sqlite">[] {
  if (days.length === 0) return [];
  const w = daysWindow(days);
  const list = sql.join(
    days.map((d) => sql`${d.day}`),
    sql`, `,
  );
  const months = [...new Set(days.map((d) => d.day.slice(0, 7)))].sort();
  const monthList = sql.join(
    months.map((m) => sql`${m}`),
    sql`, `,
  );
  return kinds.flatMap((kind) => {
    const rollup = ROLLUPS[kind];
    const columns = sql.raw(rollup.columns.join(", "));
    const groups = sql.raw(rollup.groups.join(", "));
    const sums = sql.raw(rollup.measures.map((m) => `sum(${m})`).join(", "));
    return [
      db.run(sql`delete from ${sql.identifier(rollup.table)} where day in (${list})`),
      db.run(sql`insert into ${sql.identifier(rollup.table)} (${columns}) ${rollup.select(w)}`),
      // The months of those days, summed again from their daily rows (in the same transaction, after them).
      db.run(sql`delete from ${sql.identifier(rollup.monthly)} where month in (${monthList})`),
      db.run(sql`insert into ${sql.identifier(rollup.monthly)} (month, ${groups}, ${sql.raw(rollup.measures.join(", "))})
        select substr(day, 1, 7), ${groups}, ${sums} from ${sql.identifier(rollup.table)}
        where day >= ${`${months[0]}-01`} and day <= ${`${months.at(-1)}-31`} and substr(day, 1, 7) in (${monthList})
        group by substr(day, 1, 7), ${groups}`),
    ];
  });
}

/** Every bucket table, daily and monthly, emptied: the start of a recompute from scratch. */
export function clearStatements(db: Database): BatchItem<"sqlite">[] {
  return ROLLUP_KINDS.flatMap((kind) => [
    db.run(sql`delete from ${sql.identifier(ROLLUPS[kind].table)}`),
    db.run(sql`delete from ${sql.identifier(ROLLUPS[kind].monthly)}`),
  ]);
}
