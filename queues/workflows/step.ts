// Runs one step of a run: reads the run, its pinned version, the step's log row and the record in one round
// trip; does the action; then writes the step's log row (its claim), the action's side effects under that
// claim and the run's next state in one batch, tagged with the run as the cause of the events it makes.
// A step seen before (a redelivery, a retry) finds its claim taken and writes nothing; a step that fails is
// retried with backoff, then fails the run, which can be retried from that step (never from before it).
import type { BatchItem } from "drizzle-orm/batch";
import { withWriteCause } from "../../db/domain-events.ts";
import { newId } from "../../db/ids.ts";
import { type RecordContact, recordContactQuery, recordQuery, toFacts } from "../../db/workflows/records.ts";
import {
  claimedSql,
  claimStepStatement,
  type RunChange,
  runQuery,
  stepQuery,
  updateRunStatement,
} from "../../db/workflows/runs.ts";
import type { ConsumerServices } from "../consume.ts";
import { requestDispatch } from "../domain-events/dispatch.ts";
import {
  type ActionPlan,
  changeTag,
  createTask,
  type StepContext,
  StepError,
  setField,
  setOwner,
} from "./actions.ts";
import { planOwnerByRules } from "./assign.ts";
import { type Action, waitSeconds } from "./definition.ts";
import { MAX_QUEUE_DELAY_SECONDS, type StepMessage, sendSteps } from "./messages.ts";
import { callWebhook, enrol, notify, sendEmail, unenrol } from "./outbound-actions.ts";
import { STALL_MS } from "./start.ts";
import { parseDefinition } from "./validation.ts";

/** Attempts of one step before the run fails (each retry waits longer: 30 s, 1, 2, 4 minutes). */
export const MAX_STEP_ATTEMPTS = 5;

export function stepBackoffSeconds(attempts: number): number {
  return Math.min(30 * 2 ** Math.max(0, attempts - 1), 60 * 60);
}

export type StepOutcome =
  | "done"
  | "skipped"
  | "retrying"
  | "failed"
  | "completed"
  | "cancelled"
  | "already"
  | "not_due"
  | "missing";

async function plan(ctx: StepContext, action: Action): Promise<ActionPlan> {
  switch (action.type) {
    case "create_task":
      return createTask(ctx, action);
    case "send_email":
      return sendEmail(ctx, action);
    case "notify":
      return notify(ctx, action);
    case "set_field":
      return setField(ctx, action);
    case "change_owner":
      return action.userId ? setOwner(ctx, action.userId) : planOwnerByRules(ctx);
    case "add_tag":
      return changeTag(ctx, action.tag, true);
    case "remove_tag":
      return changeTag(ctx, action.tag, false);
    case "enrol_in_sequence":
      return enrol(ctx, action.sequenceId);
    case "remove_from_sequence":
      return unenrol(ctx, action.sequenceId);
    case "call_webhook":
      return callWebhook(ctx, action);
    case "wait":
      return { status: "done", input: { seconds: waitSeconds(action) }, result: null, statements: [] };
  }
}

