// Workflows and their versions: create (version 1), list, read, update (a new immutable version, If-Match on
// the current one), enable, disable, delete, and a new webhook signing secret. Each is one batch.
import { and, desc, eq, isNull, lt, type SQL, sql } from "drizzle-orm";
import type { AuditAction } from "../audit.ts";
import { callerAuditStatement } from "../audit-queries.ts";
import { type CallerRef, callerUserId } from "../caller.ts";
import type { Database } from "../client.ts";
import { newId } from "../ids.ts";
import { rowsForPage } from "../paging.ts";
import { workflows, workflowVersions } from "../schema/index.ts";
import type { WriteContext } from "../statements.ts";

export interface WorkflowInput {
  name: string;
  description?: string | null | undefined;
  /** The definition as stored: { trigger, conditions, actions }. */
  definition: { trigger: unknown; conditions?: unknown; actions: unknown[] };
  /** workflows.trigger_type: the event type its trigger listens to (queues/workflows/definition.ts). */
  triggerType: string;
}

const fields = {
  id: workflows.id,
  name: workflows.name,
  description: workflows.description,
  enabled: workflows.enabled,
  version: workflows.currentVersion,
  definition: workflowVersions.definition,
  createdAt: workflows.createdAt,
  updatedAt: workflows.updatedAt,
};

export type WorkflowRow = {
  id: string;
  name: string;
  description: string | null;
  enabled: boolean;
  version: number;
  definition: string;
  createdAt: number;
  updatedAt: number;
};

const live = isNull(workflows.deletedAt);

/** The audit entry of a change to a workflow, written only when `when` shows the change happened. */
function audit(db: Database, me: CallerRef, action: AuditAction, id: string, ctx: WriteContext, when: SQL) {
  return callerAuditStatement(db, me, { action, targetType: "workflow", targetId: id }, ctx.origin, ctx.now, {
    when,
  });
}

/** SQL true when this batch changed the workflow (its updated_at is the batch's clock). */
const touched = (id: string, now: number) =>
  sql`exists (select 1 from ${workflows} where ${workflows.id} = ${id} and ${workflows.updatedAt} = ${now})`;

/** A live workflow with the definition of `version` (its current one by default). */
export function readWorkflowQuery(db: Database, id: string, version?: number) {
  return db
    .select(fields)
    .from(workflows)
    .innerJoin(
      workflowVersions,
      and(
        eq(workflowVersions.workflowId, workflows.id),
        eq(workflowVersions.version, version ?? workflows.currentVersion),
      ),
    )
    .where(and(eq(workflows.id, id), live));
}

export interface WorkflowFilter {
  before?: string | undefined;
  limit: number;
  enabled?: boolean | undefined;
}

/** Newest first, keyset-paged by id. */
export function listWorkflowsQuery(db: Database, filter: WorkflowFilter) {
  return db
    .select(fields)
    .from(workflows)
    .innerJoin(
      workflowVersions,
      and(
        eq(workflowVersions.workflowId, workflows.id),
        eq(workflowVersions.version, workflows.currentVersion),
      ),
    )
    .where(
      and(
        live,
        filter.before ? lt(workflows.id, filter.before) : undefined,
        filter.enabled === undefined ? undefined : eq(workflows.enabled, filter.enabled),
      ),
    )
    .orderBy(desc(workflows.id))
    .limit(rowsForPage(filter.limit));
}

/** The workflow (disabled unless asked) and its version 1; the last statement reads it back. */
export function createWorkflowStatements(
  db: Database,
  me: CallerRef,
  input: WorkflowInput & { enabled: boolean; signingSecret: string },
  ctx: WriteContext,
) {
  const id = newId();
  const now = ctx.now;
  return {
    id,
    statements: [
      db.insert(workflows).values({
        id,
        name: input.name,
        description: input.description ?? null,
        enabled: input.enabled,
        triggerType: input.triggerType,
        currentVersion: 1,
        signingSecret: input.signingSecret,
        createdBy: callerUserId(me),
        createdAt: now,
        updatedAt: now,
      }),
      db.insert(workflowVersions).values({
        workflowId: id,
        version: 1,
        definition: JSON.stringify(input.definition),
        createdBy: callerUserId(me),
        createdAt: now,
      }),
      audit(db, me, "workflow.created", id, ctx, touched(id, now)),
      readWorkflowQuery(db, id),
    ] as const,
  };
}

