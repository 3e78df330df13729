// Date-relative triggers ("3 days before a deal's expected close date", "an hour after a task's due time"): each
// minute, the records whose date, moved by the trigger's offset, fell in the last hour start a run. The key
// `date:<record>:<date>` makes that one run per workflow, record and date however often the job looks (a
// record whose date changes is due again at its new date); records already started are not read again.
import { and, eq, gt, isNull, lte, type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Database } from "../../db/client.ts";
import { newId } from "../../db/ids.ts";
import { offsetAt } from "../../db/reports/days.ts";
import { deals, tasks } from "../../db/schema/index.ts";
import { readSettingsQuery, toSettings } from "../../db/settings.ts";
import { RECORD_TABLES, type RecordFacts, toFacts } from "../../db/workflows/records.ts";
import { insertRunsStatement, type NewRun } from "../../db/workflows/runs.ts";
import { workflowsForTriggerQuery } from "../../db/workflows/workflows.ts";
import type { ConsumerServices } from "../consume.ts";
import { conditionsHold, valueAt } from "./conditions.ts";
import { DATE_TRIGGER, type Definition, type Trigger } from "./definition.ts";
import { sendSteps } from "./messages.ts";
import { STALL_MS } from "./start.ts";
import { parseDefinition } from "./validation.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** How far back a due time may lie and still start its run: a job that missed some minutes catches up. */
export const DATE_WINDOW_MS = HOUR;
const LIMIT = 500;

type DateTrigger = Extract<Trigger, { type: "date" }>;

/**
 * The offset from a record's date (its local midnight, for a date-only field; the instant, for a task's due time)
 * to when its run starts.
 */
function shiftMs(trigger: DateTrigger): number {
  const base = trigger.field === "dueAt" ? 0 : trigger.hour * HOUR;
  return base + trigger.offsetDays * DAY + trigger.offsetHours * HOUR;
}

/**
 * The date-only value whose start time falls in (now − window, now], or null when none does. Dates are the
 * organisation's: a run at hour 9 starts at 09:00 on the wall clock of `timeZone`, compared as wall-clock time.
 */
export function dueDate(trigger: DateTrigger, now: number, timeZone = "UTC"): string | null {
  const shift = shiftMs(trigger);
  const wallClock = now + offsetAt(now, timeZone);
  const midnight = Math.floor((wallClock - shift) / DAY) * DAY;
  return midnight + shift > wallClock - DATE_WINDOW_MS ? new Date(midnight).toISOString().slice(0, 10) : null;
}

/** The trigger key of a record's run for a date value. */
export function dateKey(recordId: string, value: unknown): string {
  return `date:${recordId}:${String(value)}`;
}

function notStarted(workflowId: string, id: SQL, value: SQL): SQL {
  return sql`not exists (select 1 from workflow_runs r where r.workflow_id = ${workflowId}
    and r.trigger_key = 'date:' || ${id} || ':' || ${value})`;
}

/** The records whose run is due now and has not started; null when no date of this trigger is due. */
export function dueRecordsQuery(
  db: Database,
  workflowId: string,
  trigger: DateTrigger,
  now: number,
  timeZone = "UTC",
) {
  if (trigger.field === "dueAt") {
    const shift = shiftMs(trigger);
    return db
      .select()
      .from(tasks)
      .where(
        and(
          eq(tasks.status, "open"),
          gt(tasks.dueAt, now - DATE_WINDOW_MS - shift),
          lte(tasks.dueAt, now - shift),
          isNull(tasks.deletedAt),
          notStarted(workflowId, sql`${tasks.id}`, sql`${tasks.dueAt}`),
        ),
      )
      .limit(LIMIT);
  }
  const date = dueDate(trigger, now, timeZone);
  if (date === null) return null;
  if (trigger.field === "expectedCloseDate") {
    return db
      .select()
      .from(deals)
      .where(
        and(
          eq(deals.expectedCloseDate, date),
          eq(deals.status, "open"),
          isNull(deals.deletedAt),
          notStarted(workflowId, sql`${deals.id}`, sql`${date}`),
        ),
      )
      .limit(LIMIT);
  }
  // A custom date field has no index: it is read only in the hour a date of it is due.
  const table = RECORD_TABLES[trigger.recordType];
  const key = trigger.field.slice("custom.".length);
  return db
    .select()
    .from(table)
    .where(
      and(
        sql`json_extract(custom, ${`$.${key}`}) = ${date}`,
        isNull(table.deletedAt),
        notStarted(workflowId, sql`${table.id}`, sql`${date}`),
      ),
    )
    .limit(LIMIT);
}

interface DateWorkflow {
  id: string;
  version: number;
  definition: Definition & { trigger: DateTrigger };
}

/** Starts the runs of date-relative workflows that are due at `now`; returns how many started. */
export async function startDateRuns(services: ConsumerServices, now: number): Promise<number> {
  const { db } = services;
  const [rows, settingRows] = await db.batch([
    workflowsForTriggerQuery(db, DATE_TRIGGER),
    readSettingsQuery(db),
  ]);
  const { timeZone } = toSettings(settingRows);
  const workflows: DateWorkflow[] = rows.flatMap((row) => {
    const definition = parseDefinition(row.definition);
    return definition?.trigger.type === "date"
      ? [{ id: row.id, version: row.version, definition: definition as DateWorkflow["definition"] }]
      : [];
  });
  const queries = workflows.flatMap((workflow) => {
    const query = dueRecordsQuery(db, workflow.id, workflow.definition.trigger, now, timeZone);
    return query ? [{ workflow, query }] : [];
  });
  const [first, ...rest] = queries.map((q) => q.query as BatchItem<"sqlite">);
  if (!first) return 0;
  const results = (await db.batch([first, ...rest])) as unknown[][];
  const runs: NewRun[] = [];
  queries.forEach(({ workflow }, i) => {
    const { trigger, conditions } = workflow.definition;
    for (const row of results[i] ?? []) {
      const record = toFacts(row) as RecordFacts;
      const after = { ...record, event: { type: DATE_TRIGGER, field: trigger.field } };
      if (!conditionsHold(conditions, { after, before: null }).matched) continue;
      const value = valueAt(record, trigger.field);
      runs.push({
        id: newId(),
        workflowId: workflow.id,
        version: workflow.version,
        triggerKey: dateKey(record.id, value),
        eventType: DATE_TRIGGER,
        recordType: trigger.recordType,
        recordId: record.id,
        status: "running",
        depth: 0,
        wakeAt: now + STALL_MS,
        context: JSON.stringify({ field: trigger.field, value, after: record }),
        startedAt: now,
        updatedAt: now,
      });
    }
  });
  if (runs.length === 0) return 0;
  // Some hundred rows per INSERT, well within SQLite's limit on bound values.
  const inserts = [];
  for (let i = 0; i < runs.length; i += 100) inserts.push(insertRunsStatement(db, runs.slice(i, i + 100)));
  const [firstInsert, ...moreInserts] = inserts;
  if (!firstInsert) return 0;
  const written = (await db.batch([firstInsert, ...moreInserts])).flat();
  const byId = new Map(runs.map((run) => [run.id, run]));
  await sendSteps(
    services.queues.events,
    written.flatMap((row) => {
      const run = byId.get(row.id);
      return run
        ? [
            {
              data: {
                runId: row.id,
                step: 0,
                recordType: run.recordType ?? null,
                recordId: run.recordId ?? null,
              },
            },
          ]
        : [];
    }) as Parameters<typeof sendSteps>[1],
    now,
  );
  return written.length;
}
