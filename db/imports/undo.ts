// Undoing an import, a page of records per batch, in phases (db/imports/imports.ts UNDO_PHASES): records it
// updated get back each column it changed, unless someone changed that column since (its value is no longer
// what the import left); records it created are deleted (soft: they can be restored). The page, the writes and
// the move to the next page are one batch guarded by where the undo stands, so a page done twice is done once.
import { sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { denyUnless } from "../access.ts";
import type { Database } from "../client.ts";
import { CONTACT_TAGS_SQL, OBJECT_TABLES } from "./changes.ts";
import { UNDO_PHASES } from "./imports.ts";
import type { ImportObject } from "./targets.ts";

export const UNDO_PAGE = 2000;

export function parseUndoCursor(
  cursor: string,
): { phase: (typeof UNDO_PHASES)[number]; after: string } | null {
  const [phase, after = ""] = cursor.split("|");
  const known = UNDO_PHASES.find((p) => p === phase);
  return known ? { phase: known, after } : null;
}

/** The statements of one undo page; the last one reads where the undo stands afterwards. */
export function undoPageStatements(db: Database, importId: string, cursor: string, now: number) {
  const parsed = parseUndoCursor(cursor);
  if (!parsed) throw new Error(`Not an undo cursor: ${cursor}`);
  const [object, action] = parsed.phase.split(":") as [ImportObject, "created" | "updated"];
  const { table: tableName, columns } = OBJECT_TABLES[object];
  const table = sql.raw(tableName);
  const page = sql`select distinct record_id from import_changes where import_id = ${importId} and record_type = ${object}
    and action = ${action} and record_id > ${parsed.after}
    ${action === "updated" ? sql`and record_id not in (select record_id from import_changes where import_id = ${importId} and record_type = ${object} and action = 'created')` : sql``}
    order by record_id limit ${UNDO_PAGE}`;
  const index = UNDO_PHASES.indexOf(parsed.phase);
  const next = UNDO_PHASES[index + 1];
  const writes: BatchItem<"sqlite">[] = [];
  if (action === "created") {
    writes.push(
      db.run(sql`update ${table} set deleted_at = ${now}, version = version + 1, updated_at = ${now}
        where id in (${page}) and deleted_at is null`),
    );
  } else {
    const revert = (column: string) =>
      sql.raw(
        `${column} = iif(json_type(x.a, '$.${column}') is not null and ${tableName}.${column} is (x.a ->> '${column}'), x.b ->> '${column}', ${tableName}.${column})`,
      );
    const differs = columns.map((column) =>
      sql.raw(
        `(json_type(x.a, '$.${column}') is not null and ${tableName}.${column} is (x.a ->> '${column}') and ${tableName}.${column} is not (x.b ->> '${column}'))`,
      ),
    );
    const changed = sql`(select record_id as id,
        (select c.before from import_changes c where c.import_id = ${importId} and c.record_type = ${object} and c.record_id = r.record_id and c.action = 'updated' order by c.id limit 1) as b,
        (select c.after from import_changes c where c.import_id = ${importId} and c.record_type = ${object} and c.record_id = r.record_id and c.action = 'updated' order by c.id desc limit 1) as a
      from (${page}) r)`;
    if (object === "contact") {
      // Tags go back as a set, when they are still the set the import left.
      writes.push(
        db.run(sql`delete from contact_tags where contact_id in (select x.id from ${changed} x join contacts t on t.id = x.id
          where json_type(x.a, '$.tags') is not null and ${CONTACT_TAGS_SQL("t")} is (x.a ->> 'tags'))`),
        db.run(sql`insert or ignore into contact_tags (contact_id, tag) select x.id, j.value from ${changed} x
          join json_each(x.b ->> 'tags') j where not exists (select 1 from contact_tags k where k.contact_id = x.id)
            and json_type(x.a, '$.tags') is not null`),
      );
    }
    writes.push(
      db.run(sql`update ${table} set ${sql.join(columns.map(revert), sql`, `)}, version = ${table}.version + 1, updated_at = ${now}
        from ${changed} x where ${table}.id = x.id and ${table}.deleted_at is null and (${sql.join(differs, sql` or `)})`),
    );
  }
  const count = sql`(select count(*) from (${page}))`;
  const last = sql`(select max(record_id) from (${page}))`;
  return [
    denyUnless(
      db,
      sql`exists (select 1 from imports where id = ${importId} and status = 'undoing' and undo_cursor = ${cursor})`,
      "conflict",
    ),
    // Read before the writes: the page is the same set after them (changes rows are not touched).
    db.run(sql`update imports set ${action === "created" ? sql`removed = removed + ${count}` : sql`reverted = reverted + ${count}`},
        undo_cursor = case when ${count} < ${UNDO_PAGE} then ${next ? `${next}|` : null} else ${`${parsed.phase}|`} || ${last} end,
        status = case when ${count} < ${UNDO_PAGE} and ${next ? 0 : 1} then 'undone' else status end,
        undone_at = case when ${count} < ${UNDO_PAGE} and ${next ? 0 : 1} then ${now} else undone_at end,
        updated_at = ${now}
      where id = ${importId}`),
    ...writes,
    db.all<{ status: string; undoCursor: string | null }>(
      sql`select status, undo_cursor as undoCursor from imports where id = ${importId}`,
    ),
  ];
}
