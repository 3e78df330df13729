// Enrolling contacts in sequences and taking them out, as statements for any batch: the API's (a person,
// whose visibility applies), a workflow's (enrolStatements / unenrolStatements), and the engine's automatic
// stops. A contact is in a sequence at most once at a time (a partial unique index); every enrolment and
// stop leaves a `system` entry on the contact's timeline in the same batch.
import { type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Database } from "../client.ts";
import { newId } from "../ids.ts";
import { activities, contacts, type StopReason, sequenceEnrolments, sequences } from "../schema/index.ts";
import { idList } from "../statements.ts";
import { sqlNewId } from "./sql-ids.ts";

/** Whether a contact with this owner and team may be enrolled: a caller's visibility, or `1` for an engine. */
export type ContactVisibility = (owner: SQLiteColumn | SQL, team: SQLiteColumn | SQL) => SQL;

const EVERYONE: ContactVisibility = () => sql`1`;

/** Why an automation enrolled a contact (as domain events carry it): kept on the enrolment and its entry. */
export interface EnrolmentCause {
  actorId?: string;
  workflowId?: string;
  runId?: string;
  depth?: number;
}

/** What the timeline says after "Left sequence …: ". */
export const STOP_REASON_TEXT: Readonly<Record<StopReason, string>> = {
  reply: "a reply was logged",
  meeting_booked: "a meeting was booked",
  deal_stage_changed: "a deal of the contact changed stage",
  unsubscribed: "the contact unsubscribed",
  bounced: "an email to the contact bounced",
  spam_reported: "the contact marked an email as spam",
  contact_deleted: "the contact was deleted",
  sequence_deleted: "the sequence was deleted",
  manual: "taken out by hand",
  workflow: "taken out by a workflow",
};

interface EnrolRow {
  id: string;
  activityId: string;
  contactId: string;
}

/** `with v(id, activity_id, contact_id, position) as (values …)`: the rows a request enrols, ids made here. */
function enrolRows(rows: readonly EnrolRow[]): SQL {
  const values = rows.map(
    (row, position) => sql`(${row.id}, ${row.activityId}, ${row.contactId}, ${position})`,
  );
  return sql`with v(id, activity_id, contact_id, position) as (values ${sql.join(values, sql`, `)})`;
}

interface EnrolPlan {
  sequenceId: string;
  rows: readonly EnrolRow[];
  /** The enrolling user's id as SQL, or `null`. */
  enrolledBy: SQL;
  cause: EnrolmentCause | null;
  visible: ContactVisibility;
  /** Write only when this holds at the time the batch runs (a workflow step's claim). */
  when?: SQL | undefined;
}

/**
 * The insert of each live, visible contact not already in the sequence (the unique index turns a second
 * enrolment into nothing), into an enabled sequence, returning the new enrolments; then their timeline entries.
 */
function enrolmentWrites(db: Database, plan: EnrolPlan, now: number) {
  const cause = plan.cause === null ? null : JSON.stringify(plan.cause);
  return [
    db.all<{ id: string; contactId: string }>(sql`${enrolRows(plan.rows)}
      insert into ${sequenceEnrolments} (id, sequence_id, contact_id, status, current_step, step_base_at,
        next_run_at, enrolled_at, enrolled_by, cause, updated_at)
      select v.id, s.id, c.id, 'active', 0, ${now}, ${now}, ${now}, ${plan.enrolledBy}, ${cause}, ${now}
        from v join ${contacts} c on c.id = v.contact_id
          join ${sequences} s on s.id = ${plan.sequenceId} and s.enabled = 1 and s.deleted_at is null
       where c.deleted_at is null and ${plan.visible(sql`c.owner_id`, sql`c.team_id`)}
         and (${plan.when ?? sql`1`})
       order by v.position
      on conflict do nothing
      returning id, contact_id as contactId`),
    db.run(sql`${enrolRows(plan.rows)}
      insert into ${activities} (id, type, occurred_at, actor_user_id, contact_id, subject, metadata, created_at)
      select v.activity_id, 'system', ${now}, en.enrolled_by, en.contact_id,
             substr('Enrolled in sequence “' || s.name || '”', 1, 500),
             json_object('sequenceEvent', 'enrolled', 'sequenceId', s.id, 'sequenceName', s.name,
                         'enrolmentId', en.id, 'steps', json_array_length(s.steps),
                         'enrolledBy', en.enrolled_by, 'cause', json(en.cause)),
             ${now}
        from v join ${sequenceEnrolments} en on en.id = v.id join ${sequences} s on s.id = en.sequence_id`),
  ] as const;
}

