// The daily digest: for every active rep whose local clock has passed 08:00 and who has no digest for their
// local date, one notification (kind "digest") listing today's tasks, overdue tasks, leads assigned since the
// last digest and leads whose first-response clock runs out soon. The (user, local date) claim and the
// notification are written in one batch, the notification only where this run's claim holds, so a digest
// goes out once per rep and day however often the job runs or overlaps.
import { and, asc, eq, gt, gte, inArray, isNotNull, isNull, lt, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Database } from "../../db/client.ts";
import { newId } from "../../db/ids.ts";
import { assignments, contacts, digests, slaClocks, tasks, users } from "../../db/schema/index.ts";
import { localDay } from "../../db/tasks.ts";
import { notifyStatements } from "../outbound/notify.ts";
import { localTime } from "./local-time.ts";

export const DIGEST_HOUR = 8;
/** A lead is at risk when its first-response deadline falls within this window. */
export const SLA_RISK_MS = 2 * 60 * 60_000;
/** New leads are counted since the last digest, and at most this far back. */
const LEADS_REACH_MS = 7 * 24 * 60 * 60_000;
/** Digests written per run; the rest go out on the next minute's run. */
const MAX_PER_RUN = 200;
const LISTED = 10;

interface Rep {
  id: string;
  name: string;
  timeZone: string;
  lastDigestAt: number | null;
  localDate: string;
}

/** The reps due a digest at `now`: past 08:00 local, no digest for their local date yet. */
async function dueReps(db: Database, now: number): Promise<Rep[]> {
  const rows = await db
    .select({
      id: users.id,
      name: users.name,
      timeZone: users.timeZone,
      lastDate: sql<
        string | null
      >`(select max(${digests.localDate}) from ${digests} where ${digests.userId} = ${users.id})`,
      lastDigestAt: sql<
        number | null
      >`(select max(${digests.createdAt}) from ${digests} where ${digests.userId} = ${users.id})`,
    })
    .from(users)
    .where(and(eq(users.active, true), inArray(users.role, ["rep", "manager", "admin"])));
  const due: Rep[] = [];
  for (const row of rows) {
    const local = localTime(now, row.timeZone);
    if (local.hour < DIGEST_HOUR) continue;
    if (row.lastDate !== null && row.lastDate >= local.date) continue;
    due.push({
      id: row.id,
      name: row.name,
      timeZone: row.timeZone,
      lastDigestAt: row.lastDigestAt === null ? null : Number(row.lastDigestAt),
      localDate: local.date,
    });
    if (due.length >= MAX_PER_RUN) break;
  }
  return due;
}

interface DigestContent {
  today: { title: string; dueAt: number }[];
  overdue: { title: string; dueAt: number }[];
  newLeads: { name: string }[];
  atRisk: { name: string; dueAt: number }[];
}

/** Reads what every due rep's digest lists, in one round trip. */
async function readContent(db: Database, reps: Rep[], now: number): Promise<Map<string, DigestContent>> {
  const ids = reps.map((rep) => rep.id);
  const [openTasks, leads, clocks] = await db.batch([
    db
      .select({ ownerId: tasks.ownerId, title: tasks.title, dueAt: tasks.dueAt })
      .from(tasks)
      .where(
        and(
          inArray(tasks.ownerId, ids),
          eq(tasks.status, "open"),
          isNotNull(tasks.dueAt),
          isNull(tasks.deletedAt),
          // Today ends at most 25 hours from now in any zone; trimmed per rep below.
          lt(tasks.dueAt, now + 25 * 60 * 60_000),
        ),
      )
      .orderBy(asc(tasks.dueAt)),
    db
      .select({ userId: assignments.userId, name: contacts.name, createdAt: assignments.createdAt })
      .from(assignments)
      .innerJoin(contacts, eq(contacts.id, assignments.contactId))
      .where(
        and(
          inArray(assignments.userId, ids),
          gt(assignments.createdAt, now - LEADS_REACH_MS),
          isNull(contacts.deletedAt),
          sql`${contacts.ownerId} = ${assignments.userId}`,
        ),
      )
      .orderBy(asc(assignments.createdAt)),
    db
      .select({ ownerId: slaClocks.ownerId, name: contacts.name, dueAt: slaClocks.dueAt })
      .from(slaClocks)
      .innerJoin(contacts, eq(contacts.id, slaClocks.contactId))
      .where(
        and(
          inArray(slaClocks.ownerId, ids),
          isNull(slaClocks.respondedAt),
          isNull(slaClocks.breachedAt),
          gte(slaClocks.dueAt, now),
          lt(slaClocks.dueAt, now + SLA_RISK_MS),
        ),
      )
      .orderBy(asc(slaClocks.dueAt)),
  ]);
  const content = new Map<string, DigestContent>();
  for (const rep of reps) {
    const day = localDay(now, rep.timeZone);
    const since = rep.lastDigestAt ?? now - 24 * 60 * 60_000;
    const mine = openTasks.filter((task) => task.ownerId === rep.id && task.dueAt !== null);
    content.set(rep.id, {
      today: mine
        .filter((task) => (task.dueAt ?? 0) >= Math.max(day.start, now) && (task.dueAt ?? 0) < day.end)
        .map((task) => ({ title: task.title, dueAt: task.dueAt ?? 0 })),
      overdue: mine
        .filter((task) => (task.dueAt ?? 0) < now)
        .map((task) => ({ title: task.title, dueAt: task.dueAt ?? 0 })),
      newLeads: leads.filter((lead) => lead.userId === rep.id && lead.createdAt > since),
      atRisk: clocks.filter((clock) => clock.ownerId === rep.id),
    });
  }
  return content;
}

