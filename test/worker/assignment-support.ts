// Helpers for the routing tests (assignment and SLA): rulesets and availability written straight to the test
// file's database, leads made in bulk, and the engines' handlers called as a consumer would call them.
import { sql } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { newId } from "../../db/ids.ts";
import { contacts, routingRulesets, userAvailability } from "../../db/schema/index.ts";
import type { Availability } from "../../queues/assignment/availability.ts";
import type { AssignmentRuleset } from "../../queues/assignment/rules.ts";
import { FORM_SUBMITTED_EVENT } from "../../queues/capture/message.ts";
import { createServices } from "../../queues/index.ts";
import type { QueueMessage } from "../../queues/message.ts";
import type { SlaRuleset } from "../../queues/sla/rules.ts";
import type { TestDatabase } from "./support.ts";

export async function setRules(db: Database, kind: "assignment", ruleset: AssignmentRuleset): Promise<void>;
export async function setRules(db: Database, kind: "sla", ruleset: SlaRuleset): Promise<void>;
export async function setRules(db: Database, kind: "assignment" | "sla", ruleset: unknown) {
  const definition = JSON.stringify(ruleset);
  await db
    .insert(routingRulesets)
    .values({ kind, definition, version: 1, updatedAt: Date.now() })
    .onConflictDoUpdate({ target: routingRulesets.kind, set: { definition, version: sql`version + 1` } });
}

export async function setAvailability(db: Database, userId: string, a: Partial<Availability>) {
  const values = {
    workingHours: a.workingHours ? JSON.stringify(a.workingHours) : null,
    outOfOffice: JSON.stringify(a.outOfOffice ?? []),
    maxOpenLeads: a.maxOpenLeads ?? null,
    updatedAt: Date.now(),
  };
  await db
    .insert(userAvailability)
    .values({ userId, ...values })
    .onConflictDoUpdate({ target: userAvailability.userId, set: values });
}

/** `count` contacts with no owner, in chunks, returning their ids. */
export async function makeLeads(
  db: Database,
  count: number,
  fields: Partial<typeof contacts.$inferInsert> = {},
): Promise<string[]> {
  const now = Date.now();
  const rows = Array.from({ length: count }, (_, i) => ({
    id: newId(),
    name: `Lead ${i}`,
    leadStatus: "new" as const,
    createdAt: now,
    updatedAt: now,
    ...fields,
  }));
  for (let i = 0; i < rows.length; i += 100) await db.insert(contacts).values(rows.slice(i, i + 100));
  return rows.map((r) => r.id);
}

export function formSubmitted(contactId: string, formId = "no-form", receivedAt = Date.now()): QueueMessage {
  const submissionId = newId();
  return {
    id: `${FORM_SUBMITTED_EVENT}:${submissionId}`,
    type: FORM_SUBMITTED_EVENT,
    createdAt: receivedAt,
    data: { formId, submissionId, contactId, dealId: null, receivedAt, utm: {} },
  };
}

export function servicesOf(t: TestDatabase) {
  return createServices(t.env);
}

/** How many contacts each user owns among `ids`. */
export async function ownersOf(db: Database, ids: string[]): Promise<Map<string | null, number>> {
  const rows = await db.all<{ ownerId: string | null; n: number }>(
    sql`select owner_id as ownerId, count(*) as n from contacts where id in (select value from json_each(${JSON.stringify(ids)})) group by owner_id`,
  );
  return new Map(rows.map((r) => [r.ownerId, r.n]));
}
