// Tasks: owned records (the owner is the assignee) that follow the record-visibility rule, with versions for
// ETags, soft delete, completion, snoozing, and the assignee's today / overdue / upcoming lists.
import { and, asc, desc, eq, gte, isNotNull, isNull, lt, type SQL, sql } from "drizzle-orm";
import type { BatchResponse } from "drizzle-orm/batch";
import { denyUnless } from "./access.ts";
import { callerAuditStatement } from "./audit-queries.ts";
import { type CallerRef, callerUserId, canSeeRecord, canWriteRecord } from "./caller.ts";
import type { Database } from "./client.ts";
import { ForbiddenError, NotFoundError } from "./errors.ts";
import { newId } from "./ids.ts";
import { type Page, rowsForPage } from "./paging.ts";
import { companies, contacts, deals, tasks, teamMembers, users } from "./schema/index.ts";
import { insertWhere, type WriteContext } from "./statements.ts";
import { decodeTimeCursor, encodeTimeCursor } from "./timeline.ts";

export const TASK_PRIORITIES = ["low", "normal", "high"] as const;
export const TASK_STATUSES = ["open", "done"] as const;
export const TASK_VIEWS = ["all", "today", "overdue", "upcoming"] as const;
export type TaskView = (typeof TASK_VIEWS)[number];

export interface TaskRecord {
  id: string;
  title: string;
  notes: string | null;
  dueAt: number | null;
  remindAt: number | null;
  reminderSentAt: number | null;
  overdueAt: number | null;
  status: "open" | "done";
  priority: "low" | "normal" | "high";
  completedAt: number | null;
  contactId: string | null;
  companyId: string | null;
  dealId: string | null;
  assigneeId: string | null;
  teamId: string | null;
  version: number;
  createdAt: number;
  updatedAt: number;
}

const taskFields = {
  id: tasks.id,
  title: tasks.title,
  notes: tasks.notes,
  dueAt: tasks.dueAt,
  remindAt: tasks.remindAt,
  reminderSentAt: tasks.reminderSentAt,
  overdueAt: tasks.overdueAt,
  status: tasks.status,
  priority: tasks.priority,
  completedAt: tasks.completedAt,
  contactId: tasks.contactId,
  companyId: tasks.companyId,
  dealId: tasks.dealId,
  assigneeId: tasks.ownerId,
  teamId: tasks.teamId,
  version: tasks.version,
  createdAt: tasks.createdAt,
  updatedAt: tasks.updatedAt,
};

const visible = (me: CallerRef) => canSeeRecord(me, tasks.ownerId, tasks.teamId);

export function readTaskQuery(db: Database, me: CallerRef, id: string) {
  return db
    .select(taskFields)
    .from(tasks)
    .where(and(eq(tasks.id, id), isNull(tasks.deletedAt), visible(me)));
}

/** The open tasks of a record the caller sees (for the contact 360), soonest due first, undated last. */
export function openTasksOfContactQuery(db: Database, me: CallerRef, contactId: string, limit = 100) {
  return db
    .select(taskFields)
    .from(tasks)
    .where(
      and(eq(tasks.contactId, contactId), eq(tasks.status, "open"), isNull(tasks.deletedAt), visible(me)),
    )
    .orderBy(sql`${tasks.dueAt} is null`, asc(tasks.dueAt), asc(tasks.id))
    .limit(limit);
}

// ---- lists ----

const HOUR = 60 * 60_000;
/** A local day is at most 25 hours long and contains now: its bounds lie within this distance of now. */
const DAY_REACH = 25 * HOUR;

export interface TaskFilter {
  view: TaskView;
  /** Only this assignee's tasks (`me`: the caller's); every task the caller sees when absent. */
  assigneeId?: string | undefined;
  status?: "open" | "done" | undefined;
  cursor?: string | undefined;
  limit: number;
  now: number;
}

/** Whether the text is a cursor of this view (a due time and id for the dated views, an id for `all`). */
export function isTaskCursor(view: TaskView, cursor: string): boolean {
  return view === "all" ? /^[0-9a-f-]{1,40}$/i.test(cursor) : decodeTimeCursor(cursor) !== null;
}

/**
 * One page of tasks. `all` is newest first by id; the dated views are soonest due first on the
 * (owner_id, status, due_at) index. The caller's time zone is only known once the batch has read the
 * principal, so `today` and `upcoming` read the widest window any time zone could mean and taskPage trims it.
 */
