// The daily digest: each rep gets theirs at 08:00 in their own time zone, once, however often the minute cron
// fires or overlaps, and it lists today's tasks, overdue tasks, new leads and leads at risk of SLA breach.
import { and, eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../db/ids.ts";
import {
  assignments,
  contacts,
  digests,
  notifications,
  outbox,
  slaClocks,
  tasks,
  users,
} from "../../db/schema/index.ts";
import { createUser, type TestUser } from "./factories.ts";
import { useTestDatabase } from "./support.ts";

const t = useTestDatabase();
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const CRON = "* * * * *";
// A winter day: New York is UTC−5, Ho Chi Minh City UTC+7 (no daylight saving).
const DAY = Date.UTC(2026, 0, 15);
const HCM_EIGHT = DAY + 1 * HOUR; // 08:00 on 15 January in Asia/Ho_Chi_Minh
const NY_EIGHT = DAY + 13 * HOUR; // 08:00 on 15 January in America/New_York

let hanoi: TestUser;
let newYork: TestUser;

async function fire(at: number) {
  // Twice for the same minute, and overlapping with the next minute's run.
  await Promise.all([t.scheduled(CRON, at), t.scheduled(CRON, at), t.scheduled(CRON, at + MINUTE)]);
}

const digestsOf = (userId: string) =>
  t.db
    .select()
    .from(notifications)
    .where(and(eq(notifications.userId, userId), eq(notifications.kind, "digest")))
    .orderBy(notifications.createdAt);

beforeAll(async () => {
  hanoi = await createUser(t.db, { role: "rep", name: "Trần Thị Lan" });
  newYork = await createUser(t.db, { role: "rep", name: "Jane Doe" });
  await t.db.update(users).set({ timeZone: "Asia/Ho_Chi_Minh" }).where(eq(users.id, hanoi.id));
  await t.db.update(users).set({ timeZone: "America/New_York" }).where(eq(users.id, newYork.id));
  // Yesterday's digests went out: the test is about the 15th.
  for (const user of [hanoi, newYork]) {
    await t.db
      .insert(digests)
      .values({ userId: user.id, localDate: "2026-01-14", claim: "seed", createdAt: DAY - 20 * HOUR });
  }

  const now = Date.now();
  const lead = newId();
  const risky = newId();
  await t.db.insert(contacts).values([
    { id: lead, name: "Nguyễn Văn An", ownerId: hanoi.id, createdAt: now, updatedAt: now },
    { id: risky, name: "Lê Minh, Risky", ownerId: hanoi.id, createdAt: now, updatedAt: now },
  ]);
  await t.db.insert(tasks).values([
    {
      id: newId(),
      title: "Call An back",
      dueAt: HCM_EIGHT + 2 * HOUR,
      ownerId: hanoi.id,
      createdAt: now,
      updatedAt: now,
    },
    {
      id: newId(),
      title: "Send the quote",
      dueAt: HCM_EIGHT - 30 * HOUR,
      ownerId: hanoi.id,
      createdAt: now,
      updatedAt: now,
    },
    {
      id: newId(),
      title: "Tomorrow's task",
      dueAt: HCM_EIGHT + 20 * HOUR,
      ownerId: hanoi.id,
      createdAt: now,
      updatedAt: now,
    },
  ]);
  await t.db.insert(assignments).values({
    eventId: newId(),
    contactId: lead,
    claim: "c",
    reason: "form",
    userId: hanoi.id,
    createdAt: HCM_EIGHT - 3 * HOUR,
  });
  await t.db.insert(slaClocks).values({
    id: newId(),
    contactId: risky,
    ownerId: hanoi.id,
    ruleId: "r",
    startedAt: HCM_EIGHT - HOUR,
    dueAt: HCM_EIGHT + 30 * MINUTE,
    createdAt: HCM_EIGHT - HOUR,
  });

  // Across the day, every half hour, and minute by minute around each 08:00.
  const times = new Set<number>();
  for (let at = DAY; at < DAY + 24 * HOUR; at += 30 * MINUTE) times.add(at);
  for (const eight of [HCM_EIGHT, NY_EIGHT]) {
    for (let m = -3; m <= 3; m++) times.add(eight + m * MINUTE);
  }
  for (const at of [...times].sort((a, b) => a - b)) await fire(at);
}, 120_000);

describe("daily digest", () => {
  it("reaches the rep in UTC+7 once, at their 08:00", async () => {
    const sent = await digestsOf(hanoi.id);
    expect(sent.map((n) => [n.kind, n.createdAt])).toEqual([["digest", HCM_EIGHT]]);
  });

  it("reaches the rep in UTC−5 once, at their 08:00", async () => {
    const sent = await digestsOf(newYork.id);
    expect(sent.map((n) => [n.kind, n.createdAt])).toEqual([["digest", NY_EIGHT]]);
  });

  it("claims one digest per rep and local date", async () => {
    const rows = await t.db.select().from(digests).where(eq(digests.localDate, "2026-01-15"));
    expect(rows.map((r) => [r.userId, r.createdAt]).sort()).toEqual(
      [
        [hanoi.id, HCM_EIGHT],
        [newYork.id, NY_EIGHT],
      ].sort(),
    );
  });

  it("lists today's tasks, overdue tasks, new leads and leads at risk", async () => {
    const [sent] = await digestsOf(hanoi.id);
    const body = sent?.body ?? "";
    expect(body).toContain("Today's tasks (1):\n- 10:00 Call An back");
    expect(body).toContain("Overdue tasks (1):\n- Send the quote");
    expect(body).toContain("New leads assigned (1):\n- Nguyễn Văn An");
    expect(body).toContain("Leads at risk of SLA breach (1):\n- Lê Minh, Risky (respond by 08:30)");
    expect(body).not.toContain("Tomorrow's task");
  });

  it("emails the digest once, to the rep's address (the default channel)", async () => {
    const mail = await t.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.recipient, hanoi.email), eq(outbox.kind, "digest")));
    expect(mail).toHaveLength(1);
    expect(mail[0]?.subject).toBe("Your day, 2026-01-15");
  });
});
