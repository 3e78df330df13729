// Who is calling, as SQL: the caller's user id (known from a session token, or looked up from an API key
// inside the statement), and the record-visibility rule every data function applies to owned records.
import { type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { apiKeys, settings, teamMembers, users } from "./schema/index.ts";

/** How statements refer to the caller: a user id from the session token, or an API key's hash. */
export type CallerRef = { kind: "user"; userId: string } | { kind: "api_key"; keyHash: string };

/** The caller's user id as an SQL expression: a parameter for a session, a lookup for an API key. */
export function callerUserId(me: CallerRef): SQL {
  return me.kind === "user"
    ? sql`${me.userId}`
    : sql`(select ${apiKeys.userId} from ${apiKeys} where ${apiKeys.keyHash} = ${me.keyHash})`;
}

/** The id of the API key making the call, or null for a session. */
export function callerApiKeyId(me: CallerRef): SQL {
  return me.kind === "user"
    ? sql`null`
    : sql`(select ${apiKeys.id} from ${apiKeys} where ${apiKeys.keyHash} = ${me.keyHash})`;
}

export function callerIsAdmin(me: CallerRef): SQL {
  return sql`exists (select 1 from ${users} where ${users.id} = ${callerUserId(me)} and ${users.role} = 'admin')`;
}

const repsSeeTeamRecords = sql`coalesce((select ${settings.value} from ${settings} where ${settings.key} = 'repsSeeTeamRecords'), 'false') = 'true'`;

/**
 * Whether the caller may see a record with this owner and team, decided from fresh rows in the statement
 * itself: admins see every record; managers their own and their teams'; reps and read-only users their own,
 * and their teams' when the organisation allows it (setting `repsSeeTeamRecords`). Inactive or unknown
 * callers see nothing.
 *
 * Written as three tests that each ask about the caller alone (no subquery mentions the record), so SQLite
 * runs every subquery once per statement, not once per row, and `owner in (…)` / `team in (…)` are terms an
 * owner or team index can serve. Each test is 0 or 1, never NULL (hence the `is not null` guards), so the
 * rule can also be selected as a value or negated.
 */
export function canSeeRecord(me: CallerRef, owner: SQLiteColumn | SQL, team: SQLiteColumn | SQL): SQL {
  const callerId = callerUserId(me);
  const isAdmin = sql`exists (select 1 from ${users} where ${users.id} = ${callerId} and ${users.active} = 1 and ${users.role} = 'admin')`;
  const ownsIt = sql`(${owner} is not null and ${owner} in (select ${users.id} from ${users} where ${users.id} = ${callerId} and ${users.active} = 1))`;
  const seesTeams = sql`(caller.role = 'manager' or (caller.role in ('rep', 'read_only') and ${repsSeeTeamRecords}))`;
  const teamsItSees = sql`select m.team_id from ${teamMembers} m join ${users} caller on caller.id = m.user_id
    where m.user_id = ${callerId} and caller.active = 1 and ${seesTeams}`;
  return sql`(${isAdmin} or ${ownsIt} or (${team} is not null and ${team} in (${teamsItSees})))`;
}

/** One way a caller sees records, with the row limit that applies to it. */
export interface VisibilityPart {
  where: SQL;
  /** `limit` when this part applies to the caller, else 0. */
  limit: SQL;
}

/**
 * The rule of canSeeRecord split into parts that indexes serve one at a time, for lists that take the first rows
 * in some order: every record (an admin), the records the caller owns, and the records of their teams that
 * someone else (or no one) owns. The parts never overlap, so their rows can be put together without duplicates.
 *
 * Whether a part applies goes into its LIMIT rather than its WHERE: SQLite works out a LIMIT once, before it
 * reads a row, so a part that does not apply to the caller reads nothing, while a WHERE test would be made on
 * every row of the scan.
 */
export function visibilityParts(
  me: CallerRef,
  owner: SQLiteColumn | SQL,
  team: SQLiteColumn | SQL,
  limit: number,
): VisibilityPart[] {
  const callerId = callerUserId(me);
  const isAdmin = sql`exists (select 1 from ${users} where ${users.id} = ${callerId} and ${users.active} = 1 and ${users.role} = 'admin')`;
  const isActive = sql`exists (select 1 from ${users} where ${users.id} = ${callerId} and ${users.active} = 1)`;
  const seesTeams = sql`(caller.role = 'manager' or (caller.role in ('rep', 'read_only') and ${repsSeeTeamRecords}))`;
  const teamsItSees = sql`select m.team_id from ${teamMembers} m join ${users} caller on caller.id = m.user_id
    where m.user_id = ${callerId} and caller.active = 1 and ${seesTeams}`;
  const when = (applies: SQL) => sql`(case when ${applies} then ${limit} else 0 end)`;
  return [
    { where: sql`1`, limit: when(isAdmin) },
    { where: sql`${owner} = ${callerId}`, limit: when(sql`not ${isAdmin} and ${isActive}`) },
    {
      where: sql`${team} in (${teamsItSees}) and (${owner} is null or ${owner} <> ${callerId})`,
      // A caller who sees no team reads nothing here: the planner may walk the sort's index for this part.
      limit: when(sql`not ${isAdmin} and exists (${teamsItSees})`),
    },
  ];
}

/** Whether the caller may change such a record: as for seeing it, but never a read-only user. */
export function canWriteRecord(me: CallerRef, owner: SQLiteColumn | SQL, team: SQLiteColumn | SQL): SQL {
  return sql`(${canSeeRecord(me, owner, team)} and not exists (select 1 from ${users} where ${users.id} = ${callerUserId(me)} and ${users.role} = 'read_only'))`;
}
