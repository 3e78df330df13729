// Users as everyone sees them: the directory every role reads (reps pick colleagues to assign records to),
// never a password hash or a TOTP secret. The admin's writes are in db/user-writes.ts.
import { and, asc, eq, gt, sql } from "drizzle-orm";
import type { Database } from "./client.ts";
import { NotFoundError } from "./errors.ts";
import { containsText, keysetPage, type Page, rowsForPage } from "./paging.ts";
import { type Role, users } from "./schema/index.ts";

export interface UserView {
  id: string;
  email: string;
  name: string;
  locale: string;
  timeZone: string;
  role: Role;
  active: boolean;
  /** Invited and has not set a password yet: the invitation can be sent again. */
  invitationPending: boolean;
  teams: { id: string; name: string; lead: boolean }[];
  createdAt: number;
  updatedAt: number;
}

// Never the password hash or the TOTP fields: this view is all the API ever says about a user. The outer
// table is named in raw SQL, as drizzle leaves a lone table's columns unqualified, which a subquery would capture.
const userFields = {
  id: users.id,
  email: users.email,
  name: users.name,
  locale: users.locale,
  timeZone: users.timeZone,
  role: users.role,
  active: users.active,
  invitationPending: sql<boolean>`${users.passwordHash} is null`.mapWith(Boolean),
  teams: sql<string>`(select coalesce(json_group_array(json_object('id', t.id, 'name', t.name, 'lead', tm.is_lead)),
    '[]') from team_members tm join teams t on t.id = tm.team_id where tm.user_id = users.id)`,
  createdAt: users.createdAt,
  updatedAt: users.updatedAt,
};

type UserRow = Omit<UserView, "teams"> & { teams: string };

export function toUserView(row: UserRow): UserView {
  const memberships = JSON.parse(row.teams) as { id: string; name: string; lead: number }[];
  return {
    ...row,
    teams: memberships
      .map((team) => ({ id: team.id, name: team.name, lead: team.lead === 1 }))
      .sort((a, b) => a.name.localeCompare(b.name)),
  };
}

export interface UserFilter {
  role?: Role | undefined;
  active?: boolean | undefined;
  teamId?: string | undefined;
  /** Part of the name or email. */
  q?: string | undefined;
  cursor?: string | undefined;
  limit: number;
}

/** Active and inactive users, oldest first, keyset-paged by id. Every user may see every user. */
export function listUsersQuery(db: Database, filter: UserFilter) {
  return db
    .select(userFields)
    .from(users)
    .where(
      and(
        filter.role ? eq(users.role, filter.role) : undefined,
        filter.active === undefined ? undefined : eq(users.active, filter.active),
        filter.teamId
          ? sql`exists (select 1 from team_members tm where tm.user_id = users.id and tm.team_id = ${filter.teamId})`
          : undefined,
        filter.q === undefined ? undefined : containsText([users.name, users.email], filter.q),
        filter.cursor ? gt(users.id, filter.cursor) : undefined,
      ),
    )
    .orderBy(asc(users.id))
    .limit(rowsForPage(filter.limit));
}

export function userPage(rows: UserRow[], limit: number): Page<UserView> {
  return keysetPage(rows, limit, toUserView);
}

export function readUserQuery(db: Database, id: string) {
  return db.select(userFields).from(users).where(eq(users.id, id));
}

export function toUser(rows: UserRow[], id: string): UserView {
  const row = rows[0];
  if (!row) throw new NotFoundError(`No user with id ${id}.`);
  return toUserView(row);
}
