// The records workflows act on, read as their events carry them (camelCase columns, JSON columns as values),
// and the contact a record leads to (a deal's first contact, a task's contact) for email, tags and sequences.
import { and, eq, isNull, type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Database } from "../client.ts";
import { companies, contacts, deals, tasks } from "../schema/index.ts";

export type RecordKind = "contact" | "company" | "deal" | "task";
export type Visible = (owner: SQLiteColumn, team: SQLiteColumn) => SQL;
export type RecordFacts = Record<string, unknown> & {
  id: string;
  ownerId: string | null;
  deletedAt: number | null;
};

export const RECORD_TABLES = { contact: contacts, company: companies, deal: deals, task: tasks } as const;

const JSON_COLUMNS = ["custom", "emails", "phones", "metadata"];
const everyone: Visible = () => sql`1`;

/** The record (0 or 1 row, deleted ones too: the caller tells them apart); none for a run without a record. */
export function recordQuery(
  db: Database,
  kind: RecordKind | null,
  id: string | null,
  visible: Visible = everyone,
): BatchItem<"sqlite"> {
  if (kind === null || id === null) return db.select({ id: contacts.id }).from(contacts).where(sql`0`);
  const table = RECORD_TABLES[kind];
  return db
    .select()
    .from(table)
    .where(and(eq(table.id, id), visible(table.ownerId, table.teamId)));
}

/** A row of recordQuery as facts: JSON text columns parsed, as the domain events carry them. */
export function toFacts(row: unknown): RecordFacts | null {
  if (!row || typeof row !== "object") return null;
  const facts = { ...(row as Record<string, unknown>) };
  for (const key of JSON_COLUMNS) {
    const value = facts[key];
    if (typeof value !== "string") continue;
    try {
      facts[key] = JSON.parse(value);
    } catch {
      // Left as text: a value the API never writes.
    }
  }
  return facts as RecordFacts;
}

export interface RecordContact {
  id: string;
  name: string;
  email: string | null;
  emailConsent: "granted" | "withdrawn" | null;
  ownerId: string | null;
}

/** The live contact a record leads to: itself, a deal's first contact, a task's contact; none for a company. */
export function recordContactQuery(
  db: Database,
  kind: RecordKind | null,
  id: string | null,
  visible = everyone,
) {
  const contactId =
    kind === "contact"
      ? sql`${id}`
      : kind === "deal"
        ? sql`(select dc.contact_id from deal_contacts dc where dc.deal_id = ${id} order by dc.contact_id limit 1)`
        : kind === "task"
          ? sql`(select t.contact_id from tasks t where t.id = ${id})`
          : sql`null`;
  return db
    .select({
      id: contacts.id,
      name: contacts.name,
      email: contacts.email,
      emailConsent: contacts.emailConsent,
      ownerId: contacts.ownerId,
    })
    .from(contacts)
    .where(
      and(
        sql`${contacts.id} = ${contactId}`,
        isNull(contacts.deletedAt),
        visible(contacts.ownerId, contacts.teamId),
      ),
    );
}

/** A short name for a record in logs and the dry run: its name or title. */
export function recordLabel(facts: RecordFacts | null): string {
  if (!facts) return "no record";
  const label = facts.name ?? facts.title ?? facts.id;
  return String(label);
}
