// What each action does, as the statements of its step's batch: written under the step's claim, so a step
// delivered or retried again writes nothing twice. Record changes (tasks, fields, owners, tags) are here;
// email, notifications, sequences and webhooks in outbound-actions.ts.
import { type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Database } from "../../db/client.ts";
import { newId } from "../../db/ids.ts";
import { activities, contacts, contactTags, tasks } from "../../db/schema/index.ts";
import { insertWhere } from "../../db/statements.ts";
import {
  RECORD_TABLES,
  type RecordContact,
  type RecordFacts,
  type RecordKind,
} from "../../db/workflows/records.ts";
import type { RunRow } from "../../db/workflows/runs.ts";
import type { ConsumerServices } from "../consume.ts";
import { valueAt } from "./conditions.ts";
import type { Action } from "./definition.ts";

/** Everything a step knows when it runs. */
export interface StepContext {
  services: ConsumerServices;
  db: Database;
  run: RunRow;
  workflow: { id: string; name: string; signingSecret: string };
  step: number;
  record: RecordFacts | null;
  recordType: RecordKind | null;
  contact: RecordContact | null;
  /** SQL true when this attempt holds the step's claim: the condition of every side effect. */
  claimed: SQL;
  now: number;
}

/** What a step writes (with its log row) and records. */
export interface ActionPlan {
  status: "done" | "skipped";
  input: unknown;
  result: unknown;
  statements: BatchItem<"sqlite">[];
}

/** A step that cannot be done: retried with backoff when `retryable`, else the run fails at once. */
export class StepError extends Error {
  override name = "StepError";
  readonly retryable: boolean;
  constructor(message: string, retryable: boolean) {
    super(message);
    this.retryable = retryable;
  }
}

export const skipped = (input: unknown, reason: string): ActionPlan => ({
  status: "skipped",
  input,
  result: { skipped: reason },
  statements: [],
});

/** Text with {{record.<field>}} and {{contact.<field>}} filled from the run's record and contact. */
export function fill(text: string, ctx: { record: RecordFacts | null; contact: object | null }): string {
  return text.replace(
    /\{\{\s*(record|contact)\.([A-Za-z0-9_.]+)\s*\}\}/g,
    (_, source: string, path: string) => {
      const value = valueAt(
        (source === "record" ? ctx.record : ctx.contact) as Record<string, unknown> | null,
        path,
      );
      return value === undefined || value === null
        ? ""
        : typeof value === "object"
          ? JSON.stringify(value)
          : String(value);
    },
  );
}

const firstTeamOf = (user: SQL) =>
  sql`(select team_id from team_members where user_id = ${user} order by team_id limit 1)`;

/** The users an action names who are active; read before a step that gives them something. */
export async function activeUsers(db: Database, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db.all<{ id: string }>(
    sql`select id from users where active = 1 and id in (${sql.join(
      ids.map((id) => sql`${id}`),
      sql`, `,
    )})`,
  );
  return new Set(rows.map((row) => row.id));
}

/** The user an action is for: the record's owner (or its contact's), or the one it names; checked active. */
export async function recipient(ctx: StepContext, to: "owner" | { userId: string }): Promise<string> {
  const userId = to === "owner" ? (ctx.record?.ownerId ?? ctx.contact?.ownerId ?? null) : to.userId;
  if (!userId) throw new StepError("the record has no owner", false);
  if (!(await activeUsers(ctx.db, [userId])).has(userId)) {
    throw new StepError(`user ${userId} is not an active user`, false);
  }
  return userId;
}

function requireRecord(ctx: StepContext): { record: RecordFacts; kind: RecordKind } {
  if (!ctx.record || !ctx.recordType) throw new StepError("the run has no record", false);
  return { record: ctx.record, kind: ctx.recordType };
}

/** The links a new task gets: the record itself, and the contact it leads to. */
function taskLinks(ctx: StepContext): {
  contactId: string | null;
  companyId: string | null;
  dealId: string | null;
} {
  const { record, kind } = requireRecord(ctx);
  const contactId = ctx.contact?.id ?? null;
  const id = (value: unknown) => (typeof value === "string" ? value : null);
  if (kind === "task") {
    return { contactId: id(record.contactId), companyId: id(record.companyId), dealId: id(record.dealId) };
  }
  return {
    contactId: kind === "contact" ? record.id : contactId,
    companyId: kind === "company" ? record.id : null,
    dealId: kind === "deal" ? record.id : null,
  };
}