export function listTasksQuery(db: Database, me: CallerRef, filter: TaskFilter) {
  const assignee =
    filter.assigneeId === undefined
      ? undefined
      : sql`${tasks.ownerId} = ${filter.assigneeId === "me" ? callerUserId(me) : filter.assigneeId}`;
  const base = and(assignee, isNull(tasks.deletedAt), visible(me));
  if (filter.view === "all") {
    return db
      .select(taskFields)
      .from(tasks)
      .where(
        and(
          base,
          filter.status !== undefined ? eq(tasks.status, filter.status) : undefined,
          filter.cursor !== undefined ? lt(tasks.id, filter.cursor) : undefined,
        ),
      )
      .orderBy(desc(tasks.id))
      .limit(rowsForPage(filter.limit));
  }
  const cursor = decodeTimeCursor(filter.cursor);
  const window: (SQL | undefined)[] =
    filter.view === "overdue"
      ? [lt(tasks.dueAt, filter.now)]
      : filter.view === "today"
        ? [gte(tasks.dueAt, filter.now - DAY_REACH), lt(tasks.dueAt, filter.now + DAY_REACH)]
        : [gte(tasks.dueAt, filter.now)];
  return db
    .select(taskFields)
    .from(tasks)
    .where(
      and(
        base,
        eq(tasks.status, "open"),
        isNotNull(tasks.dueAt),
        ...window,
        // The plain bound lets the index seek to the cursor (it has no id column); the row value breaks ties.
        cursor ? gte(tasks.dueAt, cursor.at) : undefined,
        cursor ? sql`(${tasks.dueAt}, ${tasks.id}) > (${cursor.at}, ${cursor.id})` : undefined,
      ),
    )
    .orderBy(asc(tasks.dueAt), asc(tasks.id))
    .limit(rowsForPage(filter.limit));
}

/** The start of the local day that contains `at`, and of the next, in the IANA time zone. */
export function localDay(at: number, timeZone: string): { start: number; end: number } {
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  });
  const wall = (t: number) => {
    const parts: Record<string, number> = {};
    for (const part of format.formatToParts(t)) parts[part.type] = Number(part.value);
    const { year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = parts;
    return { year, month, day, utc: Date.UTC(year, month - 1, day, hour, minute, second) };
  };
  // The instant whose wall time is midnight of that date: subtract the zone's offset, refined as it changes.
  const midnight = (year: number, month: number, day: number) => {
    const target = Date.UTC(year, month - 1, day);
    let t = target;
    for (let i = 0; i < 3; i++) t = target - (wall(t).utc - Math.floor(t / 1000) * 1000);
    return t;
  };
  const today = wall(at);
  return {
    start: midnight(today.year, today.month, today.day),
    end: midnight(today.year, today.month, today.day + 1),
  };
}

/**
 * The page out of listTasksQuery's rows, trimmed to the caller's local day for `today` and to after it for
 * `upcoming`. A trimmed page can be shorter than the limit (even empty) while nextCursor says more follow.
 */
export function taskPage(rows: TaskRecord[], filter: TaskFilter, timeZone: string): Page<TaskRecord> {
  const kept = rows.slice(0, filter.limit);
  const last = kept.at(-1);
  const more = rows.length > filter.limit && last !== undefined;
  if (filter.view === "all") return { items: kept, nextCursor: more ? last.id : null };
  const cursorOf = (task: TaskRecord) => encodeTimeCursor({ at: task.dueAt ?? 0, id: task.id });
  if (filter.view === "overdue") return { items: kept, nextCursor: more ? cursorOf(last) : null };
  const day = localDay(filter.now, timeZone);
  const due = (task: TaskRecord) => task.dueAt ?? 0;
  if (filter.view === "upcoming") {
    return { items: kept.filter((task) => due(task) >= day.end), nextCursor: more ? cursorOf(last) : null };
  }
  const items = kept.filter((task) => due(task) >= day.start && due(task) < day.end);
  // Rows come soonest first: one past the end of the day means nothing later belongs to today.
  const pastToday = kept.some((task) => due(task) >= day.end);
  return { items, nextCursor: more && !pastToday ? cursorOf(last) : null };
}

// ---- writes ----

