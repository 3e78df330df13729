// Teams and their members: every role reads them; admins create, rename and staff them, one batch per write.
import { asc, eq, gt, inArray, type SQL, sql } from "drizzle-orm";
import type { BatchResponse } from "drizzle-orm/batch";
import { callerAuditStatement } from "./audit-queries.ts";
import type { CallerRef } from "./caller.ts";
import type { Database } from "./client.ts";
import { ConflictError, NotFoundError } from "./errors.ts";
import { newId } from "./ids.ts";
import { rowsForPage } from "./paging.ts";
import { type Role, teamMembers, teams, users } from "./schema/index.ts";
import { conflictOnUnique, existsGuard, idList, insertWhere, type WriteContext } from "./statements.ts";

export interface TeamMemberView {
  userId: string;
  name: string;
  email: string;
  active: boolean;
  lead: boolean;
}

export interface TeamView {
  id: string;
  name: string;
  createdAt: number;
  members: TeamMemberView[];
}

const teamFields = {
  id: teams.id,
  name: teams.name,
  createdAt: teams.createdAt,
  members: sql<string>`(select coalesce(json_group_array(json_object('userId', u.id, 'name', u.name, 'email', u.email,
    'active', u.active, 'lead', tm.is_lead)), '[]') from team_members tm join users u on u.id = tm.user_id
    where tm.team_id = teams.id)`,
};

type TeamRow = { id: string; name: string; createdAt: number; members: string };

export function toTeamView(row: TeamRow): TeamView {
  const members = JSON.parse(row.members) as (Omit<TeamMemberView, "active" | "lead"> & {
    active: number;
    lead: number;
  })[];
  return {
    id: row.id,
    name: row.name,
    createdAt: row.createdAt,
    members: members
      .map((m) => ({ ...m, active: m.active === 1, lead: m.lead === 1 }))
      .sort((a, b) => a.name.localeCompare(b.name)),
  };
}

/** Every team with its members, oldest first, keyset-paged by id. Teams are visible to every user. */
export function listTeamsQuery(db: Database, options: { cursor?: string | undefined; limit: number }) {
  return db
    .select(teamFields)
    .from(teams)
    .where(options.cursor ? gt(teams.id, options.cursor) : undefined)
    .orderBy(asc(teams.id))
    .limit(rowsForPage(options.limit));
}

export function readTeamQuery(db: Database, id: string) {
  return db.select(teamFields).from(teams).where(eq(teams.id, id));
}

export interface MemberInput {
  userId: string;
  lead: boolean;
}

/**
 * The rule a member list must meet, as SQL for the batch: every user exists, and only managers lead.
 * `memberProblem` tells which part failed, from the rows `memberCheckQuery` read in the same batch.
 */
function membersRule(members: readonly MemberInput[]): SQL {
  const ids = members.map((m) => m.userId);
  const leads = members.filter((m) => m.lead).map((m) => m.userId);
  return sql`((select count(*) from users where id in (${idList(ids)})) = ${ids.length}
    and not exists (select 1 from users where id in (${idList(leads)}) and role != 'manager'))`;
}

function memberCheckQuery(db: Database, members: readonly MemberInput[]) {
  return db
    .select({ id: users.id, name: users.name, role: users.role })
    .from(users)
    .where(
      inArray(
        users.id,
        members.map((m) => m.userId),
      ),
    );
}

function memberProblem(members: readonly MemberInput[], found: { id: string; name: string; role: Role }[]) {
  const byId = new Map(found.map((user) => [user.id, user]));
  const missing = members.filter((m) => !byId.has(m.userId)).map((m) => m.userId);
  if (missing.length > 0) return new NotFoundError(`No user with id ${missing.join(", ")}.`);
  const notManagers = members.filter((m) => m.lead && byId.get(m.userId)?.role !== "manager");
  if (notManagers.length > 0) {
    const names = notManagers.map((m) => byId.get(m.userId)?.name ?? m.userId).join(", ");
    return new ConflictError(
      `Only managers can lead a team; make ${names} a manager first, or add them as members.`,
    );
  }
  return null;
}