export async function createTask(ctx: StepContext, action: Extract<Action, { type: "create_task" }>) {
  const ownerId = await recipient(ctx, action.assignTo);
  const title = fill(action.title, ctx).slice(0, 300) || "Follow up";
  const notes = action.notes === undefined ? null : fill(action.notes, ctx);
  const dueMs = ((action.dueInDays ?? 0) * 24 + (action.dueInHours ?? 0)) * 3_600_000;
  const dueAt = action.dueInDays === undefined && action.dueInHours === undefined ? null : ctx.now + dueMs;
  const id = newId();
  const links = taskLinks(ctx);
  return {
    status: "done",
    input: { title, notes, dueAt, priority: action.priority, assigneeId: ownerId, ...links },
    result: { taskId: id },
    statements: [
      insertWhere(
        ctx.db,
        tasks,
        {
          id,
          title,
          notes,
          dueAt,
          priority: action.priority,
          ...links,
          ownerId,
          teamId: firstTeamOf(sql`${ownerId}`),
          createdAt: ctx.now,
          updatedAt: ctx.now,
        },
        ctx.claimed,
      ),
    ],
  } satisfies ActionPlan;
}

export function setField(ctx: StepContext, action: Extract<Action, { type: "set_field" }>): ActionPlan {
  const { record, kind } = requireRecord(ctx);
  const table = RECORD_TABLES[kind];
  const custom = action.field.startsWith("custom.") ? action.field.slice("custom.".length) : null;
  const from = valueAt(record, action.field) ?? null;
  const input = { field: action.field, value: action.value };
  const column = custom === null ? (table as unknown as Record<string, unknown>)[action.field] : null;
  if (custom === null && !column) throw new StepError(`a ${kind} has no field ${action.field}`, false);
  const value =
    custom === null
      ? sql`${action.value}`
      : action.value === null
        ? sql`json_remove(custom, ${`$.${custom}`})`
        : sql`json_set(custom, ${`$.${custom}`}, json(${JSON.stringify(action.value)}))`;
  const target = sql.raw(custom === null ? snake(action.field) : "custom");
  return {
    status: "done",
    input,
    result: { from, to: action.value },
    statements: [
      ctx.db.run(sql`update ${table} set ${target} = ${value}, version = version + 1, updated_at = ${ctx.now}
        where id = ${record.id} and deleted_at is null and ${ctx.claimed}`),
    ],
  };
}

function snake(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** A new owner named directly: the record and its team follow the user; contacts and deals log the change. */
export async function setOwner(ctx: StepContext, userId: string): Promise<ActionPlan> {
  const { record, kind } = requireRecord(ctx);
  if (!(await activeUsers(ctx.db, [userId])).has(userId)) {
    throw new StepError(`user ${userId} is not an active user`, false);
  }
  const table = RECORD_TABLES[kind];
  const input = { userId };
  if (record.ownerId === userId) return skipped(input, "already the owner");
  const changed = sql`exists (select 1 from ${table} where id = ${record.id} and owner_id = ${userId}
    and updated_at = ${ctx.now})`;
  const timeline: BatchItem<"sqlite">[] =
    kind === "task"
      ? []
      : [
          insertWhere(
            ctx.db,
            activities,
            {
              id: newId(),
              type: "owner_change",
              occurredAt: ctx.now,
              [`${kind}Id`]: record.id,
              subject: sql`(select substr('Owner changed to ' || name, 1, 300) from users where id = ${userId})`,
              metadata: JSON.stringify({
                from: record.ownerId,
                to: userId,
                reason: "workflow",
                workflowId: ctx.workflow.id,
                runId: ctx.run.id,
              }),
              createdAt: ctx.now,
            },
            sql`${changed} and ${ctx.claimed}`,
          ),
        ];
  return {
    status: "done",
    input,
    result: { from: record.ownerId, to: userId },
    statements: [
      ctx.db.run(sql`update ${table} set owner_id = ${userId}, team_id = ${firstTeamOf(sql`${userId}`)},
          version = version + 1, updated_at = ${ctx.now}
        where id = ${record.id} and deleted_at is null and owner_id is not ${userId} and ${ctx.claimed}`),
      ...timeline,
    ],
  };
}

/**
 * Adds or removes a tag on the record's contact. The contact's version goes up only when the tag set
 * changes, so that the change is an edit (a contact.updated event) and a no-op is not.
 */
export function changeTag(ctx: StepContext, tag: string, add: boolean): ActionPlan {
  const input = { tag };
  const contact = ctx.contact;
  if (!contact) return skipped(input, "no contact");
  const has = sql`exists (select 1 from ${contactTags} where contact_id = ${contact.id} and tag = ${tag})`;
  return {
    status: "done",
    input,
    result: { contactId: contact.id },
    statements: [
      ctx.db.run(sql`update ${contacts} set version = version + 1, updated_at = ${ctx.now}
        where id = ${contact.id} and deleted_at is null and ${add ? sql`not ${has}` : has} and ${ctx.claimed}`),
      add
        ? ctx.db.run(sql`insert into ${contactTags} (contact_id, tag) select ${contact.id}, ${tag}
            where ${ctx.claimed} on conflict do nothing`)
        : ctx.db.run(
            sql`delete from ${contactTags} where contact_id = ${contact.id} and tag = ${tag} and ${ctx.claimed}`,
          ),
    ],
  };
}
