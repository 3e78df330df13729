// The admin's writes to users: invitations (and sending them again), changes, deactivation. Each write is a
// fixed list of statements for one batch, with the rules it must meet carried in its SQL.
import { and, eq, gt, inArray, isNull, type SQL, sql } from "drizzle-orm";
import type { BatchResponse } from "drizzle-orm/batch";
import { callerAuditStatement } from "./audit-queries.ts";
import { type CallerRef, callerUserId } from "./caller.ts";
import type { Database } from "./client.ts";
import { ConflictError, NotFoundError } from "./errors.ts";
import { newId } from "./ids.ts";
import { INVITE_TTL_MS } from "./one-time-tokens.ts";
import {
  apiKeys,
  oneTimeTokens,
  outbox,
  type Role,
  sessions,
  teamMembers,
  teams,
  users,
} from "./schema/index.ts";
import { conflictOnUnique, existsGuard, idList, insertWhere, type WriteContext, when } from "./statements.ts";
import { readUserQuery, toUser, toUserView, type UserView } from "./users.ts";

/** A fresh invitation: the link goes out by email, only the token's hash is stored. */
export interface Invitation {
  tokenHash: string;
  link: string;
}

function teamsExist(teamIds: readonly string[]): SQL {
  return sql`((select count(*) from teams where id in (${idList(teamIds)})) = ${teamIds.length})`;
}

function foundTeamsQuery(db: Database, teamIds: readonly string[]) {
  return db
    .select({ id: teams.id })
    .from(teams)
    .where(inArray(teams.id, [...teamIds]));
}

function missingTeams(teamIds: readonly string[], found: { id: string }[]): NotFoundError {
  const missing = teamIds.filter((id) => !found.some((team) => team.id === id));
  return new NotFoundError(`No team with id ${missing.join(", ")}.`);
}

function userMemberships(
  db: Database,
  userId: string,
  teamIds: readonly string[],
  leadTeamIds: readonly string[],
  condition: SQL,
) {
  return db
    .insert(teamMembers)
    .select(
      sql`select t.id, ${userId}, t.id in (${idList(leadTeamIds)}) from teams t where t.id in (${idList(teamIds)}) and ${condition}`,
    );
}

function invitationToken(db: Database, userId: string, tokenHash: string, now: number, condition: SQL) {
  return insertWhere(
    db,
    oneTimeTokens,
    { tokenHash, kind: "invite", userId, createdAt: now, expiresAt: now + INVITE_TTL_MS },
    condition,
  );
}

// Recipient and greeting come from the user's row, so the same statement serves the invitation and its re-send.
function invitationEmail(db: Database, userId: string, link: string, now: number, condition: SQL) {
  const days = Math.round(INVITE_TTL_MS / 86_400_000);
  const text =
    `,\n\nYou have been invited to Edge CRM. Choose your password here to sign in:\n\n${link}\n\n` +
    `The link works once and expires in ${days} days. If you did not expect this invitation, ignore this email.\n`;
  return insertWhere(
    db,
    outbox,
    {
      id: newId(),
      channel: "email",
      status: "pending",
      template: "invite",
      subject: "You are invited to Edge CRM",
      recipient: sql`(select email from users where id = ${userId})`,
      body: sql`(select ${"Hello "} || name || ${text} from users where id = ${userId})`,
      createdAt: now,
    },
    condition,
  );
}

export interface InviteInput {
  /** Already trimmed and lower-cased. */
  email: string;
  name: string;
  role: Role;
  teamIds: string[];
  leadTeamIds: string[];
  locale?: string | undefined;
  timeZone?: string | undefined;
}

/** A user without a password, their teams, a single-use invitation token and its email, and the audit entry. */
export function inviteUser(db: Database, input: InviteInput, invitation: Invitation, ctx: WriteContext) {
  const id = newId();
  const created = sql`exists (select 1 from users where id = ${id})`;
  const { email, name, role, teamIds, leadTeamIds, locale, timeZone } = input;
  const statements = (me: CallerRef) =>
    [
      foundTeamsQuery(db, teamIds),
      insertWhere(
        db,
        users,
        { id, email, name, role, locale, timeZone, createdAt: ctx.now, updatedAt: ctx.now },
        teamsExist(teamIds),
      ),
      userMemberships(db, id, teamIds, leadTeamIds, created),
      invitationToken(db, id, invitation.tokenHash, ctx.now, created),
      invitationEmail(db, id, invitation.link, ctx.now, created),
      callerAuditStatement(
        db,
        me,
        {
          action: "user.invited",
          targetType: "user",
          targetId: id,
          changes: { email, name, role, teamIds, leadTeamIds },
        },
        ctx.origin,
        ctx.now,
        { when: created },
      ),
      readUserQuery(db, id),
    ] as const;
  return {
    statements,
    result([found, , , , , , rows]: BatchResponse<ReturnType<typeof statements>>): UserView {
      const row = rows[0];
      if (!row) throw missingTeams(teamIds, found);
      return toUserView(row);
    },
    rethrow: conflictOnUnique({
      "users.email": `A user with the email ${email} already exists (reactivate them if they were deactivated).`,
    }),
  };
}