function insertMembers(db: Database, teamId: string, members: readonly MemberInput[], condition: SQL) {
  const leads = members.filter((m) => m.lead).map((m) => m.userId);
  return db.insert(teamMembers).select(
    sql`select ${teamId}, u.id, u.id in (${idList(leads)}) from users u
      where u.id in (${idList(members.map((m) => m.userId))}) and ${condition}`,
  );
}

const nameTaken = (name: string) =>
  conflictOnUnique({ "teams.name": `A team named "${name}" already exists.` });

export function createTeam(db: Database, input: { name: string; members: MemberInput[] }, ctx: WriteContext) {
  const id = newId();
  const created = sql`exists (select 1 from teams where id = ${id})`;
  const statements = (me: CallerRef) =>
    [
      memberCheckQuery(db, input.members),
      insertWhere(db, teams, { id, name: input.name, createdAt: ctx.now }, membersRule(input.members)),
      insertMembers(db, id, input.members, created),
      callerAuditStatement(
        db,
        me,
        { action: "team.created", targetType: "team", targetId: id, changes: input },
        ctx.origin,
        ctx.now,
        { when: created },
      ),
      readTeamQuery(db, id),
    ] as const;
  return {
    statements,
    result([found, , , , rows]: BatchResponse<ReturnType<typeof statements>>): TeamView {
      const row = rows[0];
      if (row) return toTeamView(row);
      throw (
        memberProblem(input.members, found) ?? new Error("The team was not created, for no known reason.")
      );
    },
    rethrow: nameTaken(input.name),
  };
}

export function renameTeam(db: Database, id: string, name: string, ctx: WriteContext) {
  const statements = (me: CallerRef) =>
    [
      existsGuard(db, teams, id),
      callerAuditStatement(
        db,
        me,
        { action: "team.updated", targetType: "team", targetId: id },
        ctx.origin,
        ctx.now,
        {
          changes: sql`(select json_object('name', json_object('from', name, 'to', ${name})) from teams where id = ${id})`,
        },
      ),
      db.update(teams).set({ name }).where(eq(teams.id, id)),
      readTeamQuery(db, id),
    ] as const;
  return {
    statements,
    result([, , , rows]: BatchResponse<ReturnType<typeof statements>>): TeamView {
      const row = rows[0];
      if (!row) throw new NotFoundError(`No team with id ${id}.`);
      return toTeamView(row);
    },
    rethrow: nameTaken(name),
  };
}

/** Replaces the member list; nothing changes unless every user exists and every lead is a manager. */
export function replaceMembers(db: Database, id: string, members: MemberInput[], ctx: WriteContext) {
  const rule = membersRule(members);
  const statements = (me: CallerRef) =>
    [
      existsGuard(db, teams, id),
      memberCheckQuery(db, members),
      callerAuditStatement(
        db,
        me,
        { action: "team.members.changed", targetType: "team", targetId: id },
        ctx.origin,
        ctx.now,
        {
          when: rule,
          // json() keeps the subquery's array an array inside the object, not a string.
          changes: sql`json_object('from', json((select json_group_array(json_object('userId', user_id, 'lead',
            json(iif(is_lead, 'true', 'false')))) from team_members where team_id = ${id})),
            'to', json(${JSON.stringify(members)}))`,
        },
      ),
      db.delete(teamMembers).where(sql`${teamMembers.teamId} = ${id} and ${rule}`),
      insertMembers(db, id, members, rule),
      readTeamQuery(db, id),
    ] as const;
  return {
    statements,
    result([, found, , , , rows]: BatchResponse<ReturnType<typeof statements>>): TeamView {
      const problem = memberProblem(members, found);
      if (problem) throw problem;
      const row = rows[0];
      if (!row) throw new NotFoundError(`No team with id ${id}.`);
      return toTeamView(row);
    },
  };
}