export interface TaskInput {
  title: string;
  notes?: string | undefined;
  dueAt?: number | undefined;
  remindAt?: number | undefined;
  priority?: "low" | "normal" | "high" | undefined;
  contactId?: string | undefined;
  companyId?: string | undefined;
  dealId?: string | undefined;
  assigneeId?: string | undefined;
  teamId?: string | undefined;
}

type Related = typeof contacts | typeof companies | typeof deals;

function relatedVisible(me: CallerRef, table: Related, id: string | undefined): SQL {
  if (id === undefined) return sql`1`;
  return sql`exists (select 1 from ${table} r where r.id = ${id} and r.deleted_at is null and ${canSeeRecord(me, sql`r.owner_id`, sql`r.team_id`)})`;
}

/**
 * Creates a task: the assignee defaults to the caller, the team to the assignee's first team. 404 when a
 * related record is not visible; 422-worthy problems (unknown assignee, a team they are not in) and a
 * caller who may not give them the task are told apart from the checks read in the same batch.
 */
export function createTask(db: Database, input: TaskInput, ctx: WriteContext) {
  const id = newId();
  const statements = (me: CallerRef) => {
    const assignee = input.assigneeId !== undefined ? sql`${input.assigneeId}` : callerUserId(me);
    const team =
      input.teamId !== undefined
        ? sql`${input.teamId}`
        : sql`(select ${teamMembers.teamId} from ${teamMembers} where ${teamMembers.userId} = ${assignee} order by ${teamMembers.teamId} limit 1)`;
    const assigneeActive = sql`exists (select 1 from ${users} where ${users.id} = ${assignee} and ${users.active} = 1)`;
    const inTeam =
      input.teamId === undefined
        ? sql`1`
        : sql`exists (select 1 from ${teamMembers} where ${teamMembers.teamId} = ${input.teamId} and ${teamMembers.userId} = ${assignee})`;
    const allowed = canWriteRecord(me, assignee, team);
    const related = sql`(${relatedVisible(me, contacts, input.contactId)} and ${relatedVisible(me, companies, input.companyId)} and ${relatedVisible(me, deals, input.dealId)})`;
    return [
      denyUnless(db, related, "not_found"),
      db
        .select({
          assigneeActive: sql<number>`${assigneeActive}`,
          inTeam: sql<number>`${inTeam}`,
          allowed: sql<number>`${allowed}`,
        })
        .from(sql`(select 1)`),
      insertWhere(
        db,
        tasks,
        {
          id,
          title: input.title,
          notes: input.notes ?? null,
          dueAt: input.dueAt ?? null,
          remindAt: input.remindAt ?? null,
          priority: input.priority ?? "normal",
          contactId: input.contactId ?? null,
          companyId: input.companyId ?? null,
          dealId: input.dealId ?? null,
          ownerId: assignee,
          teamId: team,
          createdAt: ctx.now,
          updatedAt: ctx.now,
        },
        sql`${assigneeActive} and ${inTeam} and ${allowed}`,
      ),
      readTaskQuery(db, me, id),
    ] as const;
  };
  return {
    statements,
    result([, checks, , rows]: BatchResponse<ReturnType<typeof statements>>): TaskRecord {
      const row = rows[0];
      if (row) return row;
      const check = checks[0];
      if (!check?.assigneeActive) throw new TaskInputError("assigneeId: no active user with this id.");
      if (!check.inTeam) throw new TaskInputError("teamId: the assignee is not a member of this team.");
      throw new ForbiddenError("You may not assign tasks to this user or team.");
    },
  };
}

/** The input names an assignee or team that cannot take the task: a 422. */
export class TaskInputError extends Error {
  override name = "TaskInputError";
}

export interface TaskPatch {
  title?: string | undefined;
  notes?: string | null | undefined;
  dueAt?: number | null | undefined;
  remindAt?: number | null | undefined;
  priority?: "low" | "normal" | "high" | undefined;
  status?: "open" | "done" | undefined;
}

const writable = (me: CallerRef) => canWriteRecord(me, tasks.ownerId, tasks.teamId);

/**
 * Changes a task when its version is still `expectedVersion` (null: any). Completing sets completedAt,
 * reopening clears it; a new due or reminder time (a snooze) lets the reminder go out again.
 */
