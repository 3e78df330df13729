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

interface NotificationContent {
  kind: NotificationKind;
  /** Text, or SQL read when the batch runs (e.g. the contact's name); it may not name the recipient's row. */
  title: string | SQL;
  body: string | SQL;
  link?: string | SQL | undefined;
  contactId?: string | SQL | undefined;
  /**
   * A key that names this notification once (e.g. `reminder:<task>:<remindAt>`, `digest:<user>:<date>`): a
   * second batch with the same key writes nothing, neither the notification nor its outbox rows. With
   * `userIds`, each recipient's key is this one followed by `:<user id>`.
   */
  dedupeKey?: string | undefined;
  /** Write only when this holds at the time the batch runs (e.g. the claim of the job that notifies). */
  when?: SQL | undefined;
  /** What produced the outbox rows, shown in the outbox and usable in a replay filter; `notification:<kind>` by default. */
  template?: string | undefined;
}

export type Notification = NotificationContent &
  (
    | {
        /** The user: an id, or SQL giving one id (null: nobody) when the batch runs, e.g. the owner it just set. */
        userId: string | SQL;
        userIds?: never;
      }
    | {
        /** A SELECT of user ids, run when the batch runs (e.g. a team's leads): each one is notified. */
        userIds: SQL;
        userId?: never;
      }
  );

/** The channels of a kind for a user who chose none: the feed always, the rest where it fits the kind. */
export const DEFAULT_CHANNELS: Readonly<Record<NotificationKind, readonly NotificationChannel[]>> = {
  lead_assigned: ["in_app", "email", "slack", "teams"],
  reminder: ["in_app", "email", "slack", "teams"],
  sla_breach: ["in_app", "email", "slack", "teams"],
  mention: ["in_app", "slack", "teams"],
  digest: ["email"],
  workflow: ["in_app", "slack", "teams"],
  integration: ["in_app", "email"],
};

/** SQL true when the user (an id, or a column) wants `channel` (a literal or a column) for `kind`: their choice, else the default. */
export function wantsChannel(userId: string | SQL, kind: NotificationKind, channel: SQL): SQL {
  return sql`coalesce(
    (select exists (select 1 from json_each(${notificationPreferences.channels}) where json_each.value = ${channel})
       from ${notificationPreferences}
      where ${notificationPreferences.userId} = ${userId} and ${notificationPreferences.kind} = ${kind}),
    ${channel} in (${idList(DEFAULT_CHANNELS[kind])})
  )`;
}

const value = (v: string | SQL | undefined): SQL =>
  v === undefined ? sql`null` : typeof v === "string" ? sql`${v}` : v;

/**
 * The statements that notify a user (or each of a set of users): the notification row (shown in the feed when
 * the user wants in-app), then, derived from that row, one outbox row per other chosen channel: email to the
 * user's address, Slack / Teams to the user's own webhooks and to those of the user's teams. Nothing is written
 * for an inactive or missing user, nor when the dedupe key was used before. No reads: recipients and
 * preferences are resolved in SQL, so the caller stays at one round trip.
 */
export function notifyStatements(db: Database, input: Notification, now = Date.now()): BatchItem<"sqlite">[] {
  const base = newId();
  const { kind } = input;
  const many = input.userIds !== undefined;
  const who = many ? sql`${users.id} in (${input.userIds})` : sql`${users.id} = ${value(input.userId)}`;
  // One recipient keeps the plain id; several get `<id>.<n>`, all within a range of the primary key.
  const id = many ? sql`${`${base}.`} || row_number() over (order by ${users.id})` : sql`${base}`;
  const written = (alias: string) => {
    const column = sql.raw(`${alias}.id`);
    return many ? sql`${column} > ${`${base}.`} and ${column} < ${`${base}/`}` : sql`${column} = ${base}`;
  };
  const dedupe =
    input.dedupeKey === undefined
      ? sql`null`
      : many
        ? sql`${`${input.dedupeKey}:`} || ${users.id}`
        : sql`${input.dedupeKey}`;
  const when = input.when ?? sql`1`;
  const template = input.template ?? `notification:${kind}`;
  const columns = sql`(id, channel, recipient, subject, body, template, status, created_at, kind, user_id, contact_id,
    notification_id, link, attempts)`;
  // The outbox columns after the channel and recipient, from the notification row `n`. A webhook message
  // carries the link as a button; an email has it under the text.
  const fields = (text: SQL) =>
    sql`n.title, ${text}, ${template}, 'pending', ${now}, n.kind, n.user_id, n.contact_id, n.id, n.link, 0`;
  const emailText = sql`case when n.link is null then n.body else n.body || char(10) || char(10) || n.link end`;
  // Several recipients in one team: the team's webhook hears of it once, through the first of them.
  const firstOfTeam = many
    ? sql`and not exists (select 1 from ${notifications} e join ${teamMembers} te on te.user_id = e.user_id
        where ${written("e")} and te.team_id = w.team_id and e.id < n.id
          and ${wantsChannel(sql`e.user_id`, kind, sql`w.channel`)})`
    : sql``;
  return [
    db.run(sql`insert into ${notifications}
        (id, user_id, kind, title, body, link, contact_id, in_app, dedupe_key, created_at, read_at)
      select ${id}, ${users.id}, ${kind}, coalesce(${value(input.title)}, ''), coalesce(${value(input.body)}, ''),
             ${value(input.link)}, ${value(input.contactId)}, ${wantsChannel(sql`${users.id}`, kind, sql`'in_app'`)}, ${dedupe},
             ${now}, null
        from ${users}
       where ${who} and ${users.active} = 1 and (${when})
      on conflict do nothing`),
    db.run(sql`insert into ${outbox} ${columns}
      select n.id || '.email', 'email', u.email, ${fields(emailText)}
        from ${notifications} n join ${users} u on u.id = n.user_id
       where ${written("n")} and ${wantsChannel(sql`n.user_id`, kind, sql`'email'`)}`),
    db.run(sql`insert into ${outbox} ${columns}
      select n.id || '.' || w.id, w.channel, w.id, ${fields(sql`n.body`)}
        from ${notifications} n join ${notificationWebhooks} w on w.user_id = n.user_id
       where ${written("n")} and ${wantsChannel(sql`n.user_id`, kind, sql`w.channel`)}`),
    db.run(sql`insert into ${outbox} ${columns}
      select n.id || '.' || w.id, w.channel, w.id, ${fields(sql`n.body`)}
        from ${notifications} n join ${teamMembers} tm on tm.user_id = n.user_id
        join ${notificationWebhooks} w on w.team_id = tm.team_id
       where ${written("n")} and ${wantsChannel(sql`n.user_id`, kind, sql`w.channel`)} ${firstOfTeam}`),
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
