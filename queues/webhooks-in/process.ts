// Processing one verified delivery: read the source, the inbox row and the contact configuration (one round
// trip), apply the source's mapping in code, write everything in one batch (queues/webhooks-in/statements.ts),
// then announce: `engagement.recorded` for scoring and `webhook.event` for workflows, one per event. Idempotent
// by (source, delivery id): a second delivery finds the row settled and only announces again (the messages are
// keyed by the delivery, so their consumers see each event once).

import { type CustomFieldObject, recordConfigQueries, storeRecordConfig } from "../../db/custom-fields.ts";
import { newId } from "../../db/ids.ts";
import { notSuppressedSql, suppressionHashes } from "../../db/privacy/suppression.ts";
import { deliveryEventsQuery, deliveryRowQuery, type InboxRow } from "../../db/webhooks-in/inbox.ts";
import { type SourceRow, sourceQuery } from "../../db/webhooks-in/sources.ts";
import type { ConsumerServices } from "../consume.ts";
import type { QueueMessage } from "../message.ts";
import { ENGAGEMENT_RECORDED_EVENT, type EngagementRecorded } from "../scoring/messages.ts";
import { leadOf } from "./lead.ts";
import { applyMapping, type Mapping, MappingSchema, type PlannedEvent } from "./mapping.ts";
import { WEBHOOK_EVENT, type WebhookDeliveryData, type WebhookEvent } from "./messages.ts";
import {
  type Attribution,
  type DeliveryPlan,
  deliveryStatements,
  type PlannedLeadEvent,
} from "./statements.ts";

export type DeliveryOutcome =
  | {
      status: "processed";
      inboxId: string;
      events: { index: number; contactId: string | null; status: string }[];
    }
  | { status: "failed"; inboxId: string; error: string }
  /** Settled before (a second delivery), or by another run meanwhile. */
  | { status: "already"; was: string }
  /** No such source and nothing kept: dropped. */
  | { status: "dropped" };

const CONTACT: CustomFieldObject = "contact";
/** A webhook.event carries its event's payload when it is this small; larger ones go as null. */
const MAX_EVENT_PAYLOAD = 60_000;

/** The lead was written, but telling the rest of the system failed: redelivery of the message sends it again. */
export class AnnounceError extends Error {
  override name = "AnnounceError";
}

export function readBody(text: string, encoding: "utf8" | "base64"): string {
  if (encoding === "utf8") return text;
  try {
    return new TextDecoder().decode(Uint8Array.from(atob(text), (c) => c.charCodeAt(0)));
  } catch {
    return "";
  }
}

