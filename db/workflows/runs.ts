// Workflow runs and their step log: starting runs (one per workflow and trigger key), the reads and writes of
// one step, waking runs whose time came, the run lists and detail (scoped to the records the caller sees) and
// the retry of a failed run from its failed step.
import { and, asc, desc, eq, inArray, lt, type SQL, sql } from "drizzle-orm";
import { callerAuditStatement } from "../audit-queries.ts";
import { type CallerRef, callerIsAdmin, canSeeRecord } from "../caller.ts";
import type { Database } from "../client.ts";
import { rowsForPage } from "../paging.ts";
import {
  type WorkflowRunStatus,
  type WorkflowStepStatus,
  workflowRuns,
  workflowSteps,
  workflows,
  workflowVersions,
} from "../schema/index.ts";
import type { WriteContext } from "../statements.ts";

export type RunRow = typeof workflowRuns.$inferSelect;
export type StepRow = typeof workflowSteps.$inferSelect;
export type NewRun = typeof workflowRuns.$inferInsert;

/** Runs for one trigger key, each written once: a second delivery of the event writes nothing. */
export function insertRunsStatement(db: Database, runs: NewRun[]) {
  return db
    .insert(workflowRuns)
    .values(runs)
    .onConflictDoNothing({ target: [workflowRuns.workflowId, workflowRuns.triggerKey] })
    .returning({ id: workflowRuns.id, status: workflowRuns.status });
}

/** The run's own workflow name, whether it was deleted, and its webhook secret, with the run. */
export function runQuery(db: Database, runId: string) {
  return db
    .select({
      run: workflowRuns,
      workflowName: workflows.name,
      workflowDeletedAt: workflows.deletedAt,
      signingSecret: workflows.signingSecret,
      definition: workflowVersions.definition,
    })
    .from(workflowRuns)
    .innerJoin(workflows, eq(workflows.id, workflowRuns.workflowId))
    .innerJoin(
      workflowVersions,
      and(
        eq(workflowVersions.workflowId, workflowRuns.workflowId),
        eq(workflowVersions.version, workflowRuns.version),
      ),
    )
    .where(eq(workflowRuns.id, runId));
}

export function stepQuery(db: Database, runId: string, step: number) {
  return db
    .select()
    .from(workflowSteps)
    .where(and(eq(workflowSteps.runId, runId), eq(workflowSteps.step, step)));
}

/** SQL true when this attempt's claim on the step is the one written: the condition of its side effects. */
export function claimedSql(runId: string, step: number, claim: string, status?: WorkflowStepStatus): SQL {
  return sql`exists (select 1 from ${workflowSteps} where ${workflowSteps.runId} = ${runId}
    and ${workflowSteps.step} = ${step} and ${workflowSteps.claim} = ${claim}
    ${status === undefined ? sql`` : sql`and ${workflowSteps.status} = ${status}`})`;
}

export interface StepRecord {
  runId: string;
  step: number;
  action: string;
  status: WorkflowStepStatus;
  claim: string;
  input: unknown;
  result: unknown;
  error?: string | null;
  now: number;
}

/**
 * The step's log row, which is also its claim: written when there is none, or over a failed attempt, never
 * over a step that was done or skipped. A failed attempt keeps its claim (nothing runs under it).
 */
export function claimStepStatement(db: Database, step: StepRecord) {
  const row = {
    runId: step.runId,
    step: step.step,
    action: step.action,
    status: step.status,
    claim: step.claim,
    input: JSON.stringify(step.input ?? {}),
    result: step.result === undefined ? null : JSON.stringify(step.result),
    error: step.error ?? null,
    attempts: 1,
    startedAt: step.now,
    finishedAt: step.now,
  };
  return db
    .insert(workflowSteps)
    .values(row)
    .onConflictDoUpdate({
      target: [workflowSteps.runId, workflowSteps.step],
      set: {
        status: row.status,
        claim: row.claim,
        input: row.input,
        result: row.result,
        error: row.error,
        attempts: sql`${workflowSteps.attempts} + 1`,
        finishedAt: row.finishedAt,
      },
      setWhere: sql`${workflowSteps.status} = 'failed'`,
    });
}

export interface RunChange {
  status?: WorkflowRunStatus;
  nextStep?: number;
  resumeAt?: number | null;
  wakeAt?: number | null;
  reason?: string | null;
  error?: string | null;
  failedStep?: number | null;
  finishedAt?: number | null;
}

/** Moves the run on, only under the step's claim (or unconditionally, for a run that stops without one). */
export function updateRunStatement(db: Database, runId: string, change: RunChange, now: number, when?: SQL) {
  return db
    .update(workflowRuns)
    .set({ ...change, updatedAt: now })
    .where(and(eq(workflowRuns.id, runId), when));
}

/**
 * Runs whose wake time came: the end of a long wait, or a step message presumed lost. Each is pushed on to
 * `until` (the next look, should this one's message be lost too) and its wait is over.
 */
