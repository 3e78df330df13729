// The assignment write batch. The rotation is advanced and the owner set in ONE batch (one transaction, whose
// first statement is a write, so it holds the database's write lock from its start): the pick is computed in SQL
// from the rotation rows as they are at that moment, so concurrent consumers see each other's picks in the
// order the database serialises their batches, exactly as if they had run one after another.
import { type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { hasCapacity } from "../../db/assignment/queries.ts";
import type { Database } from "../../db/client.ts";
import { newId } from "../../db/ids.ts";
import { notifyStatements } from "../outbound/notify.ts";

export interface PickPlan {
  eventId: string;
  contactId: string;
  /** The open deal the same form opened, which follows its contact to the new owner. */
  dealId: string | null;
  claim: string;
  now: number;
  /** Why: a form's lead, a speed-to-lead breach, or a workflow's change_owner action. */
  reason: "form" | "sla_breach" | "workflow";
  /** When the contact may be (re)assigned, as SQL over `c` (the contact row). */
  assignable: SQL;
  ruleId: string | null;
  ruleName: string | null;
  /** A team's round robin over the members available now, or one user. */
  target:
    | { type: "team"; teamId: string; members: { userId: string; weight: number }[] }
    | { type: "user"; userId: string }
    | null;
  fallbackOwnerId: string | null;
  excludeUserId: string | null;
}

export interface PickResult {
  userId: string | null;
  previousOwnerId: string | null;
  mine: number;
  changed: number;
}

export function pickStatements(db: Database, plan: PickPlan) {
  const { eventId, contactId, claim, now } = plan;
  const mine = sql`exists (select 1 from assignments where event_id = ${eventId} and claim = ${claim})`;
  const target = plan.target;
  const teamId = target?.type === "team" ? target.teamId : null;

  const claimRow = db.run(sql`insert into assignments (event_id, contact_id, claim, reason, rule_id, team_id,
      previous_owner_id, user_id, created_at)
    select ${eventId}, c.id, ${claim}, ${plan.reason}, ${plan.ruleId}, ${teamId}, c.owner_id, null, ${now}
    from contacts c where c.id = ${contactId} and c.deleted_at is null and ${plan.assignable}
    on conflict (event_id) do nothing`);

  const rotation: BatchItem<"sqlite">[] = [];
  let chosen: SQL = sql`null`;
  if (target?.type === "team" && target.members.length > 0) {
    const members = JSON.stringify(target.members.map((m) => ({ u: m.userId, w: m.weight })));
    const ids = JSON.stringify(target.members.map((m) => m.userId));
    const eligible = (alias: string) => {
      const m = sql.raw(alias);
      return sql`${m}.rotation = ${teamId} and ${m}.user_id in (select value from json_each(${ids}))
        and exists (select 1 from users eu where eu.id = ${m}.user_id and eu.active = 1)
        and ${hasCapacity(sql`${m}.user_id`)}`;
    };
    const candidate = sql`(select m.user_id from rotation_members m where ${eligible("m")}
      order by m.credit + m.weight desc, m.user_id limit 1)`;
    const pickedByMe = sql`exists (select 1 from rotation_state s where s.rotation = ${teamId}
      and s.last_claim = ${claim} and s.picked is not null)`;
    rotation.push(
      db.run(sql`insert into rotation_state (rotation, seq, picked, last_claim, updated_at)
        select ${teamId}, 0, null, null, ${now} where ${mine} on conflict (rotation) do nothing`),
      db.run(sql`insert into rotation_members (rotation, user_id, weight, credit)
        select ${teamId}, json_extract(value, '$.u'), json_extract(value, '$.w'), 0 from json_each(${members})
        where ${mine} on conflict (rotation, user_id) do update set weight = excluded.weight`),
      // The pick: the eligible member with the most credit after this round's weights are added.
      db.run(sql`update rotation_state set seq = seq + 1, picked = ${candidate}, last_claim = ${claim},
          updated_at = ${now}
        where rotation = ${teamId} and ${mine} and ${candidate} is not null`),
      // Smooth weighted round robin: every eligible member gains its weight, the picked one pays the round's total.
      db.run(sql`update rotation_members set credit = credit + weight - case
          when user_id = (select picked from rotation_state where rotation = ${teamId})
          then (select sum(e.weight) from rotation_members e where ${eligible("e")}) else 0 end
        where ${eligible("rotation_members")} and ${pickedByMe}`),
    );
    chosen = sql`(select s.picked from rotation_state s where s.rotation = ${teamId} and s.last_claim = ${claim})`;
  } else if (target?.type === "user" && target.userId !== plan.excludeUserId) {
    chosen = sql`(select id from users where id = ${target.userId} and active = 1)`;
  }
  const fallback =
    plan.fallbackOwnerId && plan.fallbackOwnerId !== plan.excludeUserId
      ? sql`(select id from users where id = ${plan.fallbackOwnerId} and active = 1)`
      : sql`null`;

  const resolve = db.run(sql`update assignments set user_id = coalesce(${chosen}, ${fallback})
    where event_id = ${eventId} and claim = ${claim}`);

  const assigned = sql`(select a.user_id from assignments a where a.event_id = ${eventId} and a.claim = ${claim}
    and a.user_id is not null and a.user_id is not a.previous_owner_id)`;
  const setOwner = db.run(sql`update contacts set owner_id = ${assigned},
      team_id = coalesce(${teamId}, (select team_id from team_members where user_id = ${assigned} order by team_id limit 1)),
      version = version + 1, updated_at = ${now}
    where id = ${contactId} and ${assigned} is not null`);

  const moveDeal: BatchItem<"sqlite">[] = plan.dealId
    ? [
        db.run(sql`update deals set owner_id = ${assigned}, team_id = (select team_id from contacts where id = ${contactId}),
            version = version + 1, updated_at = ${now}
          where id = ${plan.dealId} and status = 'open' and deleted_at is null and ${assigned} is not null
            and owner_id is (select previous_owner_id from assignments where event_id = ${eventId})`),
      ]
    : [];

  const timeline =
    db.run(sql`insert into activities (id, type, occurred_at, actor_user_id, contact_id, subject,
      metadata, created_at)
    select ${newId()}, 'owner_change', ${now}, null, a.contact_id, substr('Assigned to ' || u.name, 1, 300),
      json_object('from', a.previous_owner_id, 'to', a.user_id, 'reason', a.reason, 'ruleId', a.rule_id,
        'ruleName', ${plan.ruleName}, 'teamId', a.team_id, 'eventId', a.event_id), ${now}
    from assignments a join users u on u.id = a.user_id
    where a.event_id = ${eventId} and a.claim = ${claim} and a.user_id is not a.previous_owner_id`);

  // The new owner, through their own channels for a new lead (the in-app feed, email, Slack, Teams); the
  // event id keys it, so a redelivered event notifies once even if its claim were taken again.
  const notify = notifyStatements(
    db,
    {
      userId: assigned,
      kind: "lead_assigned",
      title: sql`(select substr('New lead assigned to you: ' || c.name, 1, 300) from contacts c where c.id = ${contactId})`,
      body: `Rule: ${plan.ruleName ?? "fallback owner"}`,
      link: `/contacts/${contactId}`,
      contactId,
      dedupeKey: `lead_assigned:${eventId}`,
      template: "assignment.owner",
    },
    now,
  );

  const result = db.all<PickResult>(sql`select a.user_id as userId, a.previous_owner_id as previousOwnerId,
      a.claim = ${claim} as mine, coalesce(a.user_id is not a.previous_owner_id and a.user_id is not null, 0) as changed
    from assignments a where a.event_id = ${eventId}`);

  return [claimRow, ...rotation, resolve, setOwner, ...moveDeal, timeline, ...notify, result] as const;
}
