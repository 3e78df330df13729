// Starting runs from an event: the enabled workflows its type triggers, their trigger settings and conditions
// checked against the event, and one run per workflow and event (the event id is the key, so a redelivery
// starts nothing more). A workflow's own writes do not start it again on the same record (the loop guard), and
// chains of workflows stop at MAX_DEPTH; both are logged as skipped runs with their reason.
import { sql } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { newId } from "../../db/ids.ts";
import { recordQuery, toFacts } from "../../db/workflows/records.ts";
import { insertRunsStatement, type NewRun } from "../../db/workflows/runs.ts";
import { workflowsForTriggerQuery } from "../../db/workflows/workflows.ts";
import type { ConsumerServices } from "../consume.ts";
import { conditionsHold, type Facts } from "./conditions.ts";
import type { Definition } from "./definition.ts";
import { sendSteps } from "./messages.ts";
import { type TriggerEvent, triggerMatches } from "./triggers.ts";
import { parseDefinition } from "./validation.ts";

/** How many workflow runs deep a chain may go: an event caused at this depth starts nothing. */
export const MAX_DEPTH = 5;
/** A run not moved on by then (its step message lost) is looked at by the minute job. */
export const STALL_MS = 10 * 60_000;
/** The trigger event's payload is kept with the run up to this size (the run log shows it). */
const MAX_CONTEXT_CHARS = 32_000;

export const LOOP_GUARD = "loop guard";
export const DEPTH_LIMIT = "depth limit";

export interface Candidate {
  id: string;
  version: number;
  definition: Definition;
}

/** The facts conditions read: the record after, with the event's own data under `event`. */
export function factsOf(event: TriggerEvent, after: Facts | null) {
  return {
    after: { ...(after ?? {}), event: { type: event.type, ...event.data } },
    before: event.before,
  };
}

/** Why a matching workflow must not run for this event, or null. */
export function guardReason(
  workflowId: string,
  event: TriggerEvent,
  causeRecordId: string | null,
): string | null {
  const cause = event.cause;
  if (!cause) return null;
  if (cause.workflowId === workflowId && causeRecordId !== null && causeRecordId === event.recordId) {
    return LOOP_GUARD;
  }
  if ((cause.depth ?? 0) >= MAX_DEPTH) return DEPTH_LIMIT;
  return null;
}

function contextOf(event: TriggerEvent): string {
  const context = JSON.stringify({
    eventId: event.id,
    before: event.before,
    after: event.after,
    data: event.data,
  });
  return context.length <= MAX_CONTEXT_CHARS
    ? context
    : JSON.stringify({ eventId: event.id, truncated: true, data: { ...event.data, payload: undefined } });
}

/** The run rows for the workflows that match, running or skipped with their reason. */
export function plannedRuns(
  candidates: readonly Candidate[],
  event: TriggerEvent,
  after: Facts | null,
  causeRecordId: string | null,
  now: number,
): NewRun[] {
  const facts = factsOf(event, after);
  const runs: NewRun[] = [];
  for (const workflow of candidates) {
    if (!triggerMatches(workflow.definition.trigger, { ...event, after }).matched) continue;
    if (!conditionsHold(workflow.definition.conditions, facts).matched) continue;
    const reason = guardReason(workflow.id, event, causeRecordId);
    runs.push({
      id: newId(),
      workflowId: workflow.id,
      version: workflow.version,
      triggerKey: event.id,
      eventType: event.type,
      recordType: event.recordType,
      recordId: event.recordId,
      status: reason ? "skipped" : "running",
      reason,
      depth: event.cause?.depth ?? 0,
      wakeAt: reason ? null : now + STALL_MS,
      context: contextOf(event),
      startedAt: now,
      updatedAt: now,
      finishedAt: reason ? now : null,
    });
  }
  return runs;
}

function parsed(rows: { id: string; version: number; definition: string }[]): Candidate[] {
  return rows.flatMap((row) => {
    const definition = parseDefinition(row.definition);
    return definition ? [{ id: row.id, version: row.version, definition }] : [];
  });
}

/** Starts the runs an event triggers; returns how many started and how many were skipped by a guard. */
export async function startRuns(
  services: ConsumerServices,
  event: TriggerEvent,
  triggerType: string,
  now = Date.now(),
): Promise<{ started: number; skipped: number }> {
  const db: Database = services.db;
  // Events that carry no record (a form, an inbound webhook) have it read; the cause's run gives its record.
  const readRecord = event.after === null && event.recordType !== null;
  const [workflowRows, recordRows, causeRows] = await db.batch([
    workflowsForTriggerQuery(db, triggerType),
    readRecord ? recordQuery(db, event.recordType, event.recordId) : recordQuery(db, null, null),
    db.all<{ recordId: string | null }>(
      sql`select record_id as recordId from workflow_runs where id = ${event.cause?.runId ?? ""}`,
    ),
  ]);
  const candidates = parsed(workflowRows);
  if (candidates.length === 0) return { started: 0, skipped: 0 };
  const after = readRecord ? toFacts((recordRows as unknown[])[0]) : event.after;
  if (readRecord && (after === null || after.deletedAt)) return { started: 0, skipped: 0 };
  const runs = plannedRuns(candidates, event, after, causeRows[0]?.recordId ?? null, now);
  if (runs.length === 0) return { started: 0, skipped: 0 };
  const written = await insertRunsStatement(db, runs);
  const running = written.filter((row) => row.status === "running").map((row) => row.id);
  await sendSteps(
    services.queues.events,
    running.map((runId) => ({
      data: { runId, step: 0, recordType: event.recordType, recordId: event.recordId },
    })),
    now,
  );
  return { started: running.length, skipped: written.length - running.length };
}
