// What deleting and restoring means for every owned record (contacts, companies): a soft delete with an audit
// entry, and a restore that gives way to a live record that took the deleted one's unique value meanwhile
// (a contact's email, a company's domain). Each is one set of statements for the caller's single batch.
import { sql } from "drizzle-orm";
import { callerAuditStatement } from "./audit-queries.ts";
import { type CallerRef, canSeeRecord, canWriteRecord } from "./caller.ts";
import type { Database } from "./client.ts";
import type { WriteContext } from "./statements.ts";

const KINDS = {
  contact: { table: "contacts", unique: "email" },
  company: { table: "companies", unique: "domain" },
} as const;
export type OwnedKind = keyof typeof KINDS;

/** Soft delete, with an audit entry; the returned ids are empty when there was nothing the caller may delete. */
export function softDeleteStatements(
  db: Database,
  kind: OwnedKind,
  id: string,
  ctx: WriteContext,
  me: CallerRef,
) {
  const table = sql.raw(KINDS[kind].table);
  const applies = sql`exists (select 1 from ${table} r where r.id = ${id} and r.deleted_at is null and ${canWriteRecord(me, sql`r.owner_id`, sql`r.team_id`)})`;
  return [
    callerAuditStatement(
      db,
      me,
      { action: "record.deleted", targetType: kind, targetId: id },
      ctx.origin,
      ctx.now,
      { when: applies },
    ),
    db.all<{ id: string }>(
      sql`update ${table} set deleted_at = ${ctx.now}, version = version + 1, updated_at = ${ctx.now}
        where id = ${id} and ${applies} returning id`,
    ),
  ] as const;
}

/** Why a restore changed nothing: another live record has the unique value, or it is not the caller's, or live. */
export interface RestoreWhy {
  other: string | null;
  visible: number;
  live: number;
}

/**
 * Brings a deleted record back, unless another live record took its unique value meanwhile: the update
 * (returning the id when it happened) and why it did not.
 */
export function restoreStatements(
  db: Database,
  kind: OwnedKind,
  id: string,
  ctx: WriteContext,
  me: CallerRef,
) {
  const table = sql.raw(KINDS[kind].table);
  const unique = sql.raw(KINDS[kind].unique);
  const canWrite = (alias: string) =>
    canWriteRecord(me, sql.raw(`${alias}.owner_id`), sql.raw(`${alias}.team_id`));
  return {
    restore: db.all<{ id: string }>(
      sql`update ${table} as r set deleted_at = null, version = version + 1, updated_at = ${ctx.now}
        where r.id = ${id} and r.deleted_at is not null and ${canWrite("r")}
          and (r.${unique} is null or not exists (select 1 from ${table} o where o.${unique} = r.${unique} and o.deleted_at is null))
        returning id`,
    ),
    why: db.all<RestoreWhy>(sql`select
      (select o.id from ${table} o join ${table} c on c.${unique} = o.${unique} where c.id = ${id} and o.deleted_at is null and o.id != ${id}) as other,
      exists (select 1 from ${table} c where c.id = ${id} and c.deleted_at is not null and ${canSeeRecord(me, sql`c.owner_id`, sql`c.team_id`)}) as visible,
      exists (select 1 from ${table} c where c.id = ${id} and c.deleted_at is null and ${canWrite("c")}) as live`),
  };
}
