// Workflow automation: workflows with their immutable versions (a trigger, conditions, actions as JSON), the
// runs they start (each pinned to the version it started on) and the log of each run's steps.
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

export const WORKFLOW_RUN_STATUSES = [
  "running",
  "waiting",
  "completed",
  "failed",
  "skipped",
  "cancelled",
] as const;
export type WorkflowRunStatus = (typeof WORKFLOW_RUN_STATUSES)[number];

/** done: the action ran; skipped: it had nothing to do (e.g. no consent); failed: its last attempt failed. */
export const WORKFLOW_STEP_STATUSES = ["done", "skipped", "failed"] as const;
export type WorkflowStepStatus = (typeof WORKFLOW_STEP_STATUSES)[number];

/**
 * A workflow; its definition lives in workflow_versions. `triggerType` copies the current version's trigger
 * so that an event finds the workflows it starts through one index.
 */
export const workflows = sqliteTable(
  "workflows",
  {
    id: text().primaryKey(),
    name: text().notNull(),
    description: text(),
    enabled: integer({ mode: "boolean" }).notNull().default(false),
    triggerType: text().notNull(),
    /** The version new runs start on; it is also the ETag. */
    currentVersion: integer().notNull().default(1),
    /** The Standard Webhooks secret (whsec_…) that signs this workflow's outgoing webhook calls. */
    signingSecret: text().notNull(),
    createdBy: text(),
    createdAt: integer().notNull(),
    updatedAt: integer().notNull(),
    deletedAt: integer(),
  },
  (t) => [
    index("workflows_trigger_idx").on(t.triggerType).where(sql`${t.enabled} = 1 and ${t.deletedAt} is null`),
  ],
);

/** One immutable definition per version: editing a workflow adds a row, never changes one. */
export const workflowVersions = sqliteTable(
  "workflow_versions",
  {
    workflowId: text().notNull(),
    version: integer().notNull(),
    /** JSON: { trigger, conditions, actions } (queues/workflows/definition.ts). */
    definition: text().notNull(),
    createdBy: text(),
    createdAt: integer().notNull(),
  },
  (t) => [primaryKey({ columns: [t.workflowId, t.version] })],
);

/**
 * One run of a workflow for one record, keyed by what started it (`triggerKey`: the event id, or a date
 * schedule's record and date), so an event delivered twice starts one run. `nextStep` is the index of the
 * action to run next; `wakeAt` is when the minute job looks at the run again (the end of a long wait, or the
 * backstop for a step message that was lost); `resumeAt` holds a waiting run until then.
 */
export const workflowRuns = sqliteTable(
  "workflow_runs",
  {
    id: text().primaryKey(),
    workflowId: text().notNull(),
    version: integer().notNull(),
    triggerKey: text().notNull(),
    eventType: text().notNull(),
    recordType: text(),
    recordId: text(),
    status: text({ enum: WORKFLOW_RUN_STATUSES }).notNull(),
    /** Why a run was skipped or cancelled ("loop guard", "depth limit", "record deleted"). */
    reason: text(),
    /** How many workflow runs caused the event that started this one (0: a person or an outside system). */
    depth: integer().notNull().default(0),
    nextStep: integer().notNull().default(0),
    resumeAt: integer(),
    wakeAt: integer(),
    failedStep: integer(),
    error: text(),
    /** JSON: the trigger event's data as the run saw it (before/after, form, payload). */
    context: text().notNull().default("{}"),
    startedAt: integer().notNull(),
    updatedAt: integer().notNull(),
    finishedAt: integer(),
  },
  (t) => [
    uniqueIndex("workflow_runs_trigger_idx").on(t.workflowId, t.triggerKey),
    index("workflow_runs_workflow_idx").on(t.workflowId, t.id),
    index("workflow_runs_record_idx").on(t.recordId, t.id),
    index("workflow_runs_wake_idx").on(t.wakeAt).where(sql`${t.status} in ('running', 'waiting')`),
  ],
);

/**
 * The log of a run's steps, one row per (run, step): the row is also the step's claim, written in the same
 * batch as the step's side effect, so a step that is delivered or retried again never does it twice.
 */
export const workflowSteps = sqliteTable(
  "workflow_steps",
  {
    runId: text().notNull(),
    step: integer().notNull(),
    action: text().notNull(),
    status: text({ enum: WORKFLOW_STEP_STATUSES }).notNull(),
    /** The claim of the attempt that wrote the row: the batch's side effects are written only under it. */
    claim: text().notNull(),
    /** JSON: the action as it ran (its settings with the record's values filled in). */
    input: text().notNull().default("{}"),
    /** JSON: what it did (ids written, the webhook's status, …). */
    result: text(),
    error: text(),
    attempts: integer().notNull().default(1),
    startedAt: integer().notNull(),
    finishedAt: integer().notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.step] })],
);
