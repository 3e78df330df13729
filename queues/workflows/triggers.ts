// Which events start which workflows: a queue message (a domain event, a form submission, an inbound webhook
// event) as one shape, and whether a trigger's settings (the stages, the form, the changed fields) match it.
import { z } from "zod";
import { FORM_SUBMITTED_EVENT } from "../capture/message.ts";
import type { QueueMessage } from "../message.ts";
import { WEBHOOK_EVENT, WebhookEventSchema } from "../webhooks-in/messages.ts";
import { type Facts, valueAt } from "./conditions.ts";
import type { Trigger, WorkflowRecordType } from "./definition.ts";

export interface Cause {
  workflowId?: string | undefined;
  runId?: string | undefined;
  depth?: number | undefined;
}

/** An event as the workflow engine reads it, whatever queue message it came as. */
export interface TriggerEvent {
  /** The message id: the key that makes one run per workflow and event. */
  id: string;
  type: string;
  recordType: WorkflowRecordType | null;
  recordId: string | null;
  /** The record before and after; `after` is null when the event does not carry it (read it instead). */
  before: Facts | null;
  after: Facts | null;
  /** The event's own data: the form and submission, the webhook source, type and payload. */
  data: Record<string, unknown>;
  cause: Cause | null;
}

/** The domain events (db/domain-event-triggers.ts) that can start a workflow. */
export const RECORD_EVENT_TYPES = [
  "contact.created",
  "contact.updated",
  "contact.lifecycle_changed",
  "contact.grade_changed",
  "company.created",
  "company.updated",
  "deal.created",
  "deal.updated",
  "deal.stage_changed",
  "task.created",
  "task.updated",
  "task.due",
] as const;

const Fields = z.record(z.string(), z.unknown());
const DomainEventData = z.object({
  recordType: z.enum(["contact", "company", "deal", "task"]),
  recordId: z.string(),
  before: Fields.nullable(),
  after: Fields.nullable(),
  cause: z
    .object({ workflowId: z.string().optional(), runId: z.string().optional(), depth: z.number().optional() })
    .nullable()
    .default(null),
});
const FormSubmitted = z.object({
  formId: z.string(),
  contactId: z.string(),
  submissionId: z.string().optional(),
});

/** Reads a queue message as a trigger event; throws on data that does not fit its type (a dead letter). */
export function toTriggerEvent(message: QueueMessage): TriggerEvent {
  if (message.type === FORM_SUBMITTED_EVENT) {
    const data = FormSubmitted.passthrough().parse(message.data);
    return { ...base(message), recordType: "contact", recordId: data.contactId, data };
  }
  if (message.type === WEBHOOK_EVENT) {
    const data = WebhookEventSchema.parse(message.data);
    return {
      ...base(message),
      recordType: data.contactId ? "contact" : null,
      recordId: data.contactId,
      data,
    };
  }
  const event = DomainEventData.parse(message.data);
  return {
    ...base(message),
    recordType: event.recordType,
    recordId: event.recordId,
    before: event.before,
    after: event.after,
    cause: event.cause,
  };
}

function base(message: QueueMessage) {
  return { id: message.id, type: message.type, before: null, after: null, data: {}, cause: null };
}

export interface TriggerMatch {
  matched: boolean;
  /** Why not (or, in a dry run, what could not be checked). */
  detail: string | null;
}

const yes = (detail: string | null = null): TriggerMatch => ({ matched: true, detail });
const no = (detail: string): TriggerMatch => ({ matched: false, detail });

function inList(list: readonly string[] | undefined, value: unknown, what: string): TriggerMatch | null {
  if (!list) return null;
  return list.some((item) => String(item).toLowerCase() === String(value ?? "").toLowerCase())
    ? null
    : no(`${what} is ${JSON.stringify(value ?? null)}, not one of ${list.join(", ")}`);
}

/**
 * Whether the trigger's own settings match an event of its type. Checks that need the record's before are
 * passed over when the event has none (a dry run without one), and the detail says so.
 */
export function triggerMatches(trigger: Trigger, event: TriggerEvent): TriggerMatch {
  const after = event.after;
  const before = event.before;
  const unchecked = before === null ? "no before was given, so what it changed from is not checked" : null;
  switch (trigger.type) {
    case "record.created":
    case "task.overdue":
    case "date":
      return yes();
    case "record.updated": {
      if (!trigger.fields) return yes();
      if (before === null) return yes(unchecked);
      const changed = trigger.fields.filter(
        (field) =>
          JSON.stringify(valueAt(before, field) ?? null) !== JSON.stringify(valueAt(after, field) ?? null),
      );
      return changed.length > 0 ? yes() : no(`none of ${trigger.fields.join(", ")} changed`);
    }
    case "deal.stage_changed":
      return (
        inList(
          trigger.pipelineId ? [trigger.pipelineId] : undefined,
          valueAt(after, "pipelineId"),
          "the pipeline",
        ) ??
        inList(trigger.toStageIds, valueAt(after, "stageId"), "the new stage") ??
        (before === null
          ? yes(trigger.fromStageIds ? unchecked : null)
          : (inList(trigger.fromStageIds, valueAt(before, "stageId"), "the previous stage") ?? yes()))
      );
    case "contact.lifecycle_changed":
      return (
        inList(trigger.to, valueAt(after, "lifecycleStage"), "the new lifecycle stage") ??
        (before === null
          ? yes(trigger.from ? unchecked : null)
          : (inList(trigger.from, valueAt(before, "lifecycleStage"), "the previous lifecycle stage") ??
            yes()))
      );
    case "contact.grade_changed":
      return inList(trigger.to, valueAt(after, "grade"), "the new grade") ?? yes();
    case "form.submitted":
      return inList(trigger.formId ? [trigger.formId] : undefined, event.data.formId, "the form") ?? yes();
    case "webhook.event":
      return (
        inList(trigger.sourceId ? [trigger.sourceId] : undefined, event.data.sourceId, "the source") ??
        inList(trigger.eventType ? [trigger.eventType] : undefined, event.data.eventType, "the event type") ??
        yes()
      );
  }
}
