// What a rollup run reads before it writes (how far the last run went, which day buckets changed since, where
// the data starts) and the statements that move the rollups on: the lifecycle transitions taken from new domain
// events, today's pipeline snapshot, and the run's watermark.
import { sql } from "drizzle-orm";
import type { Database } from "../client.ts";
import { SLOT_MS } from "./days.ts";
import type { RollupKind } from "./rollups.ts";

/**
 * Sources without domain events (SLA clocks, stages) are read again from a little before the last run, so that a
 * write whose transaction committed just after that run's read is not missed.
 */
export const SYNC_MARGIN_MS = 5 * 60_000;

export interface ReportStateRow {
  eventSeq: number;
  syncedAt: number;
  timeZone: string;
  liveDay: string;
  liveFrom: number;
  offsetMs: number;
}

export function reportStateQuery(db: Database) {
  return db.all<ReportStateRow>(sql`select event_seq as "eventSeq", synced_at as "syncedAt",
    time_zone as "timeZone", live_day as "liveDay", live_from as "liveFrom", offset_ms as "offsetMs"
    from report_state where id = 1`);
}

/**
 * The last domain event, how many events after the watermark are still in their table (sequence numbers have no
 * gaps, so fewer than the difference means some were pruned unread), and whether any stage changed since the
 * last run.
 */
export function eventRangeQuery(db: Database) {
  return db.all<{ maxSeq: number | null; unread: number; stagesChanged: number }>(sql`select
    (select max(seq) from domain_events) as "maxSeq",
    (select count(*) from domain_events where seq > (select event_seq from report_state where id = 1)) as unread,
    exists (select 1 from stages where updated_at >= (select synced_at from report_state where id = 1) - ${SYNC_MARGIN_MS})
      as "stagesChanged"`);
}

/** The earliest time any rollup has a record at: where a recompute from scratch starts. */
export function sourceStartQuery(db: Database) {
  return db.all<{ at: number | null }>(sql`select min(x) as at from (
    select min(created_at) as x from deals
    union all select min(closed_at) from deals where closed_at is not null
    union all select min(entered_at) from deal_stage_history
    union all select min(created_at) from contacts
    union all select min(occurred_at) from activities
    union all select min(created_at) from sla_clocks
    union all select min(at) from report_lifecycle_transitions
    union all select min(created_at) from domain_events)`);
}

/**
 * The quarter-hour slots (time ÷ SLOT_MS) of every record time a change since the last run touched, per rollup:
 * each changed record's times before and after the change (from the domain events after the watermark, up to
 * the last one now), and what else depends on it (a deal's stays in stages, the deals of a changed contact, the
 * SLA clocks of a contact someone answered). Nothing before any run: that run starts from scratch.
 */
export function dirtySlotsQuery(db: Database) {
  const at = (path: string) => sql.raw(`json_extract(data, '$.${path}')`);
  return db.all<{ kind: RollupKind; slot: number }>(sql`with
    s as (select event_seq as wm, synced_at - ${SYNC_MARGIN_MS} as since from report_state where id = 1),
    e as materialized (select seq, type, record_type as rt, record_id as rid, data, created_at from domain_events
      where seq > (select wm from s) and seq <= (select max(seq) from domain_events)),
    ed as (select * from e where rt = 'deal'),
    ec as (select * from e where rt = 'contact'),
    ea as (select * from e where rt = 'activity'),
    t(kind, at) as (
      select 'deal', ${at("before.createdAt")} from ed union all select 'deal', ${at("after.createdAt")} from ed
      union all select 'deal', ${at("before.closedAt")} from ed union all select 'deal', ${at("after.closedAt")} from ed
      union all select 'stage', ${at("before.stageEnteredAt")} from ed
      union all select 'stage', ${at("after.stageEnteredAt")} from ed
      union all select 'stage', h.entered_at from deal_stage_history h where h.deal_id in (select rid from ed)
      union all select 'attribution', ${at("before.closedAt")} from ed
      union all select 'attribution', ${at("after.closedAt")} from ed
      union all select 'attribution', d.closed_at from deal_contacts dc join deals d on d.id = dc.deal_id
        where dc.contact_id in (select rid from ec where ${at("before.source")} is not ${at("after.source")}
          or ${at("before.firstTouch")} is not ${at("after.firstTouch")}) and d.closed_at is not null
      union all select 'customer', ${at("before.closedAt")} from ed
      union all select 'customer', ${at("after.closedAt")} from ed
      union all select 'customer', d.closed_at from deals d where d.status = 'won' and d.company_id in
        (select ${at("before.companyId")} from ed union select ${at("after.companyId")} from ed)
      union all select 'customer', d.closed_at from deal_contacts x join deal_contacts y on y.contact_id = x.contact_id
        join deals d on d.id = y.deal_id where x.deal_id in (select rid from ed) and d.status = 'won'
      union all select 'lead', ${at("before.createdAt")} from ec union all select 'lead', ${at("after.createdAt")} from ec
      union all select 'lead', c.created_at from contacts c where c.id in
        (select ${at("after.contactId")} from ea where ${at("after.type")} = 'form_submission')
      union all select 'funnel', created_at from ec where type in ('contact.created', 'contact.lifecycle_changed')
      union all select 'funnel', f.at from report_lifecycle_transitions f
        where f.contact_id in (select rid from ec where type in ('contact.deleted', 'contact.restored'))
      union all select 'activity', ${at("after.occurredAt")} from ea
      union all select 'sla', k.created_at from sla_clocks k where k.contact_id in (select ${at("after.contactId")} from ea)
      union all select 'sla', k.created_at from sla_clocks k where k.created_at >= (select since from s)
      union all select 'sla', k.created_at from sla_clocks k where k.breached_at >= (select since from s))
    select kind, at / ${SLOT_MS} as slot from t where at is not null group by kind, slot`);
}