/**
 * For a workflow's batch: enrols one contact in a sequence, with its timeline entry. The first statement's
 * rows are the new enrolment; none when the contact is already in the sequence, is deleted, or the sequence
 * is disabled or deleted, or `when` does not hold (nothing is written then, and the batch goes on).
 */
export function enrolStatements(
  db: Database,
  input: {
    sequenceId: string;
    contactId: string;
    enrolledBy: string | null;
    cause?: EnrolmentCause | undefined;
    when?: SQL | undefined;
  },
  now: number,
): BatchItem<"sqlite">[] {
  return [
    ...enrolmentWrites(
      db,
      {
        sequenceId: input.sequenceId,
        rows: [{ id: newId(), activityId: newId(), contactId: input.contactId }],
        enrolledBy: sql`${input.enrolledBy}`,
        cause: input.cause ?? null,
        visible: EVERYONE,
        when: input.when,
      },
      now,
    ),
  ];
}

/** One contact's outcome in an enrolment request. */
export type EnrolOutcome =
  | { contactId: string; status: "enrolled" | "already_enrolled"; enrolmentId: string }
  | { contactId: string; status: "not_found" };

/**
 * A person's enrolment request: the writes, then a read saying what became of each contact. The route puts
 * guards before them (sequence found, enabled); `outcomes` reads the last statement's rows.
 */
export function enrolContactsStatements(
  db: Database,
  input: { sequenceId: string; contactIds: readonly string[]; enrolledBy: SQL; visible: ContactVisibility },
  now: number,
) {
  const rows = input.contactIds.map((contactId) => ({ id: newId(), activityId: newId(), contactId }));
  const statements = [
    ...enrolmentWrites(
      db,
      {
        sequenceId: input.sequenceId,
        rows,
        enrolledBy: input.enrolledBy,
        cause: null,
        visible: input.visible,
      },
      now,
    ),
    db.all<{
      contactId: string;
      newId: string;
      visible: number;
      activeId: string | null;
    }>(sql`${enrolRows(rows)}
      select v.contact_id as contactId, v.id as newId, c.id is not null as visible,
             (select e.id from ${sequenceEnrolments} e where e.sequence_id = ${input.sequenceId}
                and e.contact_id = v.contact_id and e.status = 'active') as activeId
        from v left join ${contacts} c on c.id = v.contact_id and c.deleted_at is null
         and ${input.visible(sql`c.owner_id`, sql`c.team_id`)}
       order by v.position`),
  ] as const;
  return {
    statements,
    outcomes(
      read: readonly { contactId: string; newId: string; visible: number; activeId: string | null }[],
    ) {
      return read.map((row): EnrolOutcome => {
        if (!row.visible || row.activeId === null) return { contactId: row.contactId, status: "not_found" };
        return {
          contactId: row.contactId,
          status: row.activeId === row.newId ? "enrolled" : "already_enrolled",
          enrolmentId: row.activeId,
        };
      });
    },
  };
}

/**
 * Stops the active enrolments `where` names (a condition on `en`, an enrolment row): first a `system` entry
 * on each contact's timeline (with an id made in SQL, as the rows are not read first), then the stop itself.
 * Both statements see the same enrolments, as a batch is one transaction.
 */
