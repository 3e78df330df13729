// The triggers that write domain_events (see db/schema/events.ts), generated from the schema so that each
// event carries every column of its record. `npm run db:event-triggers` prints them for a migration; a test
// checks that the migrations hold exactly what this generates, so a new column cannot be left out unnoticed.
import { getTableColumns } from "drizzle-orm";
import { getTableConfig, type SQLiteTable } from "drizzle-orm/sqlite-core";
import { activities, companies, contacts, deals, tasks } from "./schema/index.ts";

/** Columns that hold JSON text: events carry them as JSON values, not strings. */
const JSON_COLUMNS = new Set(["custom", "emails", "phones", "metadata"]);

type Row = "NEW" | "OLD";

interface EventSpec {
  type: string;
  on: "INSERT" | "UPDATE" | "UPDATE OF";
  /** For UPDATE OF: the column whose change is the event. */
  column?: string;
  when: string;
  /** The event's time: the write's own clock where the row holds it. */
  at: string;
}

interface RecordSpec {
  recordType: string;
  table: SQLiteTable;
  events: EventSpec[];
}

const LIVE = "NEW.deleted_at IS NULL";
const EDITED = `NEW.version > OLD.version AND ${LIVE} AND OLD.deleted_at IS NULL`;
const DELETED = "OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL";
const RESTORED = `OLD.deleted_at IS NOT NULL AND ${LIVE}`;
const DB_CLOCK = "CAST(unixepoch('subsec') * 1000 AS INTEGER)";

function lifecycle(prefix: string): EventSpec[] {
  return [
    { type: `${prefix}.created`, on: "INSERT", when: LIVE, at: "NEW.created_at" },
    { type: `${prefix}.updated`, on: "UPDATE", when: EDITED, at: "NEW.updated_at" },
    { type: `${prefix}.deleted`, on: "UPDATE", when: DELETED, at: "NEW.updated_at" },
    { type: `${prefix}.restored`, on: "UPDATE", when: RESTORED, at: "NEW.updated_at" },
  ];
}

function changed(type: string, column: string, extra = "", at = "NEW.updated_at"): EventSpec {
  const when = `OLD.${column} IS NOT NEW.${column} AND ${LIVE}${extra ? ` AND ${extra}` : ""}`;
  return { type, on: "UPDATE OF", column, when, at };
}

export const EVENT_RECORDS: readonly RecordSpec[] = [
  {
    recordType: "contact",
    table: contacts,
    events: [
      ...lifecycle("contact"),
      changed("contact.lifecycle_changed", "lifecycle_stage"),
      // Scoring writes grades without touching updated_at: the database's clock dates the crossing.
      changed("contact.grade_changed", "grade", "", DB_CLOCK),
      changed("contact.consent_changed", "email_consent"),
    ],
  },
  { recordType: "company", table: companies, events: lifecycle("company") },
  {
    recordType: "deal",
    table: deals,
    events: [
      ...lifecycle("deal"),
      changed("deal.stage_changed", "stage_id"),
      changed("deal.won", "status", "NEW.status = 'won'"),
      changed("deal.lost", "status", "NEW.status = 'lost'"),
    ],
  },
  {
    recordType: "task",
    table: tasks,
    events: [
      ...lifecycle("task"),
      changed("task.completed", "status", "NEW.status = 'done'"),
      changed("task.due", "overdue_at", "NEW.overdue_at IS NOT NULL", "NEW.overdue_at"),
    ],
  },
  {
    recordType: "activity",
    table: activities,
    events: [{ type: "activity.created", on: "INSERT", when: LIVE, at: "NEW.created_at" }],
  },
];

/** Every event type the triggers write. */
export const TRIGGERED_EVENT_TYPES = EVENT_RECORDS.flatMap((r) => r.events.map((e) => e.type));

function snake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function rowJson(table: SQLiteTable, row: Row): string {
  const pairs = Object.keys(getTableColumns(table)).map((key) => {
    const column = `${row}.${snake(key)}`;
    return `'${key}', ${JSON_COLUMNS.has(key) ? `json(${column})` : column}`;
  });
  return `json_object(${pairs.join(", ")})`;
}

export function triggerName(type: string): string {
  return `domain_event_${type.replace(".", "_")}`;
}

function triggerSql(record: RecordSpec, event: EventSpec): string {
  const { name } = getTableConfig(record.table);
  const on = event.on === "UPDATE OF" ? `UPDATE OF ${event.column}` : event.on;
  const before = event.on === "INSERT" ? "NULL" : rowJson(record.table, "OLD");
  const after = rowJson(record.table, "NEW");
  return [
    `CREATE TRIGGER \`${triggerName(event.type)}\` AFTER ${on} ON \`${name}\` WHEN ${event.when} BEGIN`,
    "  INSERT INTO domain_events (type, record_type, record_id, data, cause, created_at)",
    `  VALUES ('${event.type}', '${record.recordType}', NEW.id,`,
    `    json_object('before', ${before}, 'after', ${after}),`,
    `    (SELECT cause FROM write_cause WHERE id = 1), ${event.at});`,
    "END;",
  ].join("\n");
}

/** One CREATE TRIGGER per event type, in a stable order. */
export function domainEventTriggers(): { name: string; sql: string }[] {
  return EVENT_RECORDS.flatMap((record) =>
    record.events.map((event) => ({ name: triggerName(event.type), sql: triggerSql(record, event) })),
  );
}
