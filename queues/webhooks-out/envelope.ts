// What a receiver gets: the Standard Webhooks envelope `{ type, timestamp, data }`. data names the record
// (`object`, `id`), carries it (`record`: the record after the change, or as it was when it is gone) and, for
// a change to an existing record, `previous` (the record before). `sequence` counts the subscription's
// deliveries from 1 with no gaps, so a receiver can put events back in order; `eventId` is the same for every
// subscription that receives the event.

import { z } from "zod";
import { FORM_SUBMITTED_EVENT } from "../capture/message.ts";
import { DOMAIN_EVENT_TYPES, DomainEventSchema } from "../domain-events/types.ts";
import type { QueueMessage } from "../message.ts";

/** An event as kept in webhook_events: the envelope's data less the sequence and event id. */
export interface WebhookEvent {
  id: string;
  type: string;
  occurredAt: number;
  data: EventData;
}

export interface EventData {
  object: string;
  id: string;
  record: Record<string, unknown> | null;
  previous?: Record<string, unknown>;
}

const FormSubmittedSchema = z.object({
  formId: z.string(),
  submissionId: z.string(),
  contactId: z.string().nullable(),
  dealId: z.string().nullable(),
  receivedAt: z.number().int(),
  utm: z.record(z.string(), z.unknown()).optional(),
});

const DOMAIN = new Set(DOMAIN_EVENT_TYPES);

/** The event a queue message carries, in the shape kept for webhooks; throws when its data is malformed. */
export function webhookEventOf(message: QueueMessage): WebhookEvent {
  if (message.type === FORM_SUBMITTED_EVENT) {
    const form = FormSubmittedSchema.parse(message.data);
    return {
      id: message.id,
      type: message.type,
      occurredAt: message.createdAt,
      data: { object: "form_submission", id: form.submissionId, record: form },
    };
  }
  if (!DOMAIN.has(message.type)) throw new Error(`Not an event webhooks carry: ${message.type}`);
  const event = DomainEventSchema.parse(message.data);
  return {
    id: message.id,
    type: message.type,
    occurredAt: message.createdAt,
    data: {
      object: event.recordType,
      id: event.recordId,
      record: event.after ?? event.before,
      ...(event.after && event.before ? { previous: event.before } : {}),
    },
  };
}

/** The body of a delivery: the same bytes on every attempt, since it is built from what was kept. */
export function envelopeBody(event: {
  id: string;
  type: string;
  occurredAt: number;
  data: string;
  sequence: number;
}): string {
  const data = JSON.parse(event.data) as EventData;
  return JSON.stringify({
    type: event.type,
    timestamp: new Date(event.occurredAt).toISOString(),
    data: { sequence: event.sequence, eventId: event.id, ...data },
  });
}
