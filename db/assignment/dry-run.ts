// The dry run's one read: the contact (as the caller may see it), both rulesets, and every person the rules
// could pick (members of the teams they name, the users they name, the fallback and the current owner), with
// their availability and rotation standing. The teams and users are found in SQL from the stored rules, so
// the whole read is one round trip.
import { sql } from "drizzle-orm";
import { type CallerRef, canSeeRecord } from "../caller.ts";
import type { Database } from "../client.ts";
import { leadFactsQuery, rulesetQuery, teamCandidatesQuery, userCandidatesQuery } from "./queries.ts";

const ruleTargets = (path: string) =>
  sql`select json_extract(r.value, ${path}) from routing_rulesets s, json_each(s.definition, '$.rules') r
    where s.kind = 'assignment'`;

export function dryRunQueries(db: Database, me: CallerRef, contactId: string) {
  const users = sql`${ruleTargets("$.assignTo.userId")}
    union select json_extract(definition, '$.fallbackOwnerId') from routing_rulesets where kind = 'assignment'
    union select owner_id from contacts where id = ${contactId}`;
  return [
    leadFactsQuery(db, contactId, canSeeRecord(me, sql`c.owner_id`, sql`c.team_id`)),
    rulesetQuery(db, "assignment"),
    rulesetQuery(db, "sla"),
    teamCandidatesQuery(db, ruleTargets("$.assignTo.teamId")),
    userCandidatesQuery(db, users),
  ] as const;
}
