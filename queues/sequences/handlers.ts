// The sequence engine's event handlers: the automatic stops (a reply or a meeting logged, a deal of the
// contact changing stage, an unsubscribe, a bounce, the contact deleted) and the runner's fan-out chunks.
// A stop touches only active enrolments made no later than the event, so a redelivered event changes
// nothing, and an event from before a contact was enrolled again leaves the new enrolment alone.
import { sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { z } from "zod";
import type { Database } from "../../db/client.ts";
import type { StopReason } from "../../db/schema/index.ts";
import { stopEnrolmentsStatements, unenrolStatements } from "../../db/sequences/enrolments.ts";
import { type MessageHandler, type MessageHandlers, withBatch } from "../consume.ts";
import { type DomainEvent, DomainEventSchema } from "../domain-events/types.ts";
import { ENGAGEMENT_RECORDED_EVENT, EngagementRecordedSchema } from "../scoring/messages.ts";
import type { EngagementKind } from "../scoring/rules.ts";
import { SEQUENCE_STEPS_DUE, StepsDueSchema } from "./messages.ts";
import { runLeased } from "./runner.ts";

/** The engagement kinds that take a contact out of its sequences. */
const ENGAGEMENT_STOPS: Partial<Record<EngagementKind, StopReason>> = {
  replied: "reply",
  meeting_booked: "meeting_booked",
  unsubscribed: "unsubscribed",
  bounced: "bounced",
  spam_reported: "spam_reported",
};

async function stopContacts(
  db: Database,
  contactIds: readonly string[],
  reason: StopReason,
  enrolledBefore: number,
  now: number,
) {
  const unique = [...new Set(contactIds)];
  const [first, ...rest] = unique.flatMap((contactId) =>
    unenrolStatements(db, { contactId, reason, enrolledBefore }, now),
  );
  if (first) await db.batch([first, ...rest]);
}

const Metadata = z
  .object({
    direction: z.string().optional(),
    attendees: z.array(z.object({ contactId: z.string().optional() }).passthrough()).optional(),
  })
  .passthrough();

/** Metadata as the event carries it: a JSON object (as the triggers write it), or its text. */
function metadataOf(after: Record<string, unknown>) {
  const raw = typeof after.metadata === "string" ? safeJson(after.metadata) : after.metadata;
  const parsed = Metadata.safeParse(raw ?? {});
  return parsed.success ? parsed.data : {};
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function domainEvent(data: unknown): DomainEvent {
  return DomainEventSchema.parse(data);
}

/** A reply (an inbound email) or a meeting, logged on a contact (a meeting: and on its attendees). */
const activityCreated: MessageHandler = async (message, { db }) => {
  const event = domainEvent(message.data);
  const after = event.after;
  if (!after) return;
  const metadata = metadataOf(after);
  const contactId = typeof after.contactId === "string" ? after.contactId : null;
  if (after.type === "email" && metadata.direction === "inbound" && contactId) {
    await stopContacts(db, [contactId], "reply", message.createdAt, Date.now());
  } else if (after.type === "meeting") {
    const attendees = (metadata.attendees ?? []).flatMap((a) => (a.contactId ? [a.contactId] : []));
    const ids = contactId ? [contactId, ...attendees] : attendees;
    await stopContacts(db, ids, "meeting_booked", message.createdAt, Date.now());
  }
};

/** A deal moved (or closed): every contact linked to it leaves its sequences. */
const dealMoved: MessageHandler = async (message, { db }) => {
  const event = domainEvent(message.data);
  const now = Date.now();
  const [first, ...rest] = stopEnrolmentsStatements(
    db,
    {
      where: sql`en.contact_id in (select contact_id from deal_contacts where deal_id = ${event.recordId})
        and en.enrolled_at <= ${message.createdAt}`,
      reason: "deal_stage_changed",
      actor: sql`null`,
    },
    now,
  );
  if (first) await db.batch([first, ...rest]);
};

const consentChanged: MessageHandler = async (message, { db }) => {
  const event = domainEvent(message.data);
  if (event.after?.emailConsent !== "withdrawn") return;
  await stopContacts(db, [event.recordId], "unsubscribed", message.createdAt, Date.now());
};

const contactDeleted: MessageHandler = async (message, { db }) => {
  const event = domainEvent(message.data);
  await stopContacts(db, [event.recordId], "contact_deleted", message.createdAt, Date.now());
};

function engagementStops(db: Database, body: unknown, now: number) {
  const data = EngagementRecordedSchema.parse(body);
  const reason = ENGAGEMENT_STOPS[data.kind];
  return reason
    ? unenrolStatements(db, { contactId: data.contactId, reason, enrolledBefore: data.at }, now)
    : [];
}

/**
 * Engagement arrives in bursts (an email campaign's opens and bounces) and scoring takes it by the batch: the
 * stops of a whole batch are one database trip too, and a malformed message fails alone.
 */
const engagementRecorded: MessageHandler = withBatch(
  async (message, { db }) => {
    const [first, ...rest] = engagementStops(db, message.data, Date.now());
    if (first) await db.batch([first, ...rest]);
  },
  async (messages, { db }) => {
    const now = Date.now();
    type Planned = { statements: BatchItem<"sqlite">[] } | { reason: unknown };
    const planned = messages.map((message): Planned => {
      try {
        return { statements: engagementStops(db, message.data, now) };
      } catch (reason) {
        return { reason };
      }
    });
    const statements: BatchItem<"sqlite">[] = planned.flatMap((p) => ("statements" in p ? p.statements : []));
    const [first, ...rest] = statements;
    if (first) await db.batch([first, ...rest]);
    return planned.map(
      (p): PromiseSettledResult<unknown> =>
        "statements" in p
          ? { status: "fulfilled", value: undefined }
          : { status: "rejected", reason: p.reason },
    );
  },
);

const stepsDue: MessageHandler = async (message, { db }) => {
  const data = StepsDueSchema.parse(message.data);
  await runLeased(db, data.claim, data.enrolmentIds, data.now);
};

export const sequenceHandlers: MessageHandlers = {
  "activity.created": activityCreated,
  "deal.stage_changed": dealMoved,
  "deal.won": dealMoved,
  "deal.lost": dealMoved,
  "contact.consent_changed": consentChanged,
  "contact.deleted": contactDeleted,
  [ENGAGEMENT_RECORDED_EVENT]: engagementRecorded,
  [SEQUENCE_STEPS_DUE]: stepsDue,
};
