// The review list of duplicate candidates: open pairs whose two records are live and both visible to the
// caller, newest first, each with enough of both records to decide; and dismissing a pair (it stays dismissed
// whatever later edits find).
import { type SQL, sql } from "drizzle-orm";
import { type CallerRef, callerUserId, canSeeRecord, canWriteRecord } from "../caller.ts";
import type { Database } from "../client.ts";
import type { DuplicateType } from "./keys.ts";

export interface PairRow {
  id: string;
  recordType: DuplicateType;
  reasons: string;
  status: "open" | "dismissed" | "merged";
  createdAt: number;
  a: string;
  b: string;
}

function brief(type: DuplicateType, alias: string): SQL {
  const t = sql.raw(alias);
  return type === "contact"
    ? sql`json_object('id', ${t}.id, 'name', ${t}.name, 'email', ${t}.email, 'phone', ${t}.phone, 'companyId', ${t}.company_id,
        'ownerId', ${t}.owner_id, 'updatedAt', ${t}.updated_at)`
    : sql`json_object('id', ${t}.id, 'name', ${t}.name, 'domain', ${t}.domain, 'ownerId', ${t}.owner_id, 'updatedAt', ${t}.updated_at)`;
}

function pairsSelect(type: DuplicateType, me: CallerRef, where: SQL) {
  const table = sql.raw(type === "contact" ? "contacts" : "companies");
  return sql`select p.id as id, p.record_type as recordType, p.reasons as reasons, p.status as status, p.created_at as createdAt,
      ${brief(type, "a")} as a, ${brief(type, "b")} as b
    from duplicate_pairs p join ${table} a on a.id = p.a_id join ${table} b on b.id = p.b_id
    where p.record_type = ${type} and a.deleted_at is null and b.deleted_at is null
      and ${canSeeRecord(me, sql`a.owner_id`, sql`a.team_id`)} and ${canSeeRecord(me, sql`b.owner_id`, sql`b.team_id`)}
      and ${where}`;
}

export function listPairsQuery(
  db: Database,
  me: CallerRef,
  options: {
    type: DuplicateType;
    status: "open" | "dismissed" | "merged";
    cursor?: string | undefined;
    limit: number;
  },
) {
  return db.all<PairRow>(sql`${pairsSelect(
    options.type,
    me,
    sql`p.status = ${options.status}
      ${options.cursor ? sql`and p.id < ${options.cursor}` : sql``}`,
  )}
    order by p.id desc limit ${options.limit + 1}`);
}

export function pairQuery(db: Database, me: CallerRef, id: string) {
  return db.all<PairRow>(sql`select * from (${pairsSelect("contact", me, sql`p.id = ${id}`)}
    union all ${pairsSelect("company", me, sql`p.id = ${id}`)})`);
}

/** Dismisses a pair the caller may change both records of. */
export function dismissPairStatements(db: Database, me: CallerRef, id: string, now: number) {
  const writable = (type: DuplicateType, column: "a_id" | "b_id") => {
    const table = sql.raw(type === "contact" ? "contacts" : "companies");
    return sql`exists (select 1 from ${table} r where r.id = duplicate_pairs.${sql.raw(column)} and r.deleted_at is null
      and ${canWriteRecord(me, sql`r.owner_id`, sql`r.team_id`)})`;
  };
  return [
    db.all<{
      id: string;
    }>(sql`update duplicate_pairs set status = 'dismissed', resolved_by = ${callerUserId(me)}, updated_at = ${now}
      where id = ${id} and status = 'open'
        and ((record_type = 'contact' and ${writable("contact", "a_id")} and ${writable("contact", "b_id")})
          or (record_type = 'company' and ${writable("company", "a_id")} and ${writable("company", "b_id")}))
      returning id`),
    pairQuery(db, me, id),
  ] as const;
}

export function toPairView(row: PairRow) {
  return {
    id: row.id,
    type: row.recordType,
    reasons: JSON.parse(row.reasons) as ("email" | "phone" | "name")[],
    status: row.status,
    createdAt: row.createdAt,
    records: [JSON.parse(row.a), JSON.parse(row.b)] as Record<string, string | number | null>[],
  };
}