export async function runStep(
  services: ConsumerServices,
  message: StepMessage,
  now = Date.now(),
): Promise<StepOutcome> {
  const { db } = services;
  const [runRows, stepRows, recordRows, contactRows] = await db.batch([
    runQuery(db, message.runId),
    stepQuery(db, message.runId, message.step),
    recordQuery(db, message.recordType, message.recordId),
    recordContactQuery(db, message.recordType, message.recordId),
  ]);
  const found = runRows[0];
  if (!found) return "missing";
  const { run } = found;
  if (run.status !== "running" && run.status !== "waiting") return "already";
  const definition = parseDefinition(found.definition);
  const next = (change: RunChange) => updateRunStatement(db, run.id, change, now);
  const again = { runId: run.id, recordType: message.recordType, recordId: message.recordId };

  // Done before (a redelivery, a duplicate) or not yet due: nothing to do. Should the delivery that did it
  // have died before sending the next step, the minute job sends it when the run's wake time comes; sending
  // it from here would make duplicates of a step that may call a webhook.
  if (run.nextStep !== message.step) return "already";
  if (run.resumeAt !== null && run.resumeAt > now) {
    // Early (a duplicate, or the queue's delay was shorter): wait again, or leave it to the minute job.
    const seconds = Math.ceil((run.resumeAt - now) / 1000);
    if (seconds <= MAX_QUEUE_DELAY_SECONDS) {
      await sendSteps(
        services.queues.events,
        [{ data: { ...again, step: message.step }, delaySeconds: seconds }],
        now,
      );
    }
    return "not_due";
  }
  const stop = async (status: "cancelled" | "failed", reason: string) => {
    const failed = status === "failed" ? { error: reason, failedStep: message.step } : {};
    await db.batch([next({ status, reason, ...failed, wakeAt: null, finishedAt: now })]);
    return status;
  };
  if (found.workflowDeletedAt !== null) return stop("cancelled", "workflow deleted");
  if (!definition) return stop("failed", "the workflow version no longer passes validation");
  const action = definition.actions[message.step];
  if (!action) {
    await db.batch([next({ status: "completed", wakeAt: null, resumeAt: null, finishedAt: now })]);
    return "completed";
  }
  const record = toFacts((recordRows as unknown[])[0]);
  if (message.recordId !== null && (!record || record.deletedAt !== null))
    return stop("cancelled", "record deleted");

  const claim = newId();
  const ctx: StepContext = {
    services,
    db,
    run,
    workflow: { id: run.workflowId, name: found.workflowName, signingSecret: found.signingSecret },
    step: message.step,
    record,
    recordType: message.recordType,
    contact: (contactRows[0] as RecordContact | undefined) ?? null,
    claimed: claimedSql(run.id, message.step, claim),
    now,
  };
  const attempts = (stepRows[0]?.attempts ?? 0) + 1;
  let planned: ActionPlan;
  try {
    planned = await plan(ctx, action);
  } catch (error) {
    return fail(ctx, action, claim, error, attempts, again);
  }

  const last = message.step + 1 >= definition.actions.length;
  const wait = action.type === "wait" ? waitSeconds(action) : 0;
  const resumeAt = wait > 0 ? now + wait * 1000 : null;
  const change: RunChange = last
    ? { status: "completed", nextStep: message.step + 1, wakeAt: null, resumeAt: null, finishedAt: now }
    : {
        status: resumeAt === null ? "running" : "waiting",
        nextStep: message.step + 1,
        resumeAt,
        // A wait the queue can hold is sent delayed, with the usual backstop after it; a longer one is
        // woken by the minute job when it ends.
        wakeAt:
          resumeAt === null
            ? now + STALL_MS
            : wait <= MAX_QUEUE_DELAY_SECONDS
              ? resumeAt + STALL_MS
              : resumeAt,
      };
  const statements: BatchItem<"sqlite">[] = [
    claimStepStatement(db, {
      runId: run.id,
      step: message.step,
      action: action.type,
      status: planned.status,
      claim,
      input: planned.input,
      result: planned.result,
      now,
    }),
    ...planned.statements,
    updateRunStatement(db, run.id, change, now, ctx.claimed),
  ];
  const cause = { workflowId: run.workflowId, runId: run.id, depth: run.depth + 1 };
  try {
    await db.batch(withWriteCause(db, cause, statements) as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
  } catch (error) {
    return fail(ctx, action, claim, error, attempts, again);
  }
  // The events the step's writes recorded go out now rather than at the next minute.
  if (planned.statements.length > 0)
    await requestDispatch(services.queues.events, now).catch(() => undefined);
  if (!last && (resumeAt === null || wait <= MAX_QUEUE_DELAY_SECONDS)) {
    await sendSteps(
      services.queues.events,
      [{ data: { ...again, step: message.step + 1 }, ...(wait > 0 ? { delaySeconds: wait } : {}) }],
      now,
    );
  }
  return last ? "completed" : planned.status;
}

/**
 * Records a failed attempt on the step's log row (never over a step that was done), then either retries the
 * step after a backoff or, when the error is final or the attempts are used up, fails the run at this step.
 */
async function fail(
  ctx: StepContext,
  action: Action,
  claim: string,
  error: unknown,
  attempts: number,
  again: Omit<StepMessage, "step">,
): Promise<StepOutcome> {
  const { db, run, step, now } = ctx;
  const message = describeError(error);
  // The run id, step and what went wrong; never the action's settings (a webhook URL may hold a token).
  console.warn(JSON.stringify({ level: "warn", engine: "workflows", runId: run.id, step, error: message }));
  const retryable = error instanceof StepError ? error.retryable : true;
  const final = !retryable || attempts >= MAX_STEP_ATTEMPTS;
  const delay = stepBackoffSeconds(attempts);
  // The run changes only when this failure is what the step's log row holds: should the batch have been
  // written after all (its answer lost), the step is done and the run stays as that batch left it.
  const change: RunChange = final
    ? { status: "failed", failedStep: step, error: message, wakeAt: null, finishedAt: now }
    : { wakeAt: now + delay * 1000 + STALL_MS };
  await db.batch([
    claimStepStatement(db, {
      runId: run.id,
      step,
      action: action.type,
      status: "failed",
      claim,
      input: null,
      result: null,
      error: message,
      now,
    }),
    updateRunStatement(db, run.id, change, now, claimedSql(run.id, step, claim, "failed")),
  ]);
  if (!final)
    await sendSteps(ctx.services.queues.events, [{ data: { ...again, step }, delaySeconds: delay }], now);
  return final ? "failed" : "retrying";
}

/**
 * What went wrong, for the run log and the console: a StepError's own words, or the database's (a failed
 * query's message would repeat its SQL and parameters, which hold the record's data and the action's settings).
 */
function describeError(error: unknown): string {
  if (error instanceof StepError) return error.message;
  let innermost: unknown = error;
  while (innermost instanceof Error && innermost.cause instanceof Error) innermost = innermost.cause;
  const text = innermost instanceof Error ? `${innermost.name}: ${innermost.message}` : String(innermost);
  return text.split("\n")[0]?.slice(0, 500) ?? "error";
}
