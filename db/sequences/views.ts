// Reading enrolments: a sequence's (only contacts the caller sees) and a contact's, newest first, each with
// its steps that ran and what the API needs to say when the next step is due.
import { type SQL, sql } from "drizzle-orm";
import { type CallerRef, canSeeRecord } from "../caller.ts";
import type { Database } from "../client.ts";
import { rowsForPage } from "../paging.ts";
import {
  contacts,
  type EnrolmentStatus,
  type StopReason,
  sequenceEnrolments,
  sequenceStepRuns,
  sequences,
  settings,
  users,
} from "../schema/index.ts";

export interface EnrolmentRow {
  id: string;
  sequenceId: string;
  sequenceName: string;
  sequenceEnabled: number;
  contactId: string;
  contactName: string;
  status: EnrolmentStatus;
  currentStep: number;
  totalSteps: number;
  /** The delay of the step to run next (null past the last step). */
  nextDelay: number | null;
  stepBaseAt: number;
  enrolledAt: number;
  enrolledBy: string | null;
  stoppedAt: number | null;
  stopReason: StopReason | null;
  completedAt: number | null;
  ownerTimeZone: string | null;
  orgTimeZone: string | null;
  /** JSON: the steps that ran, in order. */
  runs: string;
}

export interface EnrolmentFilter {
  status?: EnrolmentStatus | undefined;
  before?: string | undefined;
  limit: number;
}

function enrolmentsQuery(db: Database, scope: SQL, filter: EnrolmentFilter) {
  return db.all<EnrolmentRow>(sql`select en.id, en.sequence_id as sequenceId, s.name as sequenceName,
      s.enabled as sequenceEnabled, en.contact_id as contactId, c.name as contactName, en.status,
      en.current_step as currentStep, json_array_length(s.steps) as totalSteps,
      json_extract(s.steps, '$[' || en.current_step || '].delayDays') as nextDelay, en.step_base_at as stepBaseAt,
      en.enrolled_at as enrolledAt, en.enrolled_by as enrolledBy, en.stopped_at as stoppedAt,
      en.stop_reason as stopReason, en.completed_at as completedAt, u.time_zone as ownerTimeZone,
      (select ${settings.value} from ${settings} where ${settings.key} = 'timeZone') as orgTimeZone,
      (select coalesce(json_group_array(json_object('step', r.step, 'type', r.type, 'outcome', r.outcome,
          'detail', r.detail, 'outboxId', r.outbox_id, 'taskId', r.task_id, 'ranAt', r.ran_at)), '[]')
         from (select * from ${sequenceStepRuns} r where r.enrolment_id = en.id order by r.step) r) as runs
    from ${sequenceEnrolments} en join ${sequences} s on s.id = en.sequence_id
      join ${contacts} c on c.id = en.contact_id left join ${users} u on u.id = c.owner_id
    where ${scope}
      ${filter.status === undefined ? sql`` : sql`and en.status = ${filter.status}`}
      ${filter.before === undefined ? sql`` : sql`and en.id < ${filter.before}`}
    order by en.id desc limit ${rowsForPage(filter.limit)}`);
}

/** A sequence's enrolments of live contacts the caller sees. */
export function sequenceEnrolmentsQuery(
  db: Database,
  me: CallerRef,
  sequenceId: string,
  filter: EnrolmentFilter,
) {
  return enrolmentsQuery(
    db,
    sql`en.sequence_id = ${sequenceId} and c.deleted_at is null and ${canSeeRecord(me, sql`c.owner_id`, sql`c.team_id`)}`,
    filter,
  );
}

/** A contact's enrolments, in any sequence (deleted ones too: their history stays). */
export function contactEnrolmentsQuery(db: Database, contactId: string, filter: EnrolmentFilter) {
  return enrolmentsQuery(db, sql`en.contact_id = ${contactId}`, filter);
}

/** The contact, when it is live and the caller sees it (0 rows: a 404). */
export function visibleContactQuery(db: Database, me: CallerRef, contactId: string) {
  return db
    .select({ id: contacts.id })
    .from(contacts)
    .where(
      sql`${contacts.id} = ${contactId} and ${contacts.deletedAt} is null and ${canSeeRecord(me, contacts.ownerId, contacts.teamId)}`,
    );
}
