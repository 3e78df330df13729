// A team's Slack and Teams incoming webhooks, which carry the notifications of its members who choose those
// channels. Admins and the team's own managers (its leads among them) read and change them; to anyone else
// the team's webhooks do not exist. Each operation is one batch, the rule checked in it.
import { and, eq, inArray, type SQL, sql } from "drizzle-orm";
import { denyUnless } from "../access.ts";
import { callerAuditStatement } from "../audit-queries.ts";
import { type CallerRef, callerUserId } from "../caller.ts";
import type { Database } from "../client.ts";
import { newId } from "../ids.ts";
import { notificationWebhooks, type WebhookChannel } from "../schema/index.ts";
import type { WriteContext } from "../statements.ts";

/** Whether the team exists and the caller manages it: an admin, or an active manager who is one of its members. */
export function managesTeam(me: CallerRef, teamId: string): SQL {
  return sql`exists (select 1 from teams t join users u on u.id = ${callerUserId(me)}
    where t.id = ${teamId} and u.active = 1
      and (u.role = 'admin' or (u.role = 'manager'
        and exists (select 1 from team_members m where m.team_id = t.id and m.user_id = u.id))))`;
}

/** One row: `managed` is 1 when the caller may see the team's webhooks (404 otherwise). */
export function managedTeamQuery(db: Database, me: CallerRef, teamId: string) {
  return db.all<{ managed: number }>(sql`select ${managesTeam(me, teamId)} as managed`);
}

/** The team's webhooks, none unless the caller manages the team. */
export function teamWebhooksQuery(db: Database, me: CallerRef, teamId: string) {
  return db
    .select({ channel: notificationWebhooks.channel, url: notificationWebhooks.url })
    .from(notificationWebhooks)
    .where(and(eq(notificationWebhooks.teamId, teamId), managesTeam(me, teamId)));
}

/**
 * Sets (a URL) or removes (null) the team's webhook per channel, after a guard that answers 404 (rolling the
 * batch back) unless the caller manages the team; the audit entry says which channels changed, never a URL.
 * Ends with the team's webhooks as they are after the change.
 */
export function changeTeamWebhooksStatements(
  db: Database,
  me: CallerRef,
  teamId: string,
  changes: Partial<Record<WebhookChannel, string | null>>,
  ctx: WriteContext,
) {
  const entries = Object.entries(changes) as [WebhookChannel, string | null][];
  const removed = entries.filter(([, url]) => url === null).map(([channel]) => channel);
  const set = entries.filter((entry): entry is [WebhookChannel, string] => entry[1] !== null);
  const summary = Object.fromEntries(
    entries.map(([channel, url]) => [channel, url === null ? "removed" : "set"]),
  );
  return [
    denyUnless(db, managesTeam(me, teamId), "not_found"),
    callerAuditStatement(
      db,
      me,
      { action: "team.updated", targetType: "team", targetId: teamId, changes: { webhooks: summary } },
      ctx.origin,
      ctx.now,
    ),
    db
      .delete(notificationWebhooks)
      .where(
        and(
          eq(notificationWebhooks.teamId, teamId),
          removed.length > 0 ? inArray(notificationWebhooks.channel, removed) : sql`0`,
        ),
      ),
    ...set.map(([channel, url]) =>
      db.run(sql`insert into ${notificationWebhooks} (id, user_id, team_id, channel, url, created_at)
        values (${newId()}, null, ${teamId}, ${channel}, ${url}, ${ctx.now})
        on conflict (team_id, channel) do update set url = excluded.url`),
    ),
    teamWebhooksQuery(db, me, teamId),
  ] as const;
}
