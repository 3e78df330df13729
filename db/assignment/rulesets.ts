// Routing rulesets (assignment, SLA) and users' availability: the statements the rules API puts into its one
// batch. Replacing is conditional on the version the caller read (If-Match), decided in SQL in the same batch.
import { type SQL, sql } from "drizzle-orm";
import { denyUnless } from "../access.ts";
import type { RequestOrigin } from "../audit.ts";
import { callerAuditStatement } from "../audit-queries.ts";
import { type CallerRef, callerIsAdmin, callerUserId } from "../caller.ts";
import type { Database } from "../client.ts";
import type { RulesetKind } from "../schema/index.ts";

export interface RulesetView<T> {
  definition: T;
  version: number;
}

/**
 * Aborts the batch as a conflict unless every named user exists and is active and every named team exists;
 * the route answers that conflict as a 422 (the rules name what is not there).
 */
export function referencesGuard(db: Database, refs: { users: string[]; teams: string[] }) {
  return denyUnless(
    db,
    sql`(select count(*) from users where active = 1 and id in (select value from json_each(${JSON.stringify(refs.users)}))) = ${refs.users.length}
      and (select count(*) from teams where id in (select value from json_each(${JSON.stringify(refs.teams)}))) = ${refs.teams.length}`,
    "conflict",
  );
}

/**
 * Replaces a ruleset when `expected` (the If-Match version; 0 for one never written) is null or current.
 * Returns the new version, or no row when the version did not match.
 */
export function replaceRulesetStatement(
  db: Database,
  kind: RulesetKind,
  definition: unknown,
  expected: number | null,
  me: CallerRef,
  now: number,
) {
  const current = sql`coalesce((select version from routing_rulesets where kind = ${kind}), 0)`;
  const matches: SQL = expected === null ? sql`1` : sql`${current} = ${expected}`;
  return db.all<{
    version: number;
  }>(sql`insert into routing_rulesets (kind, definition, version, updated_at, updated_by)
    select ${kind}, ${JSON.stringify(definition)}, ${current} + 1, ${now}, ${callerUserId(me)} where ${matches}
    on conflict (kind) do update set definition = excluded.definition, version = excluded.version,
      updated_at = excluded.updated_at, updated_by = excluded.updated_by
    returning version`);
}

/** A user's own availability, or anyone's for an admin; 404 for anyone else (they may not see it). */
export function availabilityAccess(db: Database, me: CallerRef, userId: string) {
  return denyUnless(
    db,
    sql`exists (select 1 from users where id = ${userId}) and (${callerUserId(me)} = ${userId} or ${callerIsAdmin(me)})`,
    "not_found",
  );
}

/** A user's availability; with `me`, only when it is the caller's own or the caller is an admin. */
export function availabilityQuery(db: Database, userId: string, me?: CallerRef) {
  const visible = me ? sql`(u.id = ${callerUserId(me)} or ${callerIsAdmin(me)})` : sql`1`;
  return db.all<{
    userId: string;
    timeZone: string;
    workingHours: string | null;
    outOfOffice: string | null;
    maxOpenLeads: number | null;
    version: number | null;
  }>(sql`select u.id as userId, u.time_zone as timeZone, ua.working_hours as workingHours,
      ua.out_of_office as outOfOffice, ua.max_open_leads as maxOpenLeads, ua.version as version
    from users u left join user_availability ua on ua.user_id = u.id where u.id = ${userId} and ${visible}`);
}

export function replaceAvailabilityStatement(
  db: Database,
  userId: string,
  value: { workingHours: unknown; outOfOffice: unknown; maxOpenLeads: number | null },
  expected: number | null,
  now: number,
) {
  const current = sql`coalesce((select version from user_availability where user_id = ${userId}), 0)`;
  const matches: SQL = expected === null ? sql`1` : sql`${current} = ${expected}`;
  return db.all<{ version: number }>(sql`insert into user_availability (user_id, working_hours, out_of_office,
      max_open_leads, version, updated_at)
    select ${userId}, ${value.workingHours === null ? null : JSON.stringify(value.workingHours)},
      ${JSON.stringify(value.outOfOffice)}, ${value.maxOpenLeads}, ${current} + 1, ${now}
    where ${matches} and exists (select 1 from users where id = ${userId})
    on conflict (user_id) do update set working_hours = excluded.working_hours,
      out_of_office = excluded.out_of_office, max_open_leads = excluded.max_open_leads,
      version = excluded.version, updated_at = excluded.updated_at
    returning version`);
}

/** The audit entry of a rules or availability change, written only when the change was (same batch). */
export function routingAuditStatement(
  db: Database,
  me: CallerRef,
  target: { kind: RulesetKind } | { userId: string },
  origin: RequestOrigin,
  now: number,
) {
  return "kind" in target
    ? callerAuditStatement(
        db,
        me,
        { action: "routing_rules.updated", targetType: "routing_rules", targetId: target.kind },
        origin,
        now,
        {
          when: sql`exists (select 1 from routing_rulesets where kind = ${target.kind} and updated_at = ${now})`,
        },
      )
    : callerAuditStatement(
        db,
        me,
        { action: "availability.updated", targetType: "user", targetId: target.userId },
        origin,
        now,
        {
          when: sql`exists (select 1 from user_availability where user_id = ${target.userId} and updated_at = ${now})`,
        },
      );
}