export interface UserPatch {
  name?: string | undefined;
  locale?: string | undefined;
  timeZone?: string | undefined;
  role?: Role | undefined;
  active?: boolean | undefined;
  /** Replaces the memberships. */
  teamIds?: string[] | undefined;
  /** The teams among `teamIds` the user leads (managers only). */
  leadTeamIds?: string[] | undefined;
}

/**
 * The caller's own name, language and time zone, whatever their role (an API key changes its user's), audited
 * as user.updated with what changed. The statements, for authorizedWrite; the last returns the new values.
 */
export function updateOwnProfile(
  db: Database,
  patch: Pick<UserPatch, "name" | "locale" | "timeZone">,
  ctx: WriteContext,
) {
  const set = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
  return (me: CallerRef) => {
    const id = callerUserId(me);
    return [
      callerAuditStatement(db, me, { action: "user.updated", targetType: "user" }, ctx.origin, ctx.now, {
        targetId: id,
        changes: profileChanges(id, patch),
        when: sql`exists (select 1 from users where id = ${id})`,
      }),
      db
        .update(users)
        .set({ ...set, updatedAt: ctx.now })
        .where(sql`${users.id} = ${id}`)
        .returning({ name: users.name, locale: users.locale, timeZone: users.timeZone }),
    ] as const;
  };
}

/**
 * Changes a user. Nothing happens unless the rules hold (the teams exist, an active admin remains, only
 * managers lead); each statement carries them, and the batch reads them back to say which one failed.
 * Deactivating also revokes the user's sessions, API keys and unused emailed links.
 */
export function updateUser(db: Database, id: string, patch: UserPatch, ctx: WriteContext) {
  const { name, locale, timeZone, role, active, teamIds, leadTeamIds = [] } = patch;
  const removesAdmin = (role !== undefined && role !== "admin") || active === false;
  const teamsOk = teamIds ? teamsExist(teamIds) : sql`1`;
  const lastAdminOk = removesAdmin
    ? sql`(not exists (select 1 from users x where x.id = ${id} and x.role = 'admin' and x.active = 1)
        or exists (select 1 from users x where x.role = 'admin' and x.active = 1 and x.id != ${id}))`
    : sql`1`;
  const leadsOk =
    leadTeamIds.length > 0 && role === undefined
      ? sql`exists (select 1 from users x where x.id = ${id} and x.role = 'manager')`
      : sql`1`;
  const allowed = sql`(${teamsOk} and ${lastAdminOk} and ${leadsOk})`;
  const deactivating = sql`${when(active === false)} and ${allowed}`;
  const profileChanged =
    name !== undefined || locale !== undefined || timeZone !== undefined || teamIds !== undefined;
  const target = { targetType: "user", targetId: id } as const;

  const statements = (me: CallerRef) =>
    [
      existsGuard(db, users, id),
      db
        .select({
          teamsOk: sql<boolean>`${teamsOk}`.mapWith(Boolean),
          lastAdminOk: sql<boolean>`${lastAdminOk}`.mapWith(Boolean),
          leadsOk: sql<boolean>`${leadsOk}`.mapWith(Boolean),
        })
        .from(users)
        .where(eq(users.id, id)),
      foundTeamsQuery(db, teamIds ?? []),
      // The audit entries come before the update, so their SQL still reads the old values.
      callerAuditStatement(db, me, { action: "user.role.changed", ...target }, ctx.origin, ctx.now, {
        when: sql`${when(role !== undefined)} and ${allowed} and exists (select 1 from users x where x.id = ${id} and x.role != ${role ?? null})`,
        changes: sql`(select json_object('role', json_object('from', role, 'to', ${role ?? null})) from users where id = ${id})`,
      }),
      callerAuditStatement(
        db,
        me,
        {
          action: active ? "user.reactivated" : "user.deactivated",
          ...target,
          changes: { active: { from: !active, to: active } },
        },
        ctx.origin,
        ctx.now,
        {
          when: sql`${when(active !== undefined)} and ${allowed} and exists (select 1 from users x where x.id = ${id} and x.active != ${active ? 1 : 0})`,
        },
      ),
      callerAuditStatement(db, me, { action: "user.updated", ...target }, ctx.origin, ctx.now, {
        when: sql`${when(profileChanged)} and ${allowed}`,
        changes: profileChanges(id, patch),
      }),
      // Leading a team is a manager's; a user who stops being one stops leading.
      db
        .update(teamMembers)
        .set({ isLead: false })
        .where(
          sql`${when(role !== undefined && role !== "manager" && teamIds === undefined)} and ${teamMembers.userId} = ${id} and ${allowed}`,
        ),
      db
        .delete(teamMembers)
        .where(sql`${when(teamIds !== undefined)} and ${teamMembers.userId} = ${id} and ${allowed}`),
      userMemberships(db, id, teamIds ?? [], leadTeamIds, allowed),
      db
        .update(sessions)
        .set({ revokedAt: ctx.now, revokedReason: "user_deactivated" })
        .where(and(eq(sessions.userId, id), isNull(sessions.revokedAt), deactivating)),
      db
        .update(apiKeys)
        .set({ revokedAt: ctx.now })
        .where(and(eq(apiKeys.userId, id), isNull(apiKeys.revokedAt), deactivating)),
      db
        .update(oneTimeTokens)
        .set({ expiresAt: ctx.now })
        .where(
          and(
            eq(oneTimeTokens.userId, id),
            isNull(oneTimeTokens.usedAt),
            gt(oneTimeTokens.expiresAt, ctx.now),
            deactivating,
          ),
        ),
      db
        .update(users)
        .set({ name, locale, timeZone, role, active, updatedAt: ctx.now })
        .where(
          sql`${when(Object.values(patch).some((value) => value !== undefined))} and ${users.id} = ${id} and ${allowed}`,
        ),
      readUserQuery(db, id),
    ] as const;

  return {
    statements,
    result(results: BatchResponse<ReturnType<typeof statements>>): UserView {
      const [, [rules], found] = results;
      if (rules && !rules.teamsOk) throw missingTeams(teamIds ?? [], found);
      if (rules && !rules.lastAdminOk) {
        throw new ConflictError(
          "This is the last active admin: make another user an admin before demoting or deactivating this one.",
        );
      }
      if (rules && !rules.leadsOk) {
        throw new ConflictError(
          'Only managers can lead a team: set role to "manager" in the same change, or leave leadTeamIds empty.',
        );
      }
      return toUser(results[13], id);
    },
  };
}

