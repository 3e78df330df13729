// The speed-to-lead sweep: clocks past their deadline with no first response are breaches. Each breach is a row
// keyed by its clock, inserted with INSERT … ON CONFLICT DO NOTHING RETURNING in the same batch that queues the
// owner's notice, the managers' escalation, the timeline entry and the rep's figures, each of which acts only
// when this run's claim is on that row. So a cron that fires twice, or two runs that overlap, notify once.
import { type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { rulesetQuery } from "../../db/assignment/queries.ts";
import type { Database } from "../../db/client.ts";
import { newId } from "../../db/ids.ts";
import type { QueueMessage } from "../message.ts";
import { notifyStatements } from "../outbound/notify.ts";
import { SLA_BREACHED_EVENT, type SlaBreached } from "./messages.ts";
import { parseSlaRuleset } from "./rules.ts";

/** Breaches handled per run; more wait for the next minute (the oldest first). */
export const BREACHES_PER_RUN = 200;

interface DueClock {
  id: string;
  contactId: string;
  ruleId: string;
  dueAt: number;
}

export interface BreachRun {
  breached: string[];
  /** The `sla.breached` events for breaches whose rule reassigns, to send to the events queue. */
  reassign: QueueMessage[];
}

export async function findBreaches(db: Database, now: number): Promise<BreachRun> {
  const [due, rulesetRows] = await db.batch([
    db.all<DueClock>(sql`select id, contact_id as contactId, rule_id as ruleId, due_at as dueAt from sla_clocks
      where responded_at is null and breached_at is null and due_at <= ${now}
      order by due_at limit ${BREACHES_PER_RUN}`),
    rulesetQuery(db, "sla"),
  ]);
  if (due.length === 0) return { breached: [], reassign: [] };
  const rules = new Map(parseSlaRuleset(rulesetRows[0]?.definition).rules.map((r) => [r.id, r]));
  const claim = newId();

  const statements: BatchItem<"sqlite">[] = [];
  const returning: number[] = [];
  for (const clock of due) {
    const rule = rules.get(clock.ruleId);
    const escalate = rule?.escalate ?? true;
    const reassign = rule?.reassign ?? false;
    const mine = sql`exists (select 1 from sla_breaches b where b.clock_id = ${clock.id} and b.claim = ${claim})`;
    const overdue = (prefix: string) =>
      sql`(select substr(${prefix} || c.name, 1, 300) from contacts c where c.id = ${clock.contactId})`;
    const breach = (columns: SQL) =>
      sql`from sla_breaches b join contacts c on c.id = b.contact_id ${columns}
        where b.clock_id = ${clock.id} and b.claim = ${claim}`;
    returning.push(statements.length);
    statements.push(
      db.all(sql`insert into sla_breaches (clock_id, contact_id, owner_id, claim, reassign, created_at)
        select k.id, k.contact_id, c.owner_id, ${claim}, ${reassign ? 1 : 0}, ${now}
        from sla_clocks k join contacts c on c.id = k.contact_id
        where k.id = ${clock.id} and k.responded_at is null and k.due_at <= ${now}
        on conflict (clock_id) do nothing returning clock_id as clockId, owner_id as ownerId`),
      db.run(sql`update sla_clocks set breached_at = ${now} where id = ${clock.id} and ${mine}`),
      ...notifyStatements(
        db,
        {
          userId: sql`(select b.owner_id from sla_breaches b where b.clock_id = ${clock.id} and b.claim = ${claim})`,
          kind: "sla_breach",
          title: overdue("First response overdue: "),
          body: "Nobody has called, emailed, met or noted this lead since it came in.",
          link: `/contacts/${clock.contactId}`,
          contactId: clock.contactId,
          dedupeKey: `sla_breach:${clock.id}`,
          template: "sla.breach.owner",
        },
        now,
      ),
      db.run(sql`insert into activities (id, type, occurred_at, actor_user_id, contact_id, subject, metadata, created_at)
        select ${newId()}, 'system', ${now}, null, c.id, 'First-response SLA breached',
          json_object('clockId', b.clock_id, 'ruleId', ${clock.ruleId}, 'dueAt', ${clock.dueAt}, 'ownerId', b.owner_id,
            'escalated', ${escalate ? 1 : 0}, 'reassign', b.reassign), ${now}
        ${breach(sql``)}`),
      db.run(sql`insert into sla_rep_stats (user_id, responses, within_sla, breaches, total_response_ms, updated_at)
        select b.owner_id, 0, 0, 1, 0, ${now} ${breach(sql``)} and b.owner_id is not null
        on conflict (user_id) do update set breaches = breaches + 1, updated_at = excluded.updated_at`),
    );
    if (escalate) {
      // The managers (team leads) of the contact's team, else of the owner's teams; never the owner themself.
      statements.push(
        ...notifyStatements(
          db,
          {
            userIds: sql`select tm.user_id from team_members tm join sla_breaches b on b.clock_id = ${clock.id}
              and b.claim = ${claim} join contacts c on c.id = b.contact_id
              where tm.is_lead = 1 and tm.user_id is not b.owner_id and tm.team_id in (
                select c.team_id where c.team_id is not null
                union select om.team_id from team_members om where om.user_id = b.owner_id and c.team_id is null)`,
            kind: "sla_breach",
            title: overdue("Escalation: first response overdue for "),
            body: "The owner has not responded in time.",
            link: `/contacts/${clock.contactId}`,
            contactId: clock.contactId,
            dedupeKey: `sla_breach:${clock.id}:escalation`,
            template: "sla.breach.escalation",
          },
          now,
        ),
      );
    }
  }
  const results = (await db.batch(
    statements as unknown as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]],
  )) as unknown[];
  const breached: string[] = [];
  const reassign: QueueMessage[] = [];
  returning.forEach((index, i) => {
    const rows = results[index] as { clockId: string; ownerId: string | null }[];
    const clock = due[i];
    const row = rows[0];
    if (!row || !clock) return;
    breached.push(row.clockId);
    if (rules.get(clock.ruleId)?.reassign) {
      const data: SlaBreached = { clockId: row.clockId, contactId: clock.contactId, ownerId: row.ownerId };
      reassign.push({
        id: `${SLA_BREACHED_EVENT}:${row.clockId}`,
        type: SLA_BREACHED_EVENT,
        createdAt: now,
        data,
      });
    }
  });
  return { breached, reassign };
}
