// The domain events' queue messages: what the triggers of migration 0018 record, as engines receive it.
import { z } from "zod";
import { TRIGGERED_EVENT_TYPES } from "../../db/domain-event-triggers.ts";
import type { DomainEventRow } from "../../db/domain-events.ts";
import type { QueueMessage } from "../message.ts";

/** Every domain event type (contact.created, deal.stage_changed, task.due, activity.created, …). */
export const DOMAIN_EVENT_TYPES: readonly string[] = TRIGGERED_EVENT_TYPES;

export const RECORD_TYPES = ["contact", "company", "deal", "task", "activity"] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

const Fields = z.record(z.string(), z.unknown());

export const DomainEventSchema = z.object({
  seq: z.number().int(),
  recordType: z.enum(RECORD_TYPES),
  recordId: z.string(),
  before: Fields.nullable(),
  after: Fields.nullable(),
  cause: z
    .object({
      actorId: z.string().optional(),
      workflowId: z.string().optional(),
      runId: z.string().optional(),
      depth: z.number().int().optional(),
    })
    .nullable(),
});
export type DomainEvent = z.infer<typeof DomainEventSchema>;

/** The id a domain event has on the queue: the same however often it is dispatched. */
export function domainEventMessageId(seq: number): string {
  return `evt_${seq}`;
}

export function toQueueMessage(row: DomainEventRow): QueueMessage {
  const { before = null, after = null } = JSON.parse(row.data) as { before?: unknown; after?: unknown };
  const data: DomainEvent = {
    seq: row.seq,
    recordType: row.recordType as RecordType,
    recordId: row.recordId,
    before: before as DomainEvent["before"],
    after: after as DomainEvent["after"],
    cause: row.cause === null ? null : (JSON.parse(row.cause) as DomainEvent["cause"]),
  };
  return { id: domainEventMessageId(row.seq), type: row.type, createdAt: row.createdAt, data };
}

/** The message that asks the events consumer to dispatch what is waiting (sent after writes). */
export const DISPATCH_EVENTS = "domain_events.dispatch";
