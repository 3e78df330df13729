// The sequence runner: leases due enrolments, works out for each whether its step is due (business days in
// the owner's time zone), and runs the due steps in one batch. Three round trips per chunk: what the leased
// enrolments need, the rendered emails (to tell an unsubscribed contact from a skipped email), the writes.
// Exactly once comes from the step's key (db/sequences/runs.ts), not from the lease, which only keeps two
// runners from doing the same reading twice.

import { sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Database } from "../../db/client.ts";
import { newId } from "../../db/ids.ts";
import type { StopReason } from "../../db/schema/index.ts";
import { stopEnrolmentsStatements } from "../../db/sequences/enrolments.ts";
import {
  advanceStatement,
  claimStepStatement,
  completeStatements,
  emailOutcomeStatement,
  type LeasedEnrolment,
  leaseDueStatement,
  leasedEnrolmentsQuery,
  releaseStatement,
  type StepRef,
  stepClaimed,
  stepDoneActivityStatement,
  stepTaskStatement,
} from "../../db/sequences/runs.ts";
import {
  type EmailRefusal,
  type EmailRequest,
  emailRefusal,
  renderedEmailQueryFor,
  templateEmailStatements,
} from "../../db/templates/send.ts";
import { enrolmentZone, stepDueAt, taskDueAt } from "./schedule.ts";
import { parseSteps, type SequenceStep } from "./steps.ts";

const DAY = 24 * 60 * 60_000;

/** Why an email step was skipped, as the timeline says it. */
const SKIPPED: Readonly<Partial<Record<EmailRefusal, string>>> = {
  template: "the email template was deleted",
  no_email: "the contact has no email address",
  no_consent: "no email consent recorded for a marketing email",
  deal: "the deal is gone",
};
const REFUSED_AT_SEND = "the contact could no longer be emailed when the step ran";

/** What a run does with one leased enrolment. */
export type Action =
  | { kind: "wait"; until: number }
  | { kind: "stop"; reason: StopReason }
  | { kind: "complete" }
  | { kind: "run"; step: SequenceStep; total: number; zone: string; next: SequenceStep | null };

/** The decision for one enrolment at `now`, from what was read. */
export function decide(row: LeasedEnrolment, now: number): Action {
  if (row.sequenceDeleted) return { kind: "stop", reason: "sequence_deleted" };
  if (row.contactDeleted) return { kind: "stop", reason: "contact_deleted" };
  const steps = parseSteps(row.steps);
  if (steps === null) {
    // Written by another version of the schema: wait rather than guess, and say so.
    console.error(
      JSON.stringify({ level: "error", sequenceId: row.sequenceId, error: "Unreadable sequence steps" }),
    );
  }
  // Disabled (or unreadable): look again in a day; enabling the sequence wakes its enrolments at once.
  if (!row.enabled || steps === null) return { kind: "wait", until: now + DAY };
  const step = steps[row.step];
  if (!step) return { kind: "complete" };
  const zone = enrolmentZone(row.ownerTimeZone, row.orgTimeZone);
  const due = stepDueAt(row.stepBaseAt, step.delayDays, zone);
  if (due > now) return { kind: "wait", until: due };
  return { kind: "run", step, total: steps.length, zone, next: steps[row.step + 1] ?? null };
}

export interface Planned {
  row: LeasedEnrolment;
  action: Action;
  /** For an email step: why it cannot go, as read just before the batch (null: it can). */
  refusal?: EmailRefusal | null;
}

/** Reads the leased enrolments and decides for each; email steps have their email rendered to check it. */
export async function planRun(db: Database, claim: string, ids: readonly string[], now: number) {
  if (ids.length === 0) return [];
  const [rows] = await db.batch([leasedEnrolmentsQuery(db, claim, ids)]);
  const planned: Planned[] = rows.map((row) => ({ row, action: decide(row, now) }));
  const emails = planned.flatMap((p) =>
    p.action.kind === "run" && p.action.step.type === "email" ? [{ p, request: emailRequest(p) }] : [],
  );
  const [first, ...rest] = emails.map(({ request }) => renderedEmailQueryFor(db, request, () => sql`1`));
  if (!first) return planned;
  const rendered = await db.batch([first, ...rest]);
  emails.forEach(({ p, request }, i) => {
    p.refusal = emailRefusal(rendered[i]?.[0], request);
    if (p.refusal === "unsubscribed") p.action = { kind: "stop", reason: "unsubscribed" };
    if (p.refusal === "contact") p.action = { kind: "stop", reason: "contact_deleted" };
  });
  return planned;
}

function emailRequest(p: Planned): EmailRequest {
  const step = p.action.kind === "run" ? p.action.step : null;
  if (step?.type !== "email") throw new Error("not an email step");
  return { contactId: p.row.contactId, templateId: step.templateId, lang: step.lang };
}

