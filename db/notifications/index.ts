// A user's notifications: the feed, the unread count, marking read, channel preferences per kind and the
// user's Slack / Teams webhooks. Every query is scoped to the caller's own rows.
import { and, count, desc, eq, isNull, lt, sql } from "drizzle-orm";
import { denyUnless } from "../access.ts";
import { type CallerRef, callerUserId } from "../caller.ts";
import type { Database } from "../client.ts";
import { newId } from "../ids.ts";
import { rowsForPage } from "../paging.ts";
import {
  NOTIFICATION_KINDS,
  type NotificationChannel,
  type NotificationKind,
  notificationPreferences,
  notifications,
  notificationWebhooks,
  type WebhookChannel,
} from "../schema/index.ts";

export const feedFields = {
  id: notifications.id,
  kind: notifications.kind,
  title: notifications.title,
  body: notifications.body,
  link: notifications.link,
  contactId: notifications.contactId,
  createdAt: notifications.createdAt,
  readAt: notifications.readAt,
};

const mine = (me: CallerRef) =>
  and(eq(notifications.userId, callerUserId(me)), eq(notifications.inApp, true));

/** The caller's in-app feed, newest first, keyset-paged by id; `unread` keeps the unread ones only. */
export function feedQuery(
  db: Database,
  me: CallerRef,
  options: { before?: string; limit: number; unread?: boolean },
) {
  return db
    .select(feedFields)
    .from(notifications)
    .where(
      and(
        mine(me),
        options.before ? lt(notifications.id, options.before) : undefined,
        options.unread ? isNull(notifications.readAt) : undefined,
      ),
    )
    .orderBy(desc(notifications.id))
    .limit(rowsForPage(options.limit));
}

export function unreadCountQuery(db: Database, me: CallerRef) {
  return db
    .select({ count: count() })
    .from(notifications)
    .where(and(mine(me), isNull(notifications.readAt)));
}

/** 404 (rolling the batch back) unless the notification is the caller's. */
export function ownNotificationGuard(db: Database, me: CallerRef, id: string) {
  return denyUnless(
    db,
    sql`exists (select 1 from ${notifications} where ${notifications.id} = ${id}
      and ${notifications.userId} = ${callerUserId(me)} and ${notifications.inApp} = 1)`,
    "not_found",
  );
}

/** Marks one notification read (keeping the first read time). */
export function markReadStatement(db: Database, me: CallerRef, id: string, now: number) {
  return db
    .update(notifications)
    .set({ readAt: sql`coalesce(${notifications.readAt}, ${now})` })
    .where(and(eq(notifications.id, id), mine(me)))
    .returning(feedFields);
}

export function markAllReadStatement(db: Database, me: CallerRef, now: number) {
  return db
    .update(notifications)
    .set({ readAt: now })
    .where(and(mine(me), isNull(notifications.readAt)))
    .returning({ id: notifications.id });
}

export function preferencesQuery(db: Database, me: CallerRef) {
  return db
    .select({ kind: notificationPreferences.kind, channels: notificationPreferences.channels })
    .from(notificationPreferences)
    .where(eq(notificationPreferences.userId, callerUserId(me)));
}

export type Preferences = Record<NotificationKind, NotificationChannel[]>;

/** The stored choices over the defaults: every kind, with its channels. */
export function effectivePreferences(
  rows: readonly { kind: NotificationKind; channels: string }[],
  defaults: Readonly<Record<NotificationKind, readonly NotificationChannel[]>>,
): Preferences {
  const chosen = new Map(rows.map((row) => [row.kind, JSON.parse(row.channels) as NotificationChannel[]]));
  return Object.fromEntries(
    NOTIFICATION_KINDS.map((kind) => [kind, chosen.get(kind) ?? [...defaults[kind]]]),
  ) as Preferences;
}

/** Upserts the given kinds' channels for the caller; kinds not given keep theirs. */
export function setPreferencesStatements(
  db: Database,
  me: CallerRef,
  changes: Partial<Record<NotificationKind, NotificationChannel[]>>,
  now: number,
) {
  return Object.entries(changes).map(([kind, channels]) =>
    db.run(sql`insert into ${notificationPreferences} (user_id, kind, channels, updated_at)
      values (${callerUserId(me)}, ${kind}, ${JSON.stringify([...new Set(channels)])}, ${now})
      on conflict (user_id, kind) do update set channels = excluded.channels, updated_at = excluded.updated_at`),
  );
}

export function webhooksQuery(db: Database, me: CallerRef) {
  return db
    .select({ channel: notificationWebhooks.channel, url: notificationWebhooks.url })
    .from(notificationWebhooks)
    .where(eq(notificationWebhooks.userId, callerUserId(me)));
}

/** Sets (a URL) or removes (null) the caller's webhook per channel. */
export function setWebhooksStatements(
  db: Database,
  me: CallerRef,
  changes: Partial<Record<WebhookChannel, string | null>>,
  now: number,
) {
  return Object.entries(changes).map(([channel, url]) =>
    url === null
      ? db.run(sql`delete from ${notificationWebhooks}
          where user_id = ${callerUserId(me)} and channel = ${channel}`)
      : db.run(sql`insert into ${notificationWebhooks} (id, user_id, team_id, channel, url, created_at)
          values (${newId()}, ${callerUserId(me)}, null, ${channel}, ${url}, ${now})
          on conflict (user_id, channel) do update set url = excluded.url`),
  );
}

/** A webhook URL shown without its secret path: enough to recognise it, not to post to it. */
export function maskWebhookUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}/…${parsed.pathname.slice(-4)}`;
  } catch {
    return "…";
  }
}