/**
 * A new version: written only when the workflow is live and (with If-Match) still at `ifMatch`; then the
 * workflow moves to it. Runs already started keep the version they pinned. Results: [version written (0 or 1
 * row), workflow moved (0 or 1 row), the audit entry, the workflow as it is now].
 */
export function updateWorkflowStatements(
  db: Database,
  me: CallerRef,
  id: string,
  input: WorkflowInput,
  ifMatch: number | null,
  ctx: WriteContext,
) {
  const now = ctx.now;
  const applies: SQL = ifMatch === null ? sql`1` : sql`w.current_version = ${ifMatch}`;
  return [
    db.all<{
      version: number;
    }>(sql`insert into ${workflowVersions} (workflow_id, version, definition, created_by, created_at)
      select w.id, w.current_version + 1, ${JSON.stringify(input.definition)}, ${callerUserId(me)}, ${now}
        from ${workflows} w where w.id = ${id} and w.deleted_at is null and ${applies}
      returning version`),
    db
      .update(workflows)
      .set({
        name: input.name,
        description: input.description ?? null,
        triggerType: input.triggerType,
        currentVersion: sql`${workflows.currentVersion} + 1`,
        updatedAt: now,
      })
      .where(
        and(
          eq(workflows.id, id),
          live,
          sql`exists (select 1 from ${workflowVersions} v where v.workflow_id = ${workflows.id}
            and v.version = ${workflows.currentVersion} + 1 and v.created_at = ${now})`,
        ),
      )
      .returning({ id: workflows.id }),
    audit(db, me, "workflow.updated", id, ctx, touched(id, now)),
    readWorkflowQuery(db, id),
  ] as const;
}

/** Turns a live workflow on or off; runs already started go on either way. */
export function setEnabledStatements(
  db: Database,
  me: CallerRef,
  id: string,
  enabled: boolean,
  ctx: WriteContext,
) {
  return [
    db
      .update(workflows)
      .set({ enabled, updatedAt: ctx.now })
      .where(and(eq(workflows.id, id), live)),
    audit(db, me, enabled ? "workflow.enabled" : "workflow.disabled", id, ctx, touched(id, ctx.now)),
    readWorkflowQuery(db, id),
  ] as const;
}

/** Deletes a workflow: it starts nothing more, and its runs in flight stop at their next step. */
export function deleteWorkflowStatements(db: Database, me: CallerRef, id: string, ctx: WriteContext) {
  return [
    db
      .update(workflows)
      .set({ deletedAt: ctx.now, enabled: false, updatedAt: ctx.now })
      .where(and(eq(workflows.id, id), live))
      .returning({ id: workflows.id }),
    audit(db, me, "workflow.deleted", id, ctx, touched(id, ctx.now)),
  ] as const;
}

/** Replaces the secret that signs the workflow's webhook calls; the answer is the only time it is shown. */
export function rotateSecretStatements(
  db: Database,
  me: CallerRef,
  id: string,
  secret: string,
  ctx: WriteContext,
) {
  return [
    db
      .update(workflows)
      .set({ signingSecret: secret, updatedAt: ctx.now })
      .where(and(eq(workflows.id, id), live))
      .returning({ id: workflows.id }),
    audit(db, me, "workflow.secret_rotated", id, ctx, touched(id, ctx.now)),
  ] as const;
}

/** The enabled workflows an event type starts, each with its current version's definition. */
export function workflowsForTriggerQuery(db: Database, triggerType: string) {
  return db
    .select({
      id: workflows.id,
      name: workflows.name,
      version: workflows.currentVersion,
      definition: workflowVersions.definition,
    })
    .from(workflows)
    .innerJoin(
      workflowVersions,
      and(
        eq(workflowVersions.workflowId, workflows.id),
        eq(workflowVersions.version, workflows.currentVersion),
      ),
    )
    .where(and(eq(workflows.triggerType, triggerType), eq(workflows.enabled, true), live));
}
