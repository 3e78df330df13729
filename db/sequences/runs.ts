// The sequence runner's statements: leasing due enrolments, reading what a run needs, and the writes of one
// step. A step's row in sequence_step_runs, keyed (enrolment, step), is inserted only while the enrolment is
// still active at that step; every other write of the step is conditioned on that row carrying the run's own
// claim, in the same batch. So a step runs once, and never after the enrolment stopped.
import { type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Database } from "../client.ts";
import { newId } from "../ids.ts";
import {
  activities,
  contacts,
  sequenceEnrolments,
  sequenceStepRuns,
  sequences,
  settings,
  tasks,
  teamMembers,
  users,
} from "../schema/index.ts";
import { idList } from "../statements.ts";

/** How long a runner holds the enrolments it leased before another may take them over. */
export const LEASE_MS = 10 * 60_000;

/** Leases up to `limit` active enrolments due at `now` (soonest first) that no live lease holds. */
export function leaseDueStatement(db: Database, claim: string, now: number, limit: number) {
  return db.all<{ id: string }>(sql`update ${sequenceEnrolments}
    set lease_claim = ${claim}, lease_until = ${now + LEASE_MS}
    where id in (select id from ${sequenceEnrolments}
      where status = 'active' and next_run_at <= ${now} and (lease_until is null or lease_until <= ${now})
      order by next_run_at limit ${limit})
    returning id`);
}

export interface LeasedEnrolment {
  id: string;
  contactId: string;
  sequenceId: string;
  sequenceName: string;
  steps: string;
  enabled: number;
  sequenceDeleted: number;
  contactDeleted: number;
  step: number;
  stepBaseAt: number;
  ownerTimeZone: string | null;
  /** The organisation's time zone setting (JSON text), for contacts without an owner. */
  orgTimeZone: string | null;
}

/** What a run needs of the enrolments it leased (those still active and still under its claim). */
export function leasedEnrolmentsQuery(db: Database, claim: string, ids: readonly string[]) {
  return db.all<LeasedEnrolment>(sql`select en.id, en.contact_id as contactId, en.sequence_id as sequenceId,
      s.name as sequenceName, s.steps, s.enabled, s.deleted_at is not null as sequenceDeleted,
      c.deleted_at is not null as contactDeleted, en.current_step as step, en.step_base_at as stepBaseAt,
      u.time_zone as ownerTimeZone,
      (select ${settings.value} from ${settings} where ${settings.key} = 'timeZone') as orgTimeZone
    from ${sequenceEnrolments} en join ${sequences} s on s.id = en.sequence_id
      join ${contacts} c on c.id = en.contact_id left join ${users} u on u.id = c.owner_id
    where en.id in (${idList(ids)}) and en.lease_claim = ${claim} and en.status = 'active'`);
}

/** Gives the enrolment back, to be looked at again at `nextRunAt`. */
export function releaseStatement(
  db: Database,
  enrolmentId: string,
  claim: string,
  nextRunAt: number,
  now: number,
) {
  return db.run(sql`update ${sequenceEnrolments} set next_run_at = ${nextRunAt}, lease_claim = null,
      lease_until = null, updated_at = ${now}
    where id = ${enrolmentId} and lease_claim = ${claim} and status = 'active'`);
}

/** The step one run is about to run: which enrolment, step and sequence, and the run's claim. */
export interface StepRef {
  enrolmentId: string;
  step: number;
  /** Unique to one runner's batch. */
  claim: string;
  sequenceId: string;
  contactId: string;
}

/** SQL true once this batch has claimed the step (its row exists with the batch's claim). */
export function stepClaimed(ref: StepRef): SQL {
  return sql`exists (select 1 from ${sequenceStepRuns} r
    where r.enrolment_id = ${ref.enrolmentId} and r.step = ${ref.step} and r.claim = ${ref.claim})`;
}

/**
 * The claim: the step's row, written only while the enrolment is active at this step and no row has the key.
 * What the step did is set here (a task, a skip) or after its send (an email).
 */
export function claimStepStatement(
  db: Database,
  ref: StepRef,
  values: {
    type: "email" | "task";
    outcome: "pending" | "created" | "skipped";
    detail?: string;
    taskId?: string;
  },
  now: number,
) {
  return db.run(sql`insert into ${sequenceStepRuns} (enrolment_id, step, type, claim, outcome, detail, task_id, ran_at)
    select en.id, ${ref.step}, ${values.type}, ${ref.claim}, ${values.outcome}, ${values.detail ?? null},
           ${values.taskId ?? null}, ${now}
      from ${sequenceEnrolments} en
     where en.id = ${ref.enrolmentId} and en.status = 'active' and en.current_step = ${ref.step}
    on conflict do nothing`);
}

