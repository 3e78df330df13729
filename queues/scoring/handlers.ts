// The scoring engine on the events queue: an engagement event (or a form submission) is recorded once in the
// ledger and the contact recomputed (queues/scoring/score-events.ts), a queue batch's events together; the
// recompute fan-out's plan and chunk messages (queues/scoring/fanout.ts). The clock is injectable for tests
// and the bench.

import type { EngagementEventInput } from "../../db/scoring/state.ts";
import { FORM_SUBMITTED_EVENT } from "../capture/message.ts";
import { type MessageHandler, type MessageHandlers, withBatch } from "../consume.ts";
import type { QueueMessage } from "../message.ts";
import { planRecompute, recomputeChunk } from "./fanout.ts";
import {
  ENGAGEMENT_RECORDED_EVENT,
  EngagementRecordedSchema,
  FormSubmittedSchema,
  RECOMPUTE_CHUNK,
  RECOMPUTE_PLAN,
  RecomputeChunkSchema,
  RecomputePlanSchema,
} from "./messages.ts";
import { scoreEvent, scoreEvents } from "./score-events.ts";

export type Clock = () => number;

const formEvent = (message: QueueMessage): EngagementEventInput => {
  const data = FormSubmittedSchema.parse(message.data);
  return {
    eventId: message.id,
    contactId: data.contactId,
    kind: "form_submitted",
    at: data.receivedAt,
    formId: data.formId,
  };
};

const engagementEvent = (message: QueueMessage): EngagementEventInput => {
  const data = EngagementRecordedSchema.parse(message.data);
  return {
    eventId: data.eventId,
    contactId: data.contactId,
    kind: data.kind,
    at: data.at,
    formId: data.formId ?? null,
  };
};

/** An event type's handler: one by one, or a queue batch's together (a message that does not parse fails alone). */
function eventHandler(
  toEvent: (message: QueueMessage) => EngagementEventInput,
  clock: Clock,
): MessageHandler {
  return withBatch(
    async (message, { db }) => {
      await scoreEvent(db, toEvent(message), clock());
    },
    async (messages, { db }) => {
      const parsed = messages.map((message): PromiseSettledResult<EngagementEventInput> => {
        try {
          return { status: "fulfilled", value: toEvent(message) };
        } catch (reason) {
          return { status: "rejected", reason };
        }
      });
      const events = parsed.flatMap((p) => (p.status === "fulfilled" ? [p.value] : []));
      const scored = await scoreEvents(db, events, clock());
      let next = 0;
      return parsed.map((p) => (p.status === "fulfilled" ? (scored[next++] ?? p) : p));
    },
  );
}

export function scoringHandlers(clock: Clock = Date.now): MessageHandlers {
  return {
    [FORM_SUBMITTED_EVENT]: eventHandler(formEvent, clock),
    [ENGAGEMENT_RECORDED_EVENT]: eventHandler(engagementEvent, clock),
    [RECOMPUTE_PLAN]: async (message, services) => {
      await planRecompute(services, RecomputePlanSchema.parse(message.data).jobId, clock());
    },
    [RECOMPUTE_CHUNK]: async (message, { db }) => {
      await recomputeChunk(db, RecomputeChunkSchema.parse(message.data), clock());
    },
  };
}
