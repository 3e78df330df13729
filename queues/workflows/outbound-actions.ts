// Actions that reach people and other systems: a templated email (consent respected, through the templates'
// send path), a notification (the user's channels), enrolment in a sequence and removal from it, and a call to
// an outgoing webhook (SSRF-guarded, signed per Standard Webhooks, with a timeout).
import { sql } from "drizzle-orm";
import { outbox, workflowSteps } from "../../db/schema/index.ts";
import { enrolStatements, unenrolStatements } from "../../db/sequences/enrolments.ts";
import { emailRefusal, renderedEmailQueryFor, templateEmailStatements } from "../../db/templates/send.ts";
import { notifyStatements } from "../outbound/notify.ts";
import { standardWebhookHeaders } from "../webhooks-out/sign.ts";
import { checkTarget } from "../webhooks-out/target-guard.ts";
import { type ActionPlan, fill, recipient, type StepContext, StepError, skipped } from "./actions.ts";
import type { Action } from "./definition.ts";

/** The notification kind of a workflow's notify action. */
export const WORKFLOW_NOTIFICATION_KIND = "workflow";

const everyone = () => sql`1`;

/**
 * The email goes to the record's contact when the template's rules allow it: a marketing template only with
 * consent. A refusal that the contact can fix (no address, no consent, unsubscribed) skips the step and the run
 * goes on; a template that is gone fails the run. The send re-checks in the batch itself: should consent be
 * withdrawn in between, nothing is sent and the step says so.
 */
export async function sendEmail(ctx: StepContext, action: Extract<Action, { type: "send_email" }>) {
  const input = { templateId: action.templateId, lang: action.lang, contactId: ctx.contact?.id ?? null };
  if (!ctx.contact) return skipped(input, "no contact");
  const dealId = ctx.recordType === "deal" ? ctx.record?.id : undefined;
  const request = { contactId: ctx.contact.id, templateId: action.templateId, dealId, lang: action.lang };
  const [row] = await renderedEmailQueryFor(ctx.db, request, everyone);
  const refusal = emailRefusal(row, request);
  if (refusal === "template") throw new StepError(`email template ${action.templateId} was not found`, false);
  if (refusal === "contact" || refusal === "deal") return skipped(input, `the ${refusal} is gone`);
  if (refusal) return skipped(input, refusal);
  const { outboxId, activityId, statements } = templateEmailStatements(ctx.db, request, ctx.now, {
    actor: sql`null`,
    visible: everyone,
    when: ctx.claimed,
    metadata: { workflowId: ctx.workflow.id, runId: ctx.run.id },
  });
  const [, ...writes] = statements;
  const notSent = sql`not exists (select 1 from ${outbox} where ${outbox.id} = ${outboxId})`;
  return {
    status: "done",
    input,
    result: { outboxId, activityId, subject: row?.subject ?? null },
    statements: [
      ...writes,
      ctx.db.run(sql`update ${workflowSteps} set status = 'skipped',
          result = json_object('skipped', 'consent changed before sending')
        where run_id = ${ctx.run.id} and step = ${ctx.step} and ${ctx.claimed} and ${notSent}`),
    ],
  } satisfies ActionPlan;
}

export async function notify(
  ctx: StepContext,
  action: Extract<Action, { type: "notify" }>,
): Promise<ActionPlan> {
  const userId = await recipient(ctx, action.to);
  const title = fill(action.title, ctx).slice(0, 300);
  const body = action.body === undefined ? `Workflow “${ctx.workflow.name}”` : fill(action.body, ctx);
  const link = ctx.recordType && ctx.record ? `/${ctx.recordType}s/${ctx.record.id}` : undefined;
  return {
    status: "done",
    input: { userId, title, body },
    result: { userId },
    statements: notifyStatements(
      ctx.db,
      {
        userId,
        kind: WORKFLOW_NOTIFICATION_KIND,
        title,
        body,
        link,
        contactId: ctx.contact?.id,
        // Keyed by run and step: a repeat of the step notifies nobody twice, whatever its claim.
        dedupeKey: `workflow:${ctx.run.id}:${ctx.step}`,
        when: ctx.claimed,
        template: `workflow:${ctx.workflow.id}`,
      },
      ctx.now,
    ),
  };
}

