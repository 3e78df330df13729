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
 * and their teams' when the organisation allows it (setting `repsSeeTeamRecords`).
 */
export function canSeeRecord(me: CallerRef, owner: SQLiteColumn | SQL, team: SQLiteColumn | SQL): SQL {
  const inMyTeams = sql`${team} in (select ${teamMembers.teamId} from ${teamMembers} where ${teamMembers.userId} = caller.id)`;
  return sql`exists (select 1 from ${users} caller where caller.id = ${callerUserId(me)} and caller.active = 1 and (
    caller.role = 'admin'
    or ${owner} = caller.id
    or (caller.role = 'manager' and ${inMyTeams})
    or (caller.role in ('rep', 'read_only') and ${repsSeeTeamRecords} and ${inMyTeams})
  ))`;
}

/** Whether the caller may change such a record: as for seeing it, but never a read-only user. */
export function canWriteRecord(me: CallerRef, owner: SQLiteColumn | SQL, team: SQLiteColumn | SQL): SQL {
  return sql`(${canSeeRecord(me, owner, team)} and not exists (select 1 from ${users} where ${users.id} = ${callerUserId(me)} and ${users.role} = 'read_only'))`;
}