export function wakeRunsStatement(db: Database, now: number, until: number, limit: number) {
  return db
    .update(workflowRuns)
    .set({ wakeAt: until, resumeAt: null, updatedAt: now })
    .where(
      sql`${workflowRuns.id} in (select id from ${workflowRuns} where status in ('running', 'waiting')
        and wake_at <= ${now} order by wake_at limit ${limit})`,
    )
    .returning({
      id: workflowRuns.id,
      nextStep: workflowRuns.nextStep,
      recordType: workflowRuns.recordType,
      recordId: workflowRuns.recordId,
    });
}

/** Runs that a trigger key already started, among these workflows: the date schedule's idempotency check. */
export function startedRunsQuery(db: Database, workflowIds: string[], triggerKeys: string[]) {
  return db
    .select({ workflowId: workflowRuns.workflowId, triggerKey: workflowRuns.triggerKey })
    .from(workflowRuns)
    .where(and(inArray(workflowRuns.workflowId, workflowIds), inArray(workflowRuns.triggerKey, triggerKeys)));
}

// ---- the API's reads and the retry ----

/** Whether the caller may see a run: they may see its record (only admins see runs without one). */
export function runVisible(me: CallerRef): SQL {
  const sees = (table: string) =>
    sql`exists (select 1 from ${sql.raw(table)} x where x.id = ${workflowRuns.recordId}
      and ${canSeeRecord(me, sql`x.owner_id`, sql`x.team_id`)})`;
  return sql`(case ${workflowRuns.recordType}
    when 'contact' then ${sees("contacts")}
    when 'company' then ${sees("companies")}
    when 'deal' then ${sees("deals")}
    when 'task' then ${sees("tasks")}
    else ${callerIsAdmin(me)} end)`;
}

export interface RunFilter {
  workflowId?: string | undefined;
  recordId?: string | undefined;
  status?: WorkflowRunStatus | undefined;
  before?: string | undefined;
  limit: number;
}

/** Newest first, by workflow (workflow_runs_workflow_idx) or by record (workflow_runs_record_idx) or all. */
export function listRunsQuery(db: Database, me: CallerRef, filter: RunFilter) {
  return db
    .select()
    .from(workflowRuns)
    .where(
      and(
        filter.workflowId === undefined ? undefined : eq(workflowRuns.workflowId, filter.workflowId),
        filter.recordId === undefined ? undefined : eq(workflowRuns.recordId, filter.recordId),
        filter.status === undefined ? undefined : eq(workflowRuns.status, filter.status),
        filter.before === undefined ? undefined : lt(workflowRuns.id, filter.before),
        runVisible(me),
      ),
    )
    .orderBy(desc(workflowRuns.id))
    .limit(rowsForPage(filter.limit));
}

export function visibleRunQuery(db: Database, me: CallerRef, runId: string) {
  return db
    .select()
    .from(workflowRuns)
    .where(and(eq(workflowRuns.id, runId), runVisible(me)));
}

/** The run's steps in order, only when the caller may see the run. */
export function runStepsQuery(db: Database, me: CallerRef, runId: string) {
  return db
    .select()
    .from(workflowSteps)
    .where(
      and(
        eq(workflowSteps.runId, runId),
        sql`exists (select 1 from ${workflowRuns} where ${workflowRuns.id} = ${runId} and ${runVisible(me)})`,
      ),
    )
    .orderBy(asc(workflowSteps.step));
}

/**
 * Sets a failed run going again from its failed step: the steps before it are done and are not run again
 * (their log rows are their claims). The failed step's attempts start afresh. Results: [the run, restarted (0
 * or 1 row); the step reset; the audit entry; the run as it is now (0 rows: not visible)].
 */
export function retryRunStatements(
  db: Database,
  me: CallerRef,
  runId: string,
  ctx: WriteContext,
  wakeAt: number,
) {
  const now = ctx.now;
  const restarted = sql`exists (select 1 from ${workflowRuns} r where r.id = ${runId} and r.status = 'running'
    and r.updated_at = ${now})`;
  return [
    db
      .update(workflowRuns)
      .set({ status: "running", error: null, failedStep: null, finishedAt: null, wakeAt, updatedAt: now })
      .where(and(eq(workflowRuns.id, runId), eq(workflowRuns.status, "failed"), runVisible(me)))
      .returning(),
    db
      .update(workflowSteps)
      .set({ attempts: 0 })
      .where(and(eq(workflowSteps.runId, runId), eq(workflowSteps.status, "failed"), restarted)),
    callerAuditStatement(
      db,
      me,
      { action: "workflow_run.retried", targetType: "workflow_run", targetId: runId },
      ctx.origin,
      now,
      { when: restarted },
    ),
    visibleRunQuery(db, me, runId),
  ] as const;
}
