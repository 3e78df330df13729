// Duplicate detection on the events queue: a contact or company that was made, changed, deleted or restored
// gets its keys again from its current row (a queue batch's records in one read and one write), and the full
// scan (POST /api/v1/duplicates/scan) walks every record a page per message for records older than the engine.
import { z } from "zod";
import { type DuplicateType, keyRowsQuery, keyStatements, scanRowsQuery } from "../../db/duplicates/keys.ts";
import { type ConsumerServices, type MessageHandler, type MessageHandlers, withBatch } from "../consume.ts";
import { DomainEventSchema } from "../domain-events/types.ts";
import type { QueueMessage } from "../message.ts";

export const DUPLICATES_SCAN = "duplicates.scan";
const SCAN_PAGE = 1000;

export const ScanSchema = z.object({ type: z.enum(["contact", "company"]), after: z.string().max(64) });

export function scanMessage(type: DuplicateType, after: string, now: number): QueueMessage {
  return {
    id: `${DUPLICATES_SCAN}:${type}:${after}`,
    type: DUPLICATES_SCAN,
    createdAt: now,
    data: { type, after },
  };
}

async function refresh(services: ConsumerServices, messages: readonly QueueMessage[], now: number) {
  const { db } = services;
  const byType: Record<DuplicateType, Set<string>> = { contact: new Set(), company: new Set() };
  for (const message of messages) {
    const event = DomainEventSchema.parse(message.data);
    if (event.recordType === "contact" || event.recordType === "company")
      byType[event.recordType].add(event.recordId);
  }
  const [contacts, companies] = await db.batch([
    keyRowsQuery(db, "contact", [...byType.contact]),
    keyRowsQuery(db, "company", [...byType.company]),
  ]);
  // Records gone altogether (no row) lose their keys too.
  const gone = (type: DuplicateType, rows: { id: string }[]) =>
    [...byType[type]]
      .filter((id) => !rows.some((r) => r.id === id))
      .map((id) => ({ id, deletedAt: 0, name: "" }));
  const statements = [
    ...keyStatements(db, "contact", [...contacts, ...gone("contact", contacts)], now),
    ...keyStatements(db, "company", [...companies, ...gone("company", companies)], now),
  ];
  const [first, ...rest] = statements;
  if (first) await db.batch([first, ...rest]);
}

function eventHandler(clock: () => number): MessageHandler {
  return withBatch(
    async (message, services) => refresh(services, [message], clock()),
    async (messages, services) => {
      await refresh(services, messages, clock());
      return messages.map(() => ({ status: "fulfilled", value: undefined }));
    },
  );
}

export async function scanPage(services: ConsumerServices, type: DuplicateType, after: string, now: number) {
  const { db } = services;
  const [rows] = await db.batch([scanRowsQuery(db, type, after, SCAN_PAGE)]);
  const [first, ...rest] = keyStatements(db, type, rows, now);
  if (first) await db.batch([first, ...rest]);
  const last = rows.at(-1);
  if (rows.length === SCAN_PAGE && last) await services.queues.events.send(scanMessage(type, last.id, now));
  return rows.length;
}

const RECORD_EVENTS = [
  "contact.created",
  "contact.updated",
  "contact.deleted",
  "contact.restored",
  "company.created",
  "company.updated",
  "company.deleted",
  "company.restored",
];

export function duplicateHandlers(clock: () => number = Date.now): MessageHandlers {
  const handler = eventHandler(clock);
  return {
    ...Object.fromEntries(RECORD_EVENTS.map((type) => [type, handler])),
    [DUPLICATES_SCAN]: async (message, services) => {
      const { type, after } = ScanSchema.parse(message.data);
      await scanPage(services, type, after, clock());
    },
  };
}
