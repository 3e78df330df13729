// A reminder due at T goes out once, at or after T: not before, and not twice when the cron fires twice or
// two sweeps overlap. The scheduled time is the clock.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { newId } from "../../db/ids.ts";
import { notifications, outbox, tasks } from "../../db/schema/index.ts";
import { sweepReminders } from "../../queues/reminders/job.ts";
import { createUser, type TestUser } from "./factories.ts";
import { useTestDatabase } from "./support.ts";

const t = useTestDatabase();
const MINUTE = 60_000;

async function taskWithReminder(owner: TestUser, remindAt: number) {
  const id = newId();
  await t.db.insert(tasks).values({
    id,
    title: "Call back Nguyễn",
    remindAt,
    dueAt: remindAt + 30 * MINUTE,
    ownerId: owner.id,
    createdAt: remindAt - 60 * MINUTE,
    updatedAt: remindAt - 60 * MINUTE,
  });
  return id;
}

async function delivered(taskId: string) {
  const rows = await t.db
    .select()
    .from(notifications)
    .where(eq(notifications.link, `/tasks/${taskId}`));
  const emails = await t.db
    .select()
    .from(outbox)
    .where(eq(outbox.link, `/tasks/${taskId}`));
  const [task] = await t.db.select().from(tasks).where(eq(tasks.id, taskId));
  return { rows, emails, sentAt: task?.reminderSentAt ?? null };
}

describe("reminder sweep", () => {
  it("does nothing before T, delivers once at T, and not again when the cron fires twice", async () => {
    const owner = await createUser(t.db);
    const at = Date.UTC(2026, 10, 23, 9, 0);
    const taskId = await taskWithReminder(owner, at);

    await t.scheduled("* * * * *", at - MINUTE);
    expect((await delivered(taskId)).rows).toHaveLength(0);

    await t.scheduled("* * * * *", at);
    await t.scheduled("* * * * *", at);
    await t.scheduled("* * * * *", at + MINUTE);
    const { rows, emails, sentAt } = await delivered(taskId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ userId: owner.id, kind: "reminder", inApp: true, createdAt: at });
    expect(rows[0]?.title).toContain("Call back Nguyễn");
    expect(sentAt).toBe(at);
    // Email is among a reminder's default channels: one outbox row, to the owner.
    expect(emails.map((e) => [e.channel, e.recipient, e.kind])).toEqual([["email", owner.email, "reminder"]]);
  });

  it("delivers a reminder that came due between fires at the next fire, once", async () => {
    const owner = await createUser(t.db);
    const at = Date.UTC(2026, 10, 23, 10, 0, 30);
    const taskId = await taskWithReminder(owner, at);
    await t.scheduled("* * * * *", at - 30_000);
    expect((await delivered(taskId)).rows).toHaveLength(0);
    await t.scheduled("* * * * *", at + 30_000);
    await t.scheduled("* * * * *", at + 90_000);
    const { rows, sentAt } = await delivered(taskId);
    expect(rows.map((r) => r.createdAt)).toEqual([at + 30_000]);
    expect(sentAt).toBe(at + 30_000);
  });

  it("delivers once when two scheduled runs overlap, at the same time or at consecutive minutes", async () => {
    const owner = await createUser(t.db);
    const at = Date.UTC(2026, 10, 23, 11, 0);
    const same = await taskWithReminder(owner, at);
    await Promise.all([t.scheduled("* * * * *", at), t.scheduled("* * * * *", at)]);
    expect((await delivered(same)).rows).toHaveLength(1);

    // Without the job lease in the way: the sweeps themselves, side by side, at one time and at two.
    const next = await taskWithReminder(owner, at + 5 * MINUTE);
    const counts = await Promise.all([
      sweepReminders(t.db, at + 5 * MINUTE),
      sweepReminders(t.db, at + 5 * MINUTE),
      sweepReminders(t.db, at + 6 * MINUTE),
      sweepReminders(t.db, at + 6 * MINUTE),
    ]);
    expect(counts.some((n) => n > 0)).toBe(true);
    const { rows, emails } = await delivered(next);
    expect(rows).toHaveLength(1);
    expect(emails).toHaveLength(1);
  });

  it("skips done and deleted tasks, and tasks whose reminder already went out", async () => {
    const owner = await createUser(t.db);
    const at = Date.UTC(2026, 10, 23, 12, 0);
    const done = await taskWithReminder(owner, at);
    const deleted = await taskWithReminder(owner, at);
    const sent = await taskWithReminder(owner, at);
    await t.db.update(tasks).set({ status: "done" }).where(eq(tasks.id, done));
    await t.db.update(tasks).set({ deletedAt: at }).where(eq(tasks.id, deleted));
    await t.db
      .update(tasks)
      .set({ reminderSentAt: at - MINUTE })
      .where(eq(tasks.id, sent));
    await sweepReminders(t.db, at);
    for (const id of [done, deleted, sent]) expect((await delivered(id)).rows).toHaveLength(0);
  });
});