/**
 * Takes the lifecycle transitions out of the domain events after the watermark (up to `upTo`) into their own
 * table, which outlives the events: a contact's creation (from '') and each change of its lifecycle stage.
 */
export function collectTransitionsStatement(db: Database, upTo: number) {
  return db.run(sql`insert or ignore into report_lifecycle_transitions
    (seq, contact_id, from_stage, to_stage, at, owner_id, team_id)
    select seq, record_id, coalesce(json_extract(data, '$.before.lifecycleStage'), ''),
      json_extract(data, '$.after.lifecycleStage'), created_at,
      coalesce(json_extract(data, '$.after.ownerId'), ''), coalesce(json_extract(data, '$.after.teamId'), '')
    from domain_events
    where seq > coalesce((select event_seq from report_state where id = 1), 0) and seq <= ${upTo}
      and type in ('contact.created', 'contact.lifecycle_changed')
      and json_extract(data, '$.after.lifecycleStage') is not null`);
}

/** The live domain events' transitions not collected yet, shaped as report_lifecycle_transitions rows. */
export const UNCOLLECTED_TRANSITIONS = sql`(select seq, record_id as contact_id,
    coalesce(json_extract(data, '$.before.lifecycleStage'), '') as from_stage,
    json_extract(data, '$.after.lifecycleStage') as to_stage, created_at as at,
    coalesce(json_extract(data, '$.after.ownerId'), '') as owner_id,
    coalesce(json_extract(data, '$.after.teamId'), '') as team_id
  from domain_events where seq > (select coalesce(max(event_seq), 0) from report_state where id = 1)
    and type in ('contact.created', 'contact.lifecycle_changed')
    and json_extract(data, '$.after.lifecycleStage') is not null)`;

/** Today's open pipeline, replaced by every run that may have seen it change: at the day's end, the day's last. */
export function snapshotStatements(db: Database, day: string) {
  return [
    db.run(sql`delete from report_pipeline_snapshots where day = ${day}`),
    db.run(sql`insert into report_pipeline_snapshots
      (day, pipeline_id, stage_id, owner_id, team_id, currency, count, amount, weighted_amount)
      select ${day}, s.pipeline_id, t.stage_id, t.owner_id, t.team_id, t.currency, t.count, t.amount,
        cast(round(t.amount * s.probability / 100.0) as integer)
      from deal_stage_totals t join stages s on s.id = t.stage_id where s.outcome is null`),
  ];
}

/** Where the run leaves the rollups; a slower run that finishes later never moves the watermark back. */
export function saveStateStatement(db: Database, state: ReportStateRow, now: number) {
  // In SET, bare names are the row as it was; a new time zone replaces the day whatever it is.
  const ahead = sql`(excluded.time_zone <> time_zone or excluded.live_day >= live_day)`;
  return db.run(sql`insert into report_state
      (id, event_seq, synced_at, time_zone, live_day, live_from, offset_ms, updated_at)
    values (1, ${state.eventSeq}, ${state.syncedAt}, ${state.timeZone}, ${state.liveDay}, ${state.liveFrom},
      ${state.offsetMs}, ${now})
    on conflict (id) do update set event_seq = max(event_seq, excluded.event_seq),
      synced_at = max(synced_at, excluded.synced_at), time_zone = excluded.time_zone,
      live_day = iif(${ahead}, excluded.live_day, live_day), live_from = iif(${ahead}, excluded.live_from, live_from),
      offset_ms = iif(${ahead}, excluded.offset_ms, offset_ms), updated_at = excluded.updated_at`);
}

/**
 * Rollup rows outside [first, until): left by records that have since gone (a recompute from scratch). The months
 * from first's to the one before until's are all summed again by that recompute, which touches a day of each.
 */
export function outsideRangeStatements(
  db: Database,
  tables: readonly { table: string; monthly: string }[],
  first: string,
  until: string,
) {
  return tables.flatMap(({ table, monthly }) => [
    db.run(sql`delete from ${sql.identifier(table)} where day < ${first} or day >= ${until}`),
    db.run(sql`delete from ${sql.identifier(monthly)}
      where month < ${first.slice(0, 7)} or month >= ${until.slice(0, 7)}`),
  ]);
}