/** After the send: sent when the outbox row is there, else skipped (the send path refused at write time). */
export function emailOutcomeStatement(db: Database, ref: StepRef, outboxId: string, refusedDetail: string) {
  const sent = sql`exists (select 1 from outbox o where o.id = ${outboxId})`;
  return db.run(sql`update ${sequenceStepRuns}
    set outcome = case when ${sent} then 'sent' else 'skipped' end,
        outbox_id = case when ${sent} then ${outboxId} else null end,
        detail = case when ${sent} then null else ${refusedDetail} end
    where enrolment_id = ${ref.enrolmentId} and step = ${ref.step} and claim = ${ref.claim}`);
}

/**
 * The task a task step makes: for the contact's owner (the sequence's author when the contact has none), in
 * the contact's team, else the owner's first team as POST /api/v1/tasks would choose.
 */
export function stepTaskStatement(
  db: Database,
  ref: StepRef,
  task: { id: string; title: string; notes: string | null; priority: string; dueAt: number },
  now: number,
) {
  const owner = sql`coalesce(c.owner_id, s.created_by)`;
  return db.run(sql`insert into ${tasks} (id, title, notes, due_at, status, priority, contact_id, owner_id, team_id,
      version, created_at, updated_at)
    select ${task.id}, ${task.title}, ${task.notes}, ${task.dueAt}, 'open', ${task.priority}, c.id, ${owner},
           coalesce(c.team_id, (select tm.team_id from ${teamMembers} tm where tm.user_id = ${owner}
                                 order by tm.team_id limit 1)),
           1, ${now}, ${now}
      from ${contacts} c join ${sequences} s on s.id = ${ref.sequenceId}
     where c.id = ${ref.contactId} and ${stepClaimed(ref)}`);
}

/** The `system` timeline entry of a step that ran: what it did, or why an email was skipped. */
export function stepDoneActivityStatement(db: Database, ref: StepRef, total: number, now: number) {
  return db.run(sql`insert into ${activities} (id, type, occurred_at, actor_user_id, contact_id, subject, metadata,
      created_at)
    select ${newId()}, 'system', ${now}, null, en.contact_id,
           substr('Sequence “' || s.name || '”: step ' || ${String(ref.step + 1)} || ' of ' || ${String(total)} || ', ' ||
             case r.outcome when 'sent' then 'email sent' when 'created' then 'task created'
               else r.type || ' skipped (' || coalesce(r.detail, 'not sent') || ')' end, 1, 500),
           json_object('sequenceEvent', 'step_done', 'sequenceId', s.id, 'sequenceName', s.name,
                       'enrolmentId', en.id, 'step', r.step, 'stepType', r.type, 'outcome', r.outcome,
                       'detail', r.detail, 'outboxId', r.outbox_id, 'taskId', r.task_id),
           ${now}
      from ${sequenceStepRuns} r join ${sequenceEnrolments} en on en.id = r.enrolment_id
        join ${sequences} s on s.id = en.sequence_id
     where r.enrolment_id = ${ref.enrolmentId} and r.step = ${ref.step} and r.claim = ${ref.claim}`);
}

/** On to the next step (due at `nextRunAt`), the lease given back; only under this batch's claim. */
export function advanceStatement(db: Database, ref: StepRef, nextRunAt: number, now: number) {
  return db.run(sql`update ${sequenceEnrolments} set current_step = ${ref.step + 1}, step_base_at = ${now},
      next_run_at = ${nextRunAt}, lease_claim = null, lease_until = null, updated_at = ${now}
    where id = ${ref.enrolmentId} and ${stepClaimed(ref)}`);
}

/**
 * The enrolment's end after its last step, with its `completed` timeline entry: under this batch's claim of
 * that step, or, with `step` past the steps (the sequence lost steps in an edit), while still active there.
 */
export function completeStatements(
  db: Database,
  ref: StepRef,
  options: { afterStep: boolean },
  now: number,
): BatchItem<"sqlite">[] {
  const holds = options.afterStep
    ? stepClaimed(ref)
    : sql`en.status = 'active' and en.current_step = ${ref.step}`;
  return [
    db.run(sql`insert into ${activities} (id, type, occurred_at, actor_user_id, contact_id, subject, metadata,
        created_at)
      select ${newId()}, 'system', ${now}, null, en.contact_id,
             substr('Completed sequence “' || s.name || '”', 1, 500),
             json_object('sequenceEvent', 'completed', 'sequenceId', s.id, 'sequenceName', s.name,
                         'enrolmentId', en.id),
             ${now}
        from ${sequenceEnrolments} en join ${sequences} s on s.id = en.sequence_id
       where en.id = ${ref.enrolmentId} and ${holds}`),
    db.run(sql`update ${sequenceEnrolments} set status = 'completed', completed_at = ${now},
        current_step = ${options.afterStep ? ref.step + 1 : ref.step}, next_run_at = null, lease_claim = null,
        lease_until = null, updated_at = ${now}
      where id in (select en.id from ${sequenceEnrolments} en where en.id = ${ref.enrolmentId} and ${holds})`),
  ];
}