/** The cause a sequence keeps with an enrolment a workflow made. */
function causeOf(ctx: StepContext) {
  return { workflowId: ctx.workflow.id, runId: ctx.run.id, depth: ctx.run.depth + 1 };
}

export function enrol(ctx: StepContext, sequenceId: string): ActionPlan {
  const input = { sequenceId, contactId: ctx.contact?.id ?? null };
  if (!ctx.contact) return skipped(input, "no contact");
  return {
    status: "done",
    input,
    result: { contactId: ctx.contact.id },
    // A contact already in the sequence is not enrolled again (the sequences' unique index), so a repeat of the
    // step is a no-op even without the claim.
    statements: enrolStatements(
      ctx.db,
      { sequenceId, contactId: ctx.contact.id, enrolledBy: null, cause: causeOf(ctx) },
      ctx.now,
    ),
  };
}

export function unenrol(ctx: StepContext, sequenceId: string | undefined): ActionPlan {
  const input = { sequenceId: sequenceId ?? null, contactId: ctx.contact?.id ?? null };
  if (!ctx.contact) return skipped(input, "no contact");
  return {
    status: "done",
    input,
    result: { contactId: ctx.contact.id },
    statements: unenrolStatements(
      ctx.db,
      { sequenceId, contactId: ctx.contact.id, reason: "workflow" },
      ctx.now,
    ),
  };
}

/** Statuses worth another attempt: the receiver may answer differently later. */
const RETRYABLE_STATUS = new Set([408, 425, 429]);

/**
 * Calls the webhook before the step's batch (a call cannot be taken back, so it is at least once): the
 * `webhook-id` and `Idempotency-Key` headers are the same on every attempt of this step, for the receiver to
 * drop repeats. A 2xx is done; a timeout, a network error, 408/425/429 or a 5xx is retried with backoff; any
 * other answer, or a target the SSRF guard refuses, fails the run.
 */
export async function callWebhook(ctx: StepContext, action: Extract<Action, { type: "call_webhook" }>) {
  const input = { url: action.url, timeoutSeconds: action.timeoutSeconds };
  const target = checkTarget(action.url, ctx.services.config.WEBHOOKS_ALLOW_PRIVATE_TARGETS);
  if (!target.ok) throw new StepError(`webhook target refused: ${target.reason}`, false);
  const id = `wf_${ctx.run.id}_${ctx.step}`;
  const body = JSON.stringify({
    type: "workflow.webhook",
    timestamp: new Date(ctx.now).toISOString(),
    data: {
      workflow: { id: ctx.workflow.id, name: ctx.workflow.name, version: ctx.run.version },
      run: { id: ctx.run.id, step: ctx.step, eventType: ctx.run.eventType },
      record: ctx.record ? { type: ctx.recordType, ...ctx.record } : null,
    },
  });
  const headers = {
    "Content-Type": "application/json",
    "User-Agent": "edge-crm-workflows",
    "Idempotency-Key": id,
    ...(await standardWebhookHeaders({ id, at: Date.now(), body, secrets: [ctx.workflow.signingSecret] })),
  };
  const started = Date.now();
  let response: Response;
  try {
    response = await fetch(action.url, {
      method: "POST",
      headers,
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(action.timeoutSeconds * 1000),
    });
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
    throw new StepError(timedOut ? `no answer within ${action.timeoutSeconds} s` : "network error", true);
  }
  // The body is not kept: it is the receiver's, and may be large.
  await response.body?.cancel();
  const ms = Date.now() - started;
  if (response.status >= 200 && response.status < 300) {
    return {
      status: "done",
      input,
      result: { status: response.status, ms },
      statements: [],
    } satisfies ActionPlan;
  }
  const retryable = response.status >= 500 || RETRYABLE_STATUS.has(response.status);
  throw new StepError(`the webhook answered ${response.status}`, retryable);
}