function clock(at: number, timeZone: string): string {
  const local = localTime(at, timeZone);
  return `${String(local.hour).padStart(2, "0")}:${String(local.minute).padStart(2, "0")}`;
}

/** The digest's text, plain enough for email, Slack and Teams alike. */
export function digestBody(rep: Rep, content: DigestContent): string {
  const section = (title: string, lines: string[]) => {
    if (lines.length === 0) return `${title}: none`;
    const shown = lines.slice(0, LISTED).map((line) => `- ${line}`);
    if (lines.length > LISTED) shown.push(`- and ${lines.length - LISTED} more`);
    return `${title} (${lines.length}):\n${shown.join("\n")}`;
  };
  return [
    section(
      "Today's tasks",
      content.today.map((task) => `${clock(task.dueAt, rep.timeZone)} ${task.title}`),
    ),
    section(
      "Overdue tasks",
      content.overdue.map((task) => `${task.title} (due ${new Date(task.dueAt).toISOString().slice(0, 10)})`),
    ),
    section(
      "New leads assigned",
      content.newLeads.map((lead) => lead.name),
    ),
    section(
      "Leads at risk of SLA breach",
      content.atRisk.map((lead) => `${lead.name} (respond by ${clock(lead.dueAt, rep.timeZone)})`),
    ),
  ].join("\n\n");
}

/** Claims and writes the digests due at `now`; returns how many this run claimed. */
export async function sendDigests(db: Database, now: number): Promise<{ due: number; claimed: number }> {
  const reps = await dueReps(db, now);
  if (reps.length === 0) return { due: 0, claimed: 0 };
  const content = await readContent(db, reps, now);
  const claim = newId();
  const statements: BatchItem<"sqlite">[] = [];
  const claims: number[] = [];
  for (const rep of reps) {
    const body = content.get(rep.id);
    if (!body) continue;
    claims.push(statements.length);
    statements.push(
      db
        .insert(digests)
        .values({ userId: rep.id, localDate: rep.localDate, claim, createdAt: now })
        .onConflictDoNothing()
        .returning({ userId: digests.userId }),
      ...notifyStatements(
        db,
        {
          userId: rep.id,
          kind: "digest",
          title: `Your day, ${rep.localDate}`,
          body: digestBody(rep, body),
          link: "/tasks?view=today",
          dedupeKey: `digest:${rep.id}:${rep.localDate}`,
          // Only this run's claim: a run that lost the race to another writes nothing.
          when: sql`exists (select 1 from ${digests} where ${digests.userId} = ${rep.id}
            and ${digests.localDate} = ${rep.localDate} and ${digests.claim} = ${claim})`,
        },
        now,
      ),
    );
  }
  const [first, ...rest] = statements;
  if (!first) return { due: reps.length, claimed: 0 };
  const results = (await db.batch([first, ...rest])) as unknown[];
  const claimed = claims.filter((i) => {
    const rows = results[i];
    return Array.isArray(rows) && rows.length > 0;
  }).length;
  return { due: reps.length, claimed };
}
