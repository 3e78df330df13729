// What a workflow's dry run reads, in the request's one round trip: the record by its id whatever its kind
// (ids are unique across kinds), the contact it leads to, and the templates and users the definition names,
// all only as far as the caller may see them.
import { and, isNull, sql } from "drizzle-orm";
import { type CallerRef, canSeeRecord } from "../caller.ts";
import type { Database } from "../client.ts";
import { contacts, emailTemplates, users, workflows, workflowVersions } from "../schema/index.ts";
import { type RecordKind, recordQuery } from "./records.ts";

const KINDS: readonly RecordKind[] = ["contact", "company", "deal", "task"];

/** The current version's definition of a live workflow, as a subquery for json_tree. */
function definitionOf(workflowId: string) {
  return sql`(select v.definition from ${workflowVersions} v join ${workflows} w on w.id = v.workflow_id
    and v.version = w.current_version where w.id = ${workflowId} and w.deleted_at is null)`;
}

/** The values of every `key` in the workflow's definition (templateId, userId). */
function namedIn(workflowId: string, key: string) {
  return sql`(select value from json_tree(${definitionOf(workflowId)}) where key = ${key})`;
}

export function dryRunQueries(db: Database, me: CallerRef, workflowId: string, recordId: string) {
  const visible = (owner: Parameters<typeof canSeeRecord>[1], team: Parameters<typeof canSeeRecord>[2]) =>
    canSeeRecord(me, owner, team);
  const contactId = sql`coalesce(
    (select id from contacts where id = ${recordId}),
    (select dc.contact_id from deal_contacts dc where dc.deal_id = ${recordId} order by dc.contact_id limit 1),
    (select t.contact_id from tasks t where t.id = ${recordId}))`;
  const owner = sql`(select owner_id from contacts where id = ${recordId} union all
    select owner_id from companies where id = ${recordId} union all select owner_id from deals where id = ${recordId}
    union all select owner_id from tasks where id = ${recordId})`;
  return [
    ...KINDS.map((kind) => recordQuery(db, kind, recordId, visible)),
    db
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
      ),
    db
      .select({ id: emailTemplates.id, name: emailTemplates.name, kind: emailTemplates.kind })
      .from(emailTemplates)
      .where(
        and(
          sql`${emailTemplates.id} in ${namedIn(workflowId, "templateId")}`,
          isNull(emailTemplates.deletedAt),
        ),
      ),
    db
      .select({ id: users.id, name: users.name, active: users.active })
      .from(users)
      .where(sql`${users.id} in ${namedIn(workflowId, "userId")} or ${users.id} in ${owner}`),
  ] as const;
}

export type DryRunContact = {
  id: string;
  name: string;
  email: string | null;
  emailConsent: "granted" | "withdrawn" | null;
  ownerId: string | null;
};
export type DryRunTemplate = { id: string; name: string; kind: "marketing" | "transactional" };
export type DryRunUser = { id: string; name: string; active: boolean };

/** Reads the rows of dryRunQueries: the record and its kind (null when not found or not visible). */
export function dryRunRecord(results: readonly unknown[]): { kind: RecordKind; row: unknown } | null {
  for (const [i, kind] of KINDS.entries()) {
    const row = (results[i] as unknown[] | undefined)?.[0];
    if (row) return { kind, row };
  }
  return null;
}