/** The audit entry's old → new values of the profile fields and memberships a patch sets. */
function profileChanges(id: string | SQL, patch: UserPatch): SQL {
  const pairs: SQL[] = [];
  for (const field of ["name", "locale", "timeZone"] as const) {
    const value = patch[field];
    if (value !== undefined) pairs.push(sql`${field}, json_object('from', ${users[field]}, 'to', ${value})`);
  }
  if (patch.teamIds) {
    const to = patch.teamIds.map((teamId) => ({
      teamId,
      lead: patch.leadTeamIds?.includes(teamId) ?? false,
    }));
    pairs.push(sql`'teams', json_object('from', json((select json_group_array(json_object('teamId', team_id,
      'lead', json(iif(is_lead, 'true', 'false')))) from team_members where user_id = ${id})),
      'to', json(${JSON.stringify(to)}))`);
  }
  return pairs.length === 0
    ? sql`null`
    : sql`(select json_object(${sql.join(pairs, sql`, `)}) from users where id = ${id})`;
}

/**
 * Sends a new invitation to a user who has not set a password. Earlier invitation links stop working
 * (they expire now): only the newest email is the way in.
 */
export function resendInvitation(db: Database, id: string, invitation: Invitation, ctx: WriteContext) {
  const pending = sql`exists (select 1 from users x where x.id = ${id} and x.password_hash is null and x.active = 1)`;
  const statements = (me: CallerRef) =>
    [
      existsGuard(db, users, id),
      db
        .select({
          email: users.email,
          active: users.active,
          pending: sql<boolean>`${users.passwordHash} is null`.mapWith(Boolean),
        })
        .from(users)
        .where(eq(users.id, id)),
      db
        .update(oneTimeTokens)
        .set({ expiresAt: ctx.now })
        .where(
          and(
            eq(oneTimeTokens.userId, id),
            eq(oneTimeTokens.kind, "invite"),
            isNull(oneTimeTokens.usedAt),
            gt(oneTimeTokens.expiresAt, ctx.now),
            pending,
          ),
        ),
      invitationToken(db, id, invitation.tokenHash, ctx.now, pending),
      invitationEmail(db, id, invitation.link, ctx.now, pending),
      callerAuditStatement(
        db,
        me,
        { action: "user.invited", targetType: "user", targetId: id, changes: { resent: true } },
        ctx.origin,
        ctx.now,
        { when: pending },
      ),
    ] as const;
  return {
    statements,
    result([, [user]]: BatchResponse<ReturnType<typeof statements>>) {
      if (!user) throw new NotFoundError(`No user with id ${id}.`);
      if (!user.active) {
        throw new ConflictError(
          `${user.email} is deactivated: reactivate the user before inviting them again.`,
        );
      }
      if (!user.pending) {
        throw new ConflictError(
          `${user.email} has already set a password; they can reset it from the sign-in page if they forgot it.`,
        );
      }
      return { userId: id, email: user.email, expiresAt: ctx.now + INVITE_TTL_MS };
    },
  };
}
