// Rows as the API answers them: steps parsed, and an enrolment's next due time worked out in its owner's zone.
import type { SequenceRow } from "../../../db/sequences/sequences.ts";
import type { EnrolmentRow } from "../../../db/sequences/views.ts";
import { enrolmentZone, stepDueAt } from "../../../queues/sequences/schedule.ts";
import { parseSteps } from "../../../queues/sequences/steps.ts";

export function toSequence(row: SequenceRow) {
  return { ...row, enabled: Boolean(row.enabled), steps: parseSteps(row.steps) ?? [] };
}

export function toEnrolment(row: EnrolmentRow) {
  const waiting = row.status === "active" && Boolean(row.sequenceEnabled) && row.nextDelay !== null;
  return {
    id: row.id,
    sequenceId: row.sequenceId,
    sequenceName: row.sequenceName,
    contactId: row.contactId,
    contactName: row.contactName,
    status: row.status,
    currentStep: row.currentStep,
    totalSteps: row.totalSteps,
    nextStepAt: waiting
      ? stepDueAt(row.stepBaseAt, row.nextDelay ?? 0, enrolmentZone(row.ownerTimeZone, row.orgTimeZone))
      : null,
    enrolledAt: row.enrolledAt,
    enrolledBy: row.enrolledBy,
    stoppedAt: row.stoppedAt,
    stopReason: row.stopReason,
    completedAt: row.completedAt,
    steps: JSON.parse(row.runs) as {
      step: number;
      type: "email" | "task";
      outcome: "sent" | "created" | "skipped" | "pending";
      detail: string | null;
      outboxId: string | null;
      taskId: string | null;
      ranAt: number;
    }[],
  };
}
