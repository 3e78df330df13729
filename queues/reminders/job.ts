// The reminder sweep (every minute): each open task whose reminder time has come is marked sent and notifies
// its assignee, in one batch, so a reminder goes out once however the cron fires (twice, or overlapping).
// The same run flags open tasks whose due time passed as overdue (the flag's trigger emits task.due).
import { and, asc, eq, isNull, lte, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Database } from "../../db/client.ts";
import { tasks } from "../../db/schema/index.ts";
import { idList } from "../../db/statements.ts";
import type { CronJob } from "../cron/job.ts";
import { notifyStatements } from "../outbound/notify.ts";

const SWEEP_LIMIT = 200;

/** Due reminders, oldest first, through tasks_remind_idx (its condition is repeated so the planner uses it). */
function dueReminders(db: Database, now: number) {
  return db
    .select({
      id: tasks.id,
      title: tasks.title,
      ownerId: tasks.ownerId,
      remindAt: tasks.remindAt,
      dueAt: tasks.dueAt,
      contactId: tasks.contactId,
    })
    .from(tasks)
    .where(
      and(
        isNull(tasks.reminderSentAt),
        eq(tasks.status, "open"),
        lte(tasks.remindAt, now),
        isNull(tasks.deletedAt),
      ),
    )
    .orderBy(asc(tasks.remindAt))
    .limit(SWEEP_LIMIT);
}

/**
 * Marks the reminders sent and notifies, atomically (one batch is one transaction). The UPDATE claims only rows
 * still unsent; each notification is written only if its task was claimed at this `now`, and its dedupe key
 * (task and reminder time) stops a second run at the same scheduled time from writing it again.
 */
export async function sweepReminders(db: Database, now: number): Promise<number> {
  const due = await dueReminders(db, now);
  const reminders = due.filter((task) => task.ownerId !== null && task.remindAt !== null);
  if (reminders.length === 0) return 0;
  const claim = db.run(sql`update ${tasks} set reminder_sent_at = ${now}
    where id in (${idList(reminders.map((task) => task.id))})
      and reminder_sent_at is null and status = 'open' and deleted_at is null and remind_at <= ${now}`);
  const notify: BatchItem<"sqlite">[] = reminders.flatMap((task) =>
    notifyStatements(
      db,
      {
        userId: task.ownerId ?? "",
        kind: "reminder",
        title: `Reminder: ${task.title}`,
        body: task.dueAt === null ? "Task reminder" : `Due ${new Date(task.dueAt).toISOString()}`,
        link: `/tasks/${task.id}`,
        contactId: task.contactId ?? undefined,
        dedupeKey: `reminder:${task.id}:${task.remindAt}`,
        when: sql`exists (select 1 from ${tasks} where ${tasks.id} = ${task.id} and ${tasks.reminderSentAt} = ${now})`,
      },
      now,
    ),
  );
  await db.batch([claim, ...notify]);
  return reminders.length;
}

const OVERDUE_LIMIT = 500;

/**
 * Flags open tasks whose due time has passed, oldest first through tasks_overdue_idx. Flagging is one UPDATE
 * of rows not yet flagged, so a second run finds nothing to do, and each task's task.due event is written
 * once, by the flag's trigger, in the same statement.
 */
export async function flagOverdueTasks(db: Database, now: number): Promise<number> {
  const result = await db.run(sql`update ${tasks} set overdue_at = ${now}
    where id in (select id from ${tasks} where overdue_at is null and status = 'open' and due_at <= ${now}
      and deleted_at is null order by due_at limit ${OVERDUE_LIMIT})`);
  return result.rowsAffected;
}

export const reminders: CronJob = {
  name: "reminders",
  staleAfterMs: 5 * 60_000,
  async run(services, scheduledAt) {
    const due = await sweepReminders(services.db, scheduledAt);
    const overdue = await flagOverdueTasks(services.db, scheduledAt);
    return `${due} reminders due, ${overdue} tasks now overdue`;
  },
};
