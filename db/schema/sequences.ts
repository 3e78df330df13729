// Sequences (drip cadences): ordered email and task steps with business-day delays, the contacts enrolled in
// them, and one row per step that ran, whose key (enrolment, step) is what makes each step run exactly once.
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { contacts } from "./crm.ts";

export const ENROLMENT_STATUSES = ["active", "completed", "stopped"] as const;
export type EnrolmentStatus = (typeof ENROLMENT_STATUSES)[number];

/** Why an enrolment stopped before its last step. */
export const STOP_REASONS = [
  "reply",
  "meeting_booked",
  "deal_stage_changed",
  "unsubscribed",
  "bounced",
  "spam_reported",
  "contact_deleted",
  "sequence_deleted",
  "manual",
  "workflow",
] as const;
export type StopReason = (typeof STOP_REASONS)[number];

export const sequences = sqliteTable(
  "sequences",
  {
    id: text().primaryKey(),
    name: text().notNull(),
    /** The steps as JSON (queues/sequences/steps.ts): a list of email and task steps with their delays. */
    steps: text().notNull(),
    /** A disabled sequence takes no new enrolments, and its enrolments wait until it is enabled again. */
    enabled: integer({ mode: "boolean" }).notNull().default(true),
    version: integer().notNull().default(1),
    createdBy: text(),
    createdAt: integer().notNull(),
    updatedAt: integer().notNull(),
    deletedAt: integer(),
  },
  (t) => [index("sequences_name_idx").on(t.name, t.id)],
);

/**
 * A contact in a sequence. `currentStep` is the index of the next step to run; its delay counts from
 * `stepBaseAt` (the enrolment, then each step's run). `nextRunAt` is when the runner looks at it next: the
 * step's due time once the runner knows the owner's time zone, the enrolment time before that.
 */
export const sequenceEnrolments = sqliteTable(
  "sequence_enrolments",
  {
    id: text().primaryKey(),
    sequenceId: text()
      .notNull()
      .references(() => sequences.id),
    contactId: text()
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    status: text({ enum: ENROLMENT_STATUSES }).notNull().default("active"),
    currentStep: integer().notNull().default(0),
    stepBaseAt: integer().notNull(),
    nextRunAt: integer(),
    /** The runner that holds the enrolment until `leaseUntil`; others leave it alone until then. */
    leaseClaim: text(),
    leaseUntil: integer(),
    enrolledAt: integer().notNull(),
    /** The user who enrolled the contact; null when an automation (a workflow) did. */
    enrolledBy: text(),
    /** JSON: why it was enrolled when an automation did it ({ workflowId, runId, … }). */
    cause: text(),
    stoppedAt: integer(),
    stopReason: text({ enum: STOP_REASONS }),
    completedAt: integer(),
    updatedAt: integer().notNull(),
  },
  (t) => [
    // At most one active enrolment per contact and sequence; finished ones are history.
    uniqueIndex("sequence_enrolments_active_idx")
      .on(t.sequenceId, t.contactId)
      .where(sql`${t.status} = 'active'`),
    index("sequence_enrolments_due_idx").on(t.nextRunAt).where(sql`${t.status} = 'active'`),
    index("sequence_enrolments_contact_idx").on(t.contactId, t.id),
    index("sequence_enrolments_sequence_idx").on(t.sequenceId, t.id),
  ],
);

/** One row per step that ran: written in the batch of the step's side effect, so a step runs once. */
export const sequenceStepRuns = sqliteTable(
  "sequence_step_runs",
  {
    enrolmentId: text()
      .notNull()
      .references(() => sequenceEnrolments.id, { onDelete: "cascade" }),
    step: integer().notNull(),
    type: text({ enum: ["email", "task"] }).notNull(),
    /** The runner whose batch wrote it: the batch's later statements act only under their own claim. */
    claim: text().notNull(),
    /** sent (the email is in the outbox), created (the task), skipped (the email could not go; see detail). */
    outcome: text({ enum: ["pending", "sent", "created", "skipped"] }).notNull(),
    detail: text(),
    outboxId: text(),
    taskId: text(),
    ranAt: integer().notNull(),
  },
  (t) => [primaryKey({ columns: [t.enrolmentId, t.step] })],
);