export function stopEnrolmentsStatements(
  db: Database,
  input: { where: SQL; reason: StopReason; actor: SQL },
  now: number,
): BatchItem<"sqlite">[] {
  return [
    db.run(sql`insert into ${activities} (id, type, occurred_at, actor_user_id, contact_id, subject, metadata, created_at)
      select ${sqlNewId(now)}, 'system', ${now}, ${input.actor}, en.contact_id,
             substr('Left sequence “' || s.name || '”: ' || ${STOP_REASON_TEXT[input.reason]}, 1, 500),
             json_object('sequenceEvent', 'stopped', 'sequenceId', s.id, 'sequenceName', s.name,
                         'enrolmentId', en.id, 'reason', ${input.reason}, 'step', en.current_step),
             ${now}
        from ${sequenceEnrolments} en join ${sequences} s on s.id = en.sequence_id
       where en.status = 'active' and (${input.where})`),
    db.run(sql`update ${sequenceEnrolments} set status = 'stopped', stop_reason = ${input.reason},
        stopped_at = ${now}, next_run_at = null, lease_claim = null, lease_until = null, updated_at = ${now}
      where id in (select en.id from ${sequenceEnrolments} en where en.status = 'active' and (${input.where}))`),
  ];
}

/**
 * For a workflow's batch, and the engine's automatic stops: takes a contact out of one sequence, or of every
 * sequence it is in. `enrolledBefore` spares enrolments made after the event that stops them (a reply logged
 * before the contact was enrolled again says nothing about the new enrolment). With `when`, only while it
 * holds at the time the batch runs (a workflow step's claim).
 */
export function unenrolStatements(
  db: Database,
  input: {
    sequenceId?: string | undefined;
    contactId: string;
    reason: StopReason;
    enrolledBefore?: number | undefined;
    actorUserId?: string | null | undefined;
    when?: SQL | undefined;
  },
  now: number,
): BatchItem<"sqlite">[] {
  const where = sql.join(
    [
      ...(input.when === undefined ? [] : [sql`(${input.when})`]),
      sql`en.contact_id = ${input.contactId}`,
      ...(input.sequenceId === undefined ? [] : [sql`en.sequence_id = ${input.sequenceId}`]),
      ...(input.enrolledBefore === undefined ? [] : [sql`en.enrolled_at <= ${input.enrolledBefore}`]),
    ],
    sql` and `,
  );
  return stopEnrolmentsStatements(
    db,
    { where, reason: input.reason, actor: sql`${input.actorUserId ?? null}` },
    now,
  );
}

/** One contact's outcome in an unenrolment request. */
export type UnenrolOutcome =
  | { contactId: string; status: "unenrolled"; enrolmentId: string }
  | { contactId: string; status: "not_enrolled" | "not_found" };

/**
 * A person's unenrolment request: a read of each contact's active enrolment (before the stop, in the same
 * transaction), then the stop of those the caller may see.
 */
export function unenrolContactsStatements(
  db: Database,
  input: { sequenceId: string; contactIds: readonly string[]; actor: SQL; visible: ContactVisibility },
  now: number,
) {
  const values = input.contactIds.map((id, position) => sql`(${id}, ${position})`);
  const visibleContact = sql`c.deleted_at is null and ${input.visible(sql`c.owner_id`, sql`c.team_id`)}`;
  const statements = [
    db.all<{
      contactId: string;
      visible: number;
      activeId: string | null;
    }>(sql`with v(contact_id, position) as
        (values ${sql.join(values, sql`, `)})
      select v.contact_id as contactId, c.id is not null as visible,
             (select e.id from ${sequenceEnrolments} e where e.sequence_id = ${input.sequenceId}
                and e.contact_id = v.contact_id and e.status = 'active') as activeId
        from v left join ${contacts} c on c.id = v.contact_id and ${visibleContact}
       order by v.position`),
    ...stopEnrolmentsStatements(
      db,
      {
        where: sql`en.sequence_id = ${input.sequenceId} and en.contact_id in (select c.id from ${contacts} c
          where c.id in (${idList(input.contactIds)}) and ${visibleContact})`,
        reason: "manual",
        actor: input.actor,
      },
      now,
    ),
  ] as const;
  return {
    statements,
    outcomes(read: readonly { contactId: string; visible: number; activeId: string | null }[]) {
      return read.map((row): UnenrolOutcome => {
        if (!row.visible) return { contactId: row.contactId, status: "not_found" };
        if (row.activeId === null) return { contactId: row.contactId, status: "not_enrolled" };
        return { contactId: row.contactId, status: "unenrolled", enrolmentId: row.activeId };
      });
    },
  };
}