/** The statements that carry out one enrolment's decision. */
function statementsFor(db: Database, claim: string, p: Planned, now: number): BatchItem<"sqlite">[] {
  const { row, action } = p;
  const ref: StepRef = {
    enrolmentId: row.id,
    step: row.step,
    claim: newId(),
    sequenceId: row.sequenceId,
    contactId: row.contactId,
  };
  switch (action.kind) {
    case "wait":
      return [releaseStatement(db, row.id, claim, action.until, now)];
    case "stop":
      return stopEnrolmentsStatements(
        db,
        { where: sql`en.id = ${row.id}`, reason: action.reason, actor: sql`null` },
        now,
      );
    case "complete":
      return completeStatements(db, ref, { afterStep: false }, now);
    case "run": {
      const effect = stepEffect(db, ref, action, p.refusal ?? null, now);
      // Made before the ending's entry, so that its id (and so the timeline's order) comes first.
      const done = stepDoneActivityStatement(db, ref, action.total, now);
      const after = action.next
        ? [advanceStatement(db, ref, stepDueAt(now, action.next.delayDays, action.zone), now)]
        : completeStatements(db, ref, { afterStep: true }, now);
      return [
        ...effect,
        done,
        ...after,
        // Another runner ran this step first: the lease is still ours to give back.
        releaseStatement(db, row.id, claim, now, now),
      ];
    }
  }
}

/** The claim and the step's side effect: the email (through the templates' send path) or the task. */
function stepEffect(
  db: Database,
  ref: StepRef,
  action: Extract<Action, { kind: "run" }>,
  refusal: EmailRefusal | null,
  now: number,
): BatchItem<"sqlite">[] {
  const { step } = action;
  if (step.type === "task") {
    const taskId = newId();
    return [
      claimStepStatement(db, ref, { type: "task", outcome: "created", taskId }, now),
      stepTaskStatement(
        db,
        ref,
        {
          id: taskId,
          title: step.title,
          notes: step.notes ?? null,
          priority: step.priority,
          dueAt: taskDueAt(now, step.dueInDays, action.zone),
        },
        now,
      ),
    ];
  }
  if (refusal !== null) {
    const detail = SKIPPED[refusal] ?? REFUSED_AT_SEND;
    return [claimStepStatement(db, ref, { type: "email", outcome: "skipped", detail }, now)];
  }
  const send = templateEmailStatements(
    db,
    { contactId: ref.contactId, templateId: step.templateId, lang: step.lang },
    now,
    {
      actor: sql`null`,
      visible: () => sql`1`,
      when: stepClaimed(ref),
      metadata: { sequenceId: ref.sequenceId, enrolmentId: ref.enrolmentId, sequenceStep: String(ref.step) },
    },
  );
  return [
    claimStepStatement(db, ref, { type: "email", outcome: "pending" }, now),
    ...send.statements,
    emailOutcomeStatement(db, ref, send.outboxId, REFUSED_AT_SEND),
  ];
}

type Items = [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]];

/**
 * Carries out a plan in one batch; returns how many steps it tried (a step another runner ran counts too).
 * Should the batch fail, each enrolment is tried in a batch of its own, so that one that cannot be written
 * (it is logged, and its lease lapses for a later run to try again) does not hold the others back.
 */
export async function executeRun(db: Database, claim: string, planned: readonly Planned[], now: number) {
  const each = planned.map((p) => statementsFor(db, claim, p, now));
  const all = each.flat();
  if (all.length === 0) return 0;
  try {
    await db.batch(all as Items);
  } catch (error) {
    if (each.length === 1) throw error;
    const outcomes = await Promise.allSettled(each.map((statements) => db.batch(statements as Items)));
    // Nothing went through (the database is away, say): the run failed, and its log should say so.
    if (outcomes.every((o) => o.status === "rejected")) throw error;
    outcomes.forEach((outcome, i) => {
      if (outcome.status === "fulfilled") return;
      const reason = outcome.reason instanceof Error ? outcome.reason.message : String(outcome.reason);
      console.error(JSON.stringify({ level: "error", enrolmentId: planned[i]?.row.id, error: reason }));
    });
  }
  return planned.filter((p) => p.action.kind === "run").length;
}

/** Runs the leased enrolments: read, decide, write. */
export async function runLeased(db: Database, claim: string, ids: readonly string[], now: number) {
  return executeRun(db, claim, await planRun(db, claim, ids, now), now);
}

/** Leases up to `limit` due enrolments under a fresh claim. */
export async function leaseDue(db: Database, now: number, limit: number) {
  const claim = newId();
  const rows = await leaseDueStatement(db, claim, now, limit);
  return { claim, ids: rows.map((row) => row.id) };
}