export function updateTask(
  db: Database,
  id: string,
  patch: TaskPatch,
  expectedVersion: number | null,
  ctx: WriteContext,
) {
  const snoozed = patch.dueAt !== undefined || patch.remindAt !== undefined;
  const statements = (me: CallerRef) =>
    [
      db
        .update(tasks)
        .set({
          ...(patch.title !== undefined ? { title: patch.title } : {}),
          ...(patch.notes !== undefined ? { notes: patch.notes } : {}),
          ...(patch.dueAt !== undefined ? { dueAt: patch.dueAt } : {}),
          ...(patch.remindAt !== undefined ? { remindAt: patch.remindAt } : {}),
          ...(patch.priority !== undefined ? { priority: patch.priority } : {}),
          ...(snoozed ? { reminderSentAt: null } : {}),
          ...(patch.status !== undefined
            ? {
                status: patch.status,
                completedAt:
                  patch.status === "done"
                    ? sql`case when ${tasks.status} = 'done' then ${tasks.completedAt} else ${ctx.now} end`
                    : null,
              }
            : {}),
          version: sql`${tasks.version} + 1`,
          updatedAt: ctx.now,
        })
        .where(
          and(
            eq(tasks.id, id),
            isNull(tasks.deletedAt),
            writable(me),
            expectedVersion !== null ? eq(tasks.version, expectedVersion) : undefined,
          ),
        )
        .returning({ id: tasks.id }),
      readTaskQuery(db, me, id),
    ] as const;
  return { statements, result: versionedResult };
}

/** The row after a versioned write: 404 when it is not visible, a StaleVersionError when the write did not apply. */
function versionedResult([written, rows]: readonly [{ id: string }[], TaskRecord[]]): TaskRecord {
  const row = rows[0];
  if (!row) throw new NotFoundError("Not found");
  if (written.length === 0) throw new StaleVersionError();
  return row;
}

/** The If-Match version is not the task's: the caller read it before someone else changed it (412). */
export class StaleVersionError extends Error {
  override name = "StaleVersionError";
}

/** Soft-deletes a task (404 when the caller may not change it; 412 on a stale If-Match), with an audit entry. */
export function deleteTask(db: Database, id: string, expectedVersion: number | null, ctx: WriteContext) {
  const statements = (me: CallerRef) =>
    [
      // Read before the update, so that a task deleted by this very batch still counts as found.
      db
        .select({ id: tasks.id })
        .from(tasks)
        .where(and(eq(tasks.id, id), isNull(tasks.deletedAt), visible(me))),
      db
        .update(tasks)
        .set({ deletedAt: ctx.now, updatedAt: ctx.now, version: sql`${tasks.version} + 1` })
        .where(
          and(
            eq(tasks.id, id),
            isNull(tasks.deletedAt),
            writable(me),
            expectedVersion !== null ? eq(tasks.version, expectedVersion) : undefined,
          ),
        )
        .returning({ id: tasks.id }),
      callerAuditStatement(
        db,
        me,
        { action: "record.deleted", targetType: "task", targetId: id },
        ctx.origin,
        ctx.now,
        {
          when: sql`exists (select 1 from ${tasks} where ${tasks.id} = ${id} and ${tasks.deletedAt} = ${ctx.now})`,
        },
      ),
    ] as const;
  return {
    statements,
    result([found, written]: BatchResponse<ReturnType<typeof statements>>): void {
      if (found.length === 0) throw new NotFoundError("Not found");
      if (written.length === 0) throw new StaleVersionError();
    },
  };
}

/** Brings back a deleted task the caller may change; a task that is not deleted comes back as it is. */
export function restoreTask(db: Database, id: string, ctx: WriteContext) {
  const statements = (me: CallerRef) =>
    [
      denyUnless(
        db,
        sql`exists (select 1 from ${tasks} where ${tasks.id} = ${id} and ${writable(me)})`,
        "not_found",
      ),
      db
        .update(tasks)
        .set({ deletedAt: null, updatedAt: ctx.now, version: sql`${tasks.version} + 1` })
        .where(and(eq(tasks.id, id), isNotNull(tasks.deletedAt))),
      readTaskQuery(db, me, id),
    ] as const;
  return {
    statements,
    result([, , rows]: BatchResponse<ReturnType<typeof statements>>): TaskRecord {
      const row = rows[0];
      if (!row) throw new NotFoundError("Not found");
      return row;
    },
  };
}
