// Duplicate detection: each contact and company gets normalised keys (its emails, phones, and its name folded
// as search folds it: no accents, đ as d, any word order; a contact's name counts only within its company),
// kept in duplicate_keys; two live records sharing a key are a candidate pair for the review list. Keys are
// written from the records' current rows, so a late or repeated event cannot leave stale ones.
import { sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Database } from "../client.ts";
import { foldSearchText } from "../search-text.ts";
import { sqlNewId } from "../sequences/sql-ids.ts";

export type DuplicateType = "contact" | "company";

export interface KeyRow {
  id: string;
  deletedAt: number | null;
  name: string;
  companyId?: string | null;
  emails?: string;
  phones?: string;
}

/** An email as a person is told apart: lower case, no `+tag`, and for Gmail no dots in the name. */
export function emailKey(email: string): string {
  const [local = "", domain = ""] = email.trim().toLowerCase().split("@");
  const base = local.split("+")[0] ?? local;
  const gmail = domain === "gmail.com" || domain === "googlemail.com";
  return `${gmail ? base.replaceAll(".", "") : base}@${gmail ? "gmail.com" : domain}`;
}

const LEGAL_WORDS = new Set([
  "co",
  "company",
  "corp",
  "corporation",
  "inc",
  "incorporated",
  "llc",
  "ltd",
  "limited",
  "plc",
  "gmbh",
  "jsc",
  "sa",
  "cong",
  "ty",
  "tnhh",
  "cp",
  "mtv",
]);

/** A name folded as search folds it, its words sorted (so `Văn An Nguyễn` and `Nguyen Van An` meet). */
export function nameKey(name: string, dropLegalWords = false): string | null {
  const words = foldSearchText(name)
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word !== "" && !(dropLegalWords && LEGAL_WORDS.has(word)));
  return words.length === 0 ? null : words.sort().join(" ");
}

export function keysOf(
  type: DuplicateType,
  row: KeyRow,
): { kind: "email" | "phone" | "name"; key: string }[] {
  if (row.deletedAt !== null) return [];
  const keys: { kind: "email" | "phone" | "name"; key: string }[] = [];
  if (type === "contact") {
    for (const email of JSON.parse(row.emails ?? "[]") as string[])
      keys.push({ kind: "email", key: emailKey(email) });
    for (const phone of JSON.parse(row.phones ?? "[]") as string[]) keys.push({ kind: "phone", key: phone });
    const name = nameKey(row.name);
    // Two people may share a name; within one company, they are most likely one.
    if (name && row.companyId) keys.push({ kind: "name", key: `${row.companyId}|${name}` });
  } else {
    const name = nameKey(row.name, true);
    if (name) keys.push({ kind: "name", key: name });
  }
  return [...new Map(keys.map((k) => [`${k.kind}:${k.key}`, k])).values()];
}

/** The current rows of some records, to compute their keys from. */
export function keyRowsQuery(db: Database, type: DuplicateType, ids: readonly string[]) {
  return type === "contact"
    ? db.all<KeyRow>(sql`select id, deleted_at as deletedAt, name, company_id as companyId, emails, phones from contacts
        where id in (select value from json_each(${JSON.stringify(ids)}))`)
    : db.all<KeyRow>(sql`select id, deleted_at as deletedAt, name from companies
        where id in (select value from json_each(${JSON.stringify(ids)}))`);
}

/** A page of records in id order, for the full scan. */
export function scanRowsQuery(db: Database, type: DuplicateType, after: string, limit: number) {
  return type === "contact"
    ? db.all<KeyRow>(sql`select id, deleted_at as deletedAt, name, company_id as companyId, emails, phones from contacts
        where id > ${after} order by id limit ${limit}`)
    : db.all<KeyRow>(
        sql`select id, deleted_at as deletedAt, name from companies where id > ${after} order by id limit ${limit}`,
      );
}

/**
 * Replaces the records' keys and records every pair they now make with another live record (a pair already
 * dismissed stays dismissed; an open one gets the reasons it has now).
 */
export function keyStatements(
  db: Database,
  type: DuplicateType,
  rows: readonly KeyRow[],
  now: number,
): BatchItem<"sqlite">[] {
  if (rows.length === 0) return [];
  const ids = JSON.stringify(rows.map((r) => r.id));
  const keys = rows.flatMap((row) => keysOf(type, row).map((k) => ({ id: row.id, ...k })));
  const table = sql.raw(type === "contact" ? "contacts" : "companies");
  return [
    db.run(
      sql`delete from duplicate_keys where record_type = ${type} and record_id in (select value from json_each(${ids}))`,
    ),
    db.run(sql`insert or ignore into duplicate_keys (record_type, kind, key, record_id)
      select ${type}, value ->> 'kind', value ->> 'key', value ->> 'id' from json_each(${JSON.stringify(keys)})`),
    db.run(sql`insert into duplicate_pairs (id, record_type, a_id, b_id, reasons, status, created_at, updated_at)
      select ${sqlNewId(now)}, ${type}, a, b, json_group_array(distinct kind), 'open', ${now}, ${now} from (
        select min(k.record_id, o.record_id) as a, max(k.record_id, o.record_id) as b, k.kind as kind
        from duplicate_keys k join duplicate_keys o on o.record_type = k.record_type and o.kind = k.kind and o.key = k.key
          and o.record_id != k.record_id
        join ${table} r on r.id = o.record_id and r.deleted_at is null
        where k.record_type = ${type} and k.record_id in (select value from json_each(${ids})))
      group by a, b
      on conflict (record_type, a_id, b_id) do update set reasons = excluded.reasons, updated_at = excluded.updated_at
        where duplicate_pairs.status = 'open'`),
  ];
}
