// The one way to notify a user or email anyone: statements that a caller puts into its own batch, so the
// notification is written with the change that causes it. The outbound engine delivers the outbox rows.

import { type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Database } from "../../db/client.ts";
import { newId } from "../../db/ids.ts";
import {
  type NotificationChannel,
  type NotificationKind,
  notificationPreferences,
  notifications,
  notificationWebhooks,
  outbox,
  teamMembers,
  users,
} from "../../db/schema/index.ts";
import { idList } from "../../db/statements.ts";

export interface Notification {
  userId: string;
  kind: NotificationKind;
  title: string;
  body: string;
  link?: string | undefined;
  contactId?: string | undefined;
  /**
   * A key that names this notification once (e.g. `reminder:<task>:<remindAt>`, `digest:<user>:<date>`): a
   * second batch with the same key writes nothing, neither the notification nor its outbox rows.
   */
  dedupeKey?: string | undefined;
  /** Write only when this holds at the time the batch runs (e.g. the claim of the job that notifies). */
  when?: SQL | undefined;
}

/** The channels of a kind for a user who chose none: the feed always, the rest where it fits the kind. */
export const DEFAULT_CHANNELS: Readonly<Record<NotificationKind, readonly NotificationChannel[]>> = {
  lead_assigned: ["in_app", "email", "slack", "teams"],
  reminder: ["in_app", "email", "slack", "teams"],
  sla_breach: ["in_app", "email", "slack", "teams"],
  mention: ["in_app", "slack", "teams"],
  digest: ["email"],
};

/** SQL true when the user wants `channel` (a literal or a column) for `kind`: their choice, else the default. */
export function wantsChannel(userId: string, kind: NotificationKind, channel: SQL): SQL {
  return sql`coalesce(
    (select exists (select 1 from json_each(${notificationPreferences.channels}) where json_each.value = ${channel})
       from ${notificationPreferences}
      where ${notificationPreferences.userId} = ${userId} and ${notificationPreferences.kind} = ${kind}),
    ${channel} in (${idList(DEFAULT_CHANNELS[kind])})
  )`;
}

/**
 * The statements that notify a user: the notification row (shown in the feed when the user wants in-app)
 * and one outbox row per other chosen channel (email to the user's address; Slack / Teams to the user's own
 * webhooks and those of the user's teams). Nothing is written for an inactive or missing user. No reads:
 * preferences are applied in SQL, so the caller stays at one round trip.
 */
export function notifyStatements(db: Database, input: Notification, now = Date.now()): BatchItem<"sqlite">[] {
  const id = newId();
  const { userId, kind } = input;
  const link = input.link ?? null;
  const contactId = input.contactId ?? null;
  const when = input.when ?? sql`1`;
  const text = input.link ? `${input.body}\n\n${input.link}` : input.body;
  const written = sql`exists (select 1 from ${notifications} where ${notifications.id} = ${id})`;
  return [
    db.run(sql`insert into ${notifications}
        (id, user_id, kind, title, body, link, contact_id, in_app, dedupe_key, created_at, read_at)
      select ${id}, ${users.id}, ${kind}, ${input.title}, ${input.body}, ${link}, ${contactId},
             ${wantsChannel(userId, kind, sql`'in_app'`)}, ${input.dedupeKey ?? null}, ${now}, null
        from ${users}
       where ${users.id} = ${userId} and ${users.active} = 1 and (${when})
      on conflict do nothing`),
    db.run(sql`insert into ${outbox}
        (id, channel, recipient, subject, body, template, status, created_at, kind, user_id, contact_id,
         notification_id, link, attempts)
      select ${newId()}, 'email', ${users.email}, ${input.title}, ${text}, ${`notification:${kind}`}, 'pending',
             ${now}, ${kind}, ${userId}, ${contactId}, ${id}, ${link}, 0
        from ${users}
       where ${users.id} = ${userId} and ${written} and ${wantsChannel(userId, kind, sql`'email'`)}`),
    db.run(sql`insert into ${outbox}
        (id, channel, recipient, subject, body, template, status, created_at, kind, user_id, contact_id,
         notification_id, link, attempts)
      select ${id} || '.' || ${notificationWebhooks.id}, ${notificationWebhooks.channel}, ${notificationWebhooks.id},
             ${input.title}, ${input.body}, ${`notification:${kind}`}, 'pending', ${now}, ${kind}, ${userId},
             ${contactId}, ${id}, ${link}, 0
        from ${notificationWebhooks}
       where (${notificationWebhooks.userId} = ${userId}
              or ${notificationWebhooks.teamId} in
                 (select ${teamMembers.teamId} from ${teamMembers} where ${teamMembers.userId} = ${userId}))
         and ${written}
         and ${wantsChannel(userId, kind, sql`${notificationWebhooks.channel}`)}`),
  ];
}

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string | undefined;
  contactId?: string | undefined;
  /** What produced the email (a template key); "custom" when none. */
  template?: string | undefined;
  /** The outbox id, when the caller needs it in the same batch (e.g. for a timeline activity). */
  id?: string | undefined;
}

/** An email to any address (a contact, an invitee), queued in the outbox for the outbound engine. */
export function emailStatement(db: Database, message: EmailMessage, now = Date.now()) {
  return db.insert(outbox).values({
    id: message.id ?? newId(),
    channel: "email",
    recipient: message.to,
    subject: message.subject,
    body: message.text,
    html: message.html ?? null,
    contactId: message.contactId ?? null,
    template: message.template ?? "custom",
    status: "pending",
    createdAt: now,
    attempts: 0,
  });
}
