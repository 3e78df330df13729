// The per-user calendar feed: a secret URL (only its hash stored) showing the user's open tasks with a due
// time and the meetings they logged, read in one round trip keyed by the secret's hash.
import { and, asc, eq, gte, isNotNull, isNull, sql } from "drizzle-orm";
import type { BatchResponse } from "drizzle-orm/batch";
import type { CallerRef } from "../caller.ts";
import { callerUserId } from "../caller.ts";
import type { Database } from "../client.ts";
import { activities, calendarFeeds, tasks, users } from "../schema/index.ts";
import type { CalendarEvent } from "./ics.ts";

/** Tasks show as a 30-minute event at their due time: what Google, Apple and Outlook all display. */
const TASK_MINUTES = 30;
/** How far back the feed reaches for meetings; open tasks are shown whatever their due time. */
const MEETINGS_SINCE_MS = 90 * 24 * 60 * 60_000;

/** Creates or replaces the caller's feed secret (the old URL stops working at once). */
export function upsertFeedStatement(db: Database, me: CallerRef, secretHash: string, now: number) {
  return db
    .insert(calendarFeeds)
    .select(sql`select ${callerUserId(me)}, ${secretHash}, ${now}`)
    .onConflictDoUpdate({ target: calendarFeeds.userId, set: { secretHash, createdAt: now } })
    .returning({ createdAt: calendarFeeds.createdAt });
}

export function deleteFeedStatement(db: Database, me: CallerRef) {
  return db
    .delete(calendarFeeds)
    .where(sql`${calendarFeeds.userId} = ${callerUserId(me)}`)
    .returning({ userId: calendarFeeds.userId });
}

export function readFeedQuery(db: Database, me: CallerRef) {
  return db
    .select({ createdAt: calendarFeeds.createdAt })
    .from(calendarFeeds)
    .where(sql`${calendarFeeds.userId} = ${callerUserId(me)}`);
}

/** The feed's owner, when the hash belongs to an active user. */
const feedOwner = (secretHash: string) =>
  sql`(select f.user_id from ${calendarFeeds} f join ${users} u on u.id = f.user_id
       where f.secret_hash = ${secretHash} and u.active = 1)`;

/** One batch: the owner's name, their open dated tasks, their recent and coming meetings. */
export function feedQueries(db: Database, secretHash: string, now: number) {
  const owner = feedOwner(secretHash);
  return [
    db.select({ name: users.name }).from(users).where(sql`${users.id} = ${owner}`),
    db
      .select({
        id: tasks.id,
        title: tasks.title,
        notes: tasks.notes,
        dueAt: tasks.dueAt,
        priority: tasks.priority,
        updatedAt: tasks.updatedAt,
      })
      .from(tasks)
      .where(
        and(
          sql`${tasks.ownerId} = ${owner}`,
          eq(tasks.status, "open"),
          isNotNull(tasks.dueAt),
          isNull(tasks.deletedAt),
        ),
      )
      .orderBy(asc(tasks.dueAt), asc(tasks.id))
      .limit(2000),
    db
      .select({
        id: activities.id,
        subject: activities.subject,
        body: activities.body,
        occurredAt: activities.occurredAt,
        metadata: activities.metadata,
        createdAt: activities.createdAt,
      })
      .from(activities)
      .where(
        and(
          sql`${activities.actorUserId} = ${owner}`,
          eq(activities.type, "meeting"),
          isNull(activities.deletedAt),
          gte(activities.occurredAt, now - MEETINGS_SINCE_MS),
        ),
      )
      .orderBy(asc(activities.occurredAt))
      .limit(2000),
  ] as const;
}

type FeedRows = BatchResponse<ReturnType<typeof feedQueries>>;

/** The events of a feed, or null when no active user has this secret. */
export function feedEvents(rows: FeedRows, host: string): { name: string; events: CalendarEvent[] } | null {
  const [owners, openTasks, meetings] = rows;
  const owner = owners[0];
  if (!owner) return null;
  const events: CalendarEvent[] = [];
  for (const task of openTasks) {
    if (task.dueAt === null) continue;
    events.push({
      uid: `task-${task.id}@${host}`,
      start: task.dueAt,
      end: task.dueAt + TASK_MINUTES * 60_000,
      summary: `Task: ${task.title}`,
      description: task.notes,
      lastModified: task.updatedAt,
      categories: `Task,${task.priority}`,
    });
  }
  for (const meeting of meetings) {
    const details = parseDetails(meeting.metadata);
    const start = details.startsAt ?? meeting.occurredAt;
    events.push({
      uid: `meeting-${meeting.id}@${host}`,
      start,
      end: Math.max(details.endsAt ?? start + 60 * 60_000, start),
      summary: meeting.subject ?? "Meeting",
      description: meeting.body,
      location: details.location ?? null,
      lastModified: meeting.createdAt,
      categories: "Meeting",
    });
  }
  return { name: `CRM: ${owner.name}`, events };
}

function parseDetails(metadata: string): { startsAt?: number; endsAt?: number; location?: string } {
  try {
    const value = JSON.parse(metadata) as Record<string, unknown>;
    return {
      ...(typeof value.startsAt === "number" ? { startsAt: value.startsAt } : {}),
      ...(typeof value.endsAt === "number" ? { endsAt: value.endsAt } : {}),
      ...(typeof value.location === "string" ? { location: value.location } : {}),
    };
  } catch {
    return {};
  }
}
