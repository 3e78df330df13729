// What an import changed, kept so that it can be undone: a row per record created, and per record updated the
// columns an import may change as they were before and as the import left them, both read inside the chunk's
// own batch (before the update and after it).
import { type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Database } from "../client.ts";
import type { ImportObject } from "./targets.ts";

/** The table of each object, and the columns an import may change (as stored, JSON kept as its text). */
export const OBJECT_TABLES: Record<ImportObject, { table: string; columns: readonly string[] }> = {
  contact: {
    table: "contacts",
    columns: [
      "first_name",
      "last_name",
      "name",
      "email",
      "emails",
      "phone",
      "phones",
      "company_id",
      "job_title",
      "address",
      "lifecycle_stage",
      "lead_status",
      "source",
      "custom",
      "owner_id",
    ],
  },
  company: {
    table: "companies",
    columns: ["name", "domain", "industry", "size", "country", "custom", "owner_id"],
  },
  deal: {
    table: "deals",
    columns: [
      "name",
      "amount",
      "currency",
      "pipeline_id",
      "stage_id",
      "stage_entered_at",
      "status",
      "closed_at",
      "expected_close_date",
      "company_id",
      "custom",
      "owner_id",
    ],
  },
};

/** A contact's tags as one text value, compared and restored with its columns. */
export const CONTACT_TAGS_SQL = (alias: string) =>
  sql.raw(
    `(select coalesce(json_group_array(tag), '[]') from (select tag from contact_tags where contact_id = ${alias}.id order by tag))`,
  );

/** `json_object('col', r.col, …)` of the object's changeable columns (and a contact's tags). */
export function snapshotSql(object: ImportObject, alias: string): SQL {
  const pairs = OBJECT_TABLES[object].columns.map((column) => sql.raw(`'${column}', ${alias}.${column}`));
  if (object === "contact") pairs.push(sql`'tags', ${CONTACT_TAGS_SQL(alias)}`);
  return sql`json_object(${sql.join(pairs, sql`, `)})`;
}

export interface ChangeTarget {
  importId: string;
  chunk: number;
  object: ImportObject;
}

/** A change row per id in `ids` (a JSON array parameter): records this chunk created. */
export function createdChangesStatement(
  db: Database,
  target: ChangeTarget,
  ids: readonly string[],
): BatchItem<"sqlite"> {
  return db.run(sql`insert into import_changes (import_id, chunk, record_type, record_id, action)
    select ${target.importId}, ${target.chunk}, ${target.object}, value, 'created' from json_each(${JSON.stringify(ids)})`);
}

/** Before an update: the columns of the records about to change, as they are. */
export function beforeChangesStatement(
  db: Database,
  target: ChangeTarget,
  ids: readonly string[],
): BatchItem<"sqlite"> {
  const table = sql.raw(OBJECT_TABLES[target.object].table);
  return db.run(sql`insert into import_changes (import_id, chunk, record_type, record_id, action, before)
    select ${target.importId}, ${target.chunk}, ${target.object}, r.id, 'updated', ${snapshotSql(target.object, "r")}
    from ${table} r where r.id in (select value from json_each(${JSON.stringify(ids)}))`);
}

/** After the update, in the same batch: the same columns as the import left them. */
export function afterChangesStatement(db: Database, target: ChangeTarget): BatchItem<"sqlite"> {
  const table = sql.raw(OBJECT_TABLES[target.object].table);
  return db.run(sql`update import_changes set after = (select ${snapshotSql(target.object, "r")} from ${table} r where r.id = import_changes.record_id)
    where import_id = ${target.importId} and chunk = ${target.chunk} and record_type = ${target.object} and action = 'updated' and after is null`);
}