/** The payload: JSON, or a form post (urlencoded) as an object; undefined when it is neither. */
export function parsePayload(body: string, contentType: string | null): unknown {
  const type = (contentType ?? "").split(";", 1)[0]?.trim().toLowerCase() ?? "";
  if (type === "application/x-www-form-urlencoded") {
    const out: Record<string, string | string[]> = {};
    for (const [key, value] of new URLSearchParams(body)) {
      const held = out[key];
      out[key] = held === undefined ? value : Array.isArray(held) ? [...held, value] : [held, value];
    }
    return out;
  }
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

function attributionOf(source: SourceRow): Attribution {
  try {
    return JSON.parse(source.attribution) as Attribution;
  } catch {
    return {};
  }
}

/** The events as the source's mapping reads them now, or why they cannot be read. */
function planEvents(
  source: SourceRow,
  data: WebhookDeliveryData,
  body: string,
): { events: PlannedEvent[] } | { error: string } {
  const mapping = MappingSchema.safeParse(JSON.parse(source.mapping));
  if (!mapping.success) return { error: "The source's mapping is no longer valid: save it again." };
  const payload = parsePayload(readBody(body, data.bodyEncoding), data.contentType);
  if (payload === undefined) return { error: "The body is neither JSON nor a form post." };
  return applyMapping(mapping.data as Mapping, payload, {
    deliveryId: data.deliveryId,
    receivedAt: data.receivedAt,
  });
}

export async function processDelivery(
  data: WebhookDeliveryData,
  services: ConsumerServices,
): Promise<DeliveryOutcome> {
  const { db, config } = services;
  const [sources, rows, eventRows, customRows, stamps] = await db.batch([
    sourceQuery(db, data.sourceId),
    deliveryRowQuery(db, data.sourceId, data.deliveryId),
    deliveryEventsQuery(db, data.sourceId, data.deliveryId),
    ...recordConfigQueries(db, CONTACT),
  ]);
  const source = sources[0];
  const existing: InboxRow | undefined = rows[0];
  const body = data.body ?? existing?.body ?? null;
  // A message without its body reads the body's type and encoding from the row too.
  const read: WebhookDeliveryData =
    data.body === null && existing
      ? { ...data, contentType: existing.contentType, bodyEncoding: existing.bodyEncoding }
      : data;

  if (existing && existing.status !== "received") {
    if (existing.status === "processed" && source && body !== null) {
      const planned = planEvents(source, read, body);
      const contacts = new Map(eventRows.map(({ event }) => [event.idx, event.contactId]));
      if ("events" in planned) await announce(services, source, existing.id, planned.events, contacts);
    }
    return { status: "already", was: existing.status };
  }
  if (body === null) {
    // A message without its body whose row is gone (pruned, or never kept): nothing to process.
    console.warn(
      JSON.stringify({
        level: "warn",
        message: "webhook delivery without a body dropped",
        sourceId: data.sourceId,
      }),
    );
    return { status: "dropped" };
  }
  if (!source && !existing) {
    console.warn(
      JSON.stringify({
        level: "warn",
        message: "delivery for no webhook source dropped",
        sourceId: data.sourceId,
      }),
    );
    return { status: "dropped" };
  }

  const contactConfig = storeRecordConfig(config.LIBSQL_URL, CONTACT, [customRows, stamps]);
  const planned = source
    ? source.archivedAt !== null
      ? { error: "The source is archived: restore it, then replay the delivery." }
      : planEvents(source, read, body)
    : { error: "No such webhook source." };
  const failure = "error" in planned ? planned.error : null;
  const events: PlannedLeadEvent[] =
    "events" in planned
      ? await Promise.all(
          planned.events.map(async (event) => {
            const lead = leadOf(event.values, contactConfig);
            const hashes = await suppressionHashes({ emails: [lead.email], phones: [lead.phone] });
            return {
              ...event,
              lead,
              ids: { contact: newId(), company: newId() },
              notSuppressed: notSuppressedSql(hashes),
            };
          }),
        )
      : [];
  const plan: DeliveryPlan = {
    data,
    body: existing ? null : body,
    source: {
      id: data.sourceId,
      name: source?.name ?? "Webhook",
      defaultOwnerId: source?.defaultOwnerId ?? null,
      attribution: source ? attributionOf(source) : {},
    },
    claim: newId(),
    now: Date.now(),
    failure,
    events,
  };
  const results = await db.batch(deliveryStatements(db, plan) as [never, ...never[]]);
  const outcome = (results.at(-1) ?? []) as {
    inboxId: string;
    status: string;
    idx: number | null;
    contactId: string | null;
    eventStatus: string | null;
  }[];
  const first = outcome[0];
  // Another delivery of the same message settled it between our read and our batch.
  if (!first) return { status: "already", was: "settled" };
  if (first.status === "failed") return { status: "failed", inboxId: first.inboxId, error: failure ?? "" };
  const contacts = new Map(outcome.filter((r) => r.idx !== null).map((r) => [r.idx as number, r.contactId]));
  if (source) await announce(services, source, first.inboxId, events, contacts);
  return {
    status: "processed",
    inboxId: first.inboxId,
    events: outcome
      .filter((r) => r.idx !== null)
      .map((r) => ({ index: r.idx as number, contactId: r.contactId, status: r.eventStatus ?? "ignored" })),
  };
}

/** An id a consumer keys on, at most `max` characters: long ones are hashed down. */
async function boundedId(text: string, max: number): Promise<string> {
  if (text.length <= max) return text;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return `h:${[...digest].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** Queues take at most 100 messages and 256 KB a batch. */
function batches(messages: QueueMessage[]): QueueMessage[][] {
  const out: QueueMessage[][] = [];
  let current: QueueMessage[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = JSON.stringify(message).length;
    if (current.length > 0 && (current.length >= 100 || bytes + size > 200_000)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/**
 * Tells scoring (engagement) and workflows (every event) what came in. Keyed by the delivery and the event's
 * place in it, so sending again after a failure is harmless.
 */
async function announce(
  services: ConsumerServices,
  source: SourceRow,
  inboxId: string,
  events: readonly PlannedEvent[],
  contacts: ReadonlyMap<number, string | null>,
): Promise<void> {
  const now = Date.now();
  const formId = attributionOf(source).formId ?? null;
  const messages: QueueMessage[] = [];
  for (const event of events) {
    const contactId = contacts.get(event.index) ?? null;
    const engagement = event.actions.find((a) => a.type === "record_engagement");
    if (engagement && contactId) {
      const eventId = await boundedId(`webhook:${source.id}:${event.eventId}`, 200);
      const data: EngagementRecorded = {
        eventId,
        contactId,
        kind: engagement.kind,
        at: event.occurredAt,
        formId,
      };
      messages.push({
        id: await boundedId(`${ENGAGEMENT_RECORDED_EVENT}:${eventId}`, 128),
        type: ENGAGEMENT_RECORDED_EVENT,
        createdAt: now,
        data,
      });
    }
    const payloadSize = JSON.stringify(event.payload ?? null).length;
    const data: WebhookEvent = {
      sourceId: source.id,
      deliveryId: inboxId,
      eventType: event.type,
      contactId,
      payload: payloadSize <= MAX_EVENT_PAYLOAD ? (event.payload ?? null) : null,
    };
    messages.push({
      id: `${WEBHOOK_EVENT}:${inboxId}:${event.index}`,
      type: WEBHOOK_EVENT,
      createdAt: now,
      data,
    });
  }
  try {
    for (const batch of batches(messages)) {
      await services.queues.events.sendBatch(batch.map((body) => ({ body })));
    }
  } catch (error) {
    throw new AnnounceError(`The events of webhook delivery ${inboxId} were not sent: ${String(error)}`, {
      cause: error,
    });
  }
}
