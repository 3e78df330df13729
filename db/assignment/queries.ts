// Reads the routing engines and the dry-run share: a lead's facts, a ruleset, the people a rule may pick with
// their availability, and the SQL that says whether a user still has room for another open lead.
import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../client.ts";
import type { RulesetKind } from "../schema/index.ts";

/** Lead statuses that count towards a user's capacity. */
export const OPEN_LEAD_STATUSES = ["new", "attempting", "connected"] as const;

const openStatuses = sql.join(
  OPEN_LEAD_STATUSES.map((s) => sql`${s}`),
  sql`, `,
);

/** Open leads the user owns: the capacity count (contacts_owner_idx serves it). */
export function openLeadsOf(user: SQL): SQL {
  return sql`(select count(*) from contacts oc where oc.owner_id = ${user} and oc.deleted_at is null
    and oc.lead_status in (${openStatuses}))`;
}

/** Whether the user is below their capacity (true when they have none). */
export function hasCapacity(user: SQL): SQL {
  return sql`((select ua.max_open_leads from user_availability ua where ua.user_id = ${user}) is null
    or ${openLeadsOf(user)} < (select ua.max_open_leads from user_availability ua where ua.user_id = ${user}))`;
}

export interface FactsQueryRow {
  id: string;
  ownerId: string | null;
  teamId: string | null;
  name: string;
  deletedAt: number | null;
  country: string | null;
  industry: string | null;
  companySize: string | null;
  source: string | null;
  grade: string | null;
  lifecycleStage: string | null;
  leadStatus: string | null;
  fitScore: number | null;
  engagementScore: number | null;
  custom: string | null;
}

/** The contact and its company's properties, as rules read them; `visible` narrows to what a caller may see. */
export function leadFactsQuery(db: Database, contactId: string, visible: SQL = sql`1`) {
  return db.all<FactsQueryRow>(sql`select c.id as id, c.owner_id as ownerId, c.team_id as teamId, c.name as name,
      c.deleted_at as deletedAt, co.country as country, co.industry as industry, co.size as companySize,
      c.source as source, c.grade as grade, c.lifecycle_stage as lifecycleStage, c.lead_status as leadStatus,
      c.fit_score as fitScore, c.engagement_score as engagementScore, c.custom as custom
    from contacts c left join companies co on co.id = c.company_id
    where c.id = ${contactId} and ${visible}`);
}

export function rulesetQuery(db: Database, kind: RulesetKind) {
  return db.all<{ definition: string; version: number }>(
    sql`select definition, version from routing_rulesets where kind = ${kind}`,
  );
}

export interface CandidateRow {
  teamId: string | null;
  userId: string;
  name: string;
  email: string;
  active: number;
  timeZone: string;
  workingHours: string | null;
  outOfOffice: string | null;
  maxOpenLeads: number | null;
  openLeads: number;
  weight: number | null;
  credit: number | null;
}

const candidateColumns = sql`u.id as userId, u.name as name, u.email as email, u.active as active,
  u.time_zone as timeZone, ua.working_hours as workingHours, ua.out_of_office as outOfOffice,
  ua.max_open_leads as maxOpenLeads, ${openLeadsOf(sql`u.id`)} as openLeads`;

/** The members of the given teams (an SQL list of team ids), with availability and rotation standing. */
export function teamCandidatesQuery(db: Database, teamIds: SQL) {
  return db.all<CandidateRow>(sql`select tm.team_id as teamId, ${candidateColumns}, rm.weight as weight, rm.credit as credit
    from team_members tm join users u on u.id = tm.user_id
    left join user_availability ua on ua.user_id = u.id
    left join rotation_members rm on rm.rotation = tm.team_id and rm.user_id = u.id
    where tm.team_id in (${teamIds}) order by tm.team_id, u.id`);
}

/** Single users (an SQL list of ids) with their availability. */
export function userCandidatesQuery(db: Database, userIds: SQL) {
  return db.all<CandidateRow>(sql`select null as teamId, ${candidateColumns}, null as weight, null as credit
    from users u left join user_availability ua on ua.user_id = u.id where u.id in (${userIds})`);
}

/** An SQL list of the values of a JSON array. */
export function jsonList(values: readonly string[]): SQL {
  return sql`select value from json_each(${JSON.stringify(values)})`;
}
