// Starting a new lead's first-response clock: the first SLA rule the lead meets gives the minutes, counted in
// its owner's working hours (their own time zone) when the rule says so. One read, one insert; keyed by the
// event id, and at most one clock waits per contact, so a redelivery or a second form starts nothing.
import { sql } from "drizzle-orm";
import { leadFactsQuery, rulesetQuery } from "../../db/assignment/queries.ts";
import type { Database } from "../../db/client.ts";
import { addWorkingMinutes, availabilityOf } from "../assignment/availability.ts";
import { factsOf, firstMatch } from "../assignment/rules.ts";
import { parseSlaRuleset, type SlaRule } from "./rules.ts";

/** The activity types that count as a first response, when a person (not the system) logged them. */
export const RESPONSE_TYPES = ["call", "email", "meeting", "note"] as const;

export interface OwnerHours {
  timeZone: string;
  workingHours: string | null;
  outOfOffice: string | null;
  maxOpenLeads: number | null;
}

export function deadlineOf(rule: SlaRule, startedAt: number, owner: OwnerHours | null): number {
  if (!rule.businessHours || owner === null) return startedAt + rule.minutes * 60_000;
  return addWorkingMinutes(startedAt, rule.minutes, availabilityOf(owner).workingHours, owner.timeZone);
}

export async function startClock(
  db: Database,
  input: { eventId: string; contactId: string; formId: string | null; startedAt: number },
  now = Date.now(),
): Promise<{ status: "started" | "none" | "exists"; dueAt?: number }> {
  const [leadRows, rulesetRows, ownerRows] = await db.batch([
    leadFactsQuery(db, input.contactId),
    rulesetQuery(db, "sla"),
    db.all<OwnerHours>(sql`select u.time_zone as timeZone, ua.working_hours as workingHours,
        ua.out_of_office as outOfOffice, ua.max_open_leads as maxOpenLeads
      from contacts c join users u on u.id = c.owner_id left join user_availability ua on ua.user_id = u.id
      where c.id = ${input.contactId}`),
  ]);
  const lead = leadRows[0];
  if (!lead || lead.deletedAt !== null) return { status: "none" };
  const rule = firstMatch(parseSlaRuleset(rulesetRows[0]?.definition).rules, factsOf(lead, input.formId));
  if (!rule) return { status: "none" };
  const dueAt = deadlineOf(rule, input.startedAt, ownerRows[0] ?? null);
  const types = sql.join(
    RESPONSE_TYPES.map((t) => sql`${t}`),
    sql`, `,
  );
  // A lead someone already answered is not new: no clock.
  const inserted = await db.all<{ id: string }>(sql`insert into sla_clocks (id, contact_id, owner_id, rule_id,
      started_at, due_at, created_at)
    select ${input.eventId}, c.id, c.owner_id, ${rule.id}, ${input.startedAt}, ${dueAt}, ${now}
    from contacts c where c.id = ${input.contactId} and not exists (select 1 from activities a
      where a.contact_id = c.id and a.actor_user_id is not null and a.deleted_at is null and a.type in (${types}))
    on conflict do nothing returning id`);
  return inserted.length > 0 ? { status: "started", dueAt } : { status: "exists" };
}
