// Who is calling, and may they: the caller's principal is read, and writes are guarded, inside the same
// database round trip as the work itself, so a deactivated user, a revoked session or key, or a changed role
// takes effect at once without an extra trip.
import { and, eq, gt, isNull, or, type SQL, sql } from "drizzle-orm";
import type { Database } from "./client.ts";
import { apiKeys, type Role, sessions, users } from "./schema/index.ts";
import { requireTwoFactorSql } from "./two-factor.ts";

/** What the request presented, checked cryptographically but not yet against the database. */
export type Credentials =
  | { kind: "session"; userId: string; sessionId: string }
  | { kind: "api_key"; keyHash: string };

/**
 * What a route needs. `scope` names the resource and action (`contacts:read`); sessions hold every scope
 * their role allows, API keys only those granted. `roles` narrows who may call at all; `write` refuses
 * read-only users.
 */
export interface Access {
  scope: Scope;
  roles?: readonly Role[];
  write?: boolean;
  /** Only a logged-in user, never an API key whatever its grants: e.g. changing how that user logs in. */
  sessionOnly?: boolean;
}

export const SCOPES = [
  "profile:read",
  "profile:write",
  "users:read",
  "users:write",
  "teams:read",
  "teams:write",
  "api_keys:read",
  "api_keys:write",
  "audit:read",
  "outbox:read",
  "outbox:write",
  "settings:read",
  "settings:write",
  "contacts:read",
  "contacts:write",
  "companies:read",
  "companies:write",
  "deals:read",
  "deals:write",
  "forms:read",
  "forms:write",
  "templates:read",
  "templates:write",
  "webhooks:read",
  "webhooks:write",
  "reports:read",
  "reports:write",
  "rules:read",
  "rules:write",
  "dead_letters:read",
  "dead_letters:write",
  "workflows:read",
  "workflows:write",
  "imports:read",
  "imports:write",
  "exports:read",
  "exports:write",
  "privacy:read",
  "privacy:write",
] as const;
export type Scope = (typeof SCOPES)[number];

/** What an API key may be granted: exact scopes, a whole resource (`deals:*`), or `admin`. */
export type Grant = Scope | `${string}:*` | "admin";

export const ALL_ROLES: readonly Role[] = ["admin", "manager", "rep", "read_only"];

export interface Principal {
  userId: string;
  email: string;
  name: string;
  role: Role;
  locale: string;
  timeZone: string;
  totpEnabled: boolean;
  /** The organisation requires 2FA and this session's user has not enrolled: only ENROLMENT_SCOPES until then. */
  totpRequired: boolean;
  teams: { id: string; lead: boolean }[];
  sessionId: string | null;
  apiKeyId: string | null;
  /** Null for a session (the role decides); the key's grants for an API key. */
  grants: Grant[] | null;
}

export type Decision = "ok" | "unauthenticated" | "forbidden" | "totp_required";

/**
 * What a session may reach while the organisation requires 2FA and its user has none: their profile (me,
 * password, enrolment). Logout is public. API keys are not held back: integrations have no second factor.
 */
export const ENROLMENT_SCOPES: readonly Scope[] = ["profile:read", "profile:write"];

/** Whether grants cover a scope: exactly, by a resource wildcard, `write` covering `read`, or `admin`. */
export function grantsCover(grants: readonly string[], scope: Scope): boolean {
  const [resource, action] = scope.split(":");
  return (
    grants.includes(scope) ||
    grants.includes(`${resource}:*`) ||
    (action === "read" && grants.includes(`${resource}:write`)) ||
    grants.includes("admin")
  );
}

export function decide(principal: Principal | null, access: Access): Decision {
  if (!principal) return "unauthenticated";
  if (principal.totpRequired && !ENROLMENT_SCOPES.includes(access.scope)) return "totp_required";
  if (access.sessionOnly && principal.apiKeyId !== null) return "forbidden";
  const roles = access.roles ?? ALL_ROLES;
  if (!roles.includes(principal.role)) return "forbidden";
  if (access.write && principal.role === "read_only") return "forbidden";
  if (principal.grants && !grantsCover(principal.grants, access.scope)) return "forbidden";
  return "ok";
}

const teamsJson = sql<string>`(select coalesce(json_group_array(json_object('id', tm.team_id, 'lead', tm.is_lead)), '[]') from team_members tm where tm.user_id = ${users.id})`;

/** The caller's principal as one query (0 or 1 row), to put first in the request's batch. */
export function principalQuery(db: Database, credentials: Credentials, now: number) {
  const fields = {
    userId: users.id,
    email: users.email,
    name: users.name,
    role: users.role,
    locale: users.locale,
    timeZone: users.timeZone,
    totpEnabledAt: users.totpEnabledAt,
    teams: teamsJson,
    require2fa: requireTwoFactorSql(),
  };
  if (credentials.kind === "session") {
    return db
      .select({
        ...fields,
        sessionId: sessions.id,
        apiKeyId: sql<string | null>`null`,
        grants: sql<string | null>`null`,
      })
      .from(users)
      .innerJoin(sessions, eq(sessions.userId, users.id))
      .where(
        and(
          eq(users.id, credentials.userId),
          eq(sessions.id, credentials.sessionId),
          eq(users.active, true),
          isNull(sessions.revokedAt),
          gt(sessions.expiresAt, now),
        ),
      )
      .limit(1);
  }
  return db
    .select({ ...fields, sessionId: sql<string | null>`null`, apiKeyId: apiKeys.id, grants: apiKeys.scopes })
    .from(apiKeys)
    .innerJoin(users, eq(users.id, apiKeys.userId))
    .where(
      and(
        eq(apiKeys.keyHash, credentials.keyHash),
        isNull(apiKeys.revokedAt),
        or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now)),
        eq(users.active, true),
      ),
    )
    .limit(1);
}

export type PrincipalRow = Awaited<ReturnType<typeof principalQuery>>[number];

export function toPrincipal(row: PrincipalRow | undefined): Principal | null {
  if (!row) return null;
  return {
    userId: row.userId,
    email: row.email,
    name: row.name,
    role: row.role,
    locale: row.locale,
    timeZone: row.timeZone,
    totpEnabled: row.totpEnabledAt !== null,
    totpRequired: row.require2fa && row.totpEnabledAt === null && row.sessionId !== null,
    teams: (JSON.parse(row.teams) as { id: string; lead: number }[]).map((t) => ({
      id: t.id,
      lead: t.lead === 1,
    })),
    sessionId: row.sessionId,
    apiKeyId: row.apiKeyId,
    grants: row.grants === null ? null : (JSON.parse(row.grants) as Grant[]),
  };
}

/**
 * The first statement of a write batch: decides, in SQL and from fresh rows, what `decide` decides in code,
 * and aborts the whole batch through the access_guard trigger when the answer is not "ok".
 */
export function accessGuard(db: Database, credentials: Credentials, access: Access, now: number) {
  const principal =
    credentials.kind === "session"
      ? sql`select u.role as role, null as grants, u.totp_enabled_at is null and ${requireTwoFactorSql()} as totp_required
          from users u join sessions s on s.user_id = u.id
          where u.id = ${credentials.userId} and s.id = ${credentials.sessionId} and u.active = 1
          and s.revoked_at is null and s.expires_at > ${now}`
      : sql`select u.role as role, k.scopes as grants, 0 as totp_required from api_keys k join users u on u.id = k.user_id
          where k.key_hash = ${credentials.keyHash} and k.revoked_at is null
          and (k.expires_at is null or k.expires_at > ${now}) and u.active = 1`;
  const roles = (access.roles ?? ALL_ROLES).filter((role) => !(access.write && role === "read_only"));
  const [resource, action] = access.scope.split(":");
  const covering = [
    access.scope,
    `${resource}:*`,
    "admin",
    ...(action === "read" ? [`${resource}:write`] : []),
  ];
  const rolesList = sql.join(
    roles.map((role) => sql`${role}`),
    sql`, `,
  );
  const coveringList = sql.join(
    covering.map((grant) => sql`${grant}`),
    sql`, `,
  );
  const verdict: SQL = sql`case
      when p.role is null then 'unauthenticated'
      ${ENROLMENT_SCOPES.includes(access.scope) ? sql`` : sql`when p.totp_required then 'totp_required'`}
      ${access.sessionOnly ? sql`when p.grants is not null then 'forbidden'` : sql``}
      when p.role not in (${rolesList}) then 'forbidden'
      when p.grants is not null and not exists (select 1 from json_each(p.grants) g where g.value in (${coveringList})) then 'forbidden'
      else null end`;
  return db.run(
    sql`insert into access_guard (denied) select ${verdict} from (select 1) left join (${principal}) p on 1`,
  );
}

/** Reads the verdict out of an error raised by the access_guard trigger; null when it is another error. */
export type GuardVerdict = Exclude<Decision, "ok"> | "not_found" | "conflict";

export function guardVerdict(error: unknown): GuardVerdict | null {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 6; e = e.cause, depth++) {
    const match = /access_guard:(unauthenticated|forbidden|totp_required|not_found|conflict)/.exec(e.message);
    if (match) return match[1] as GuardVerdict;
  }
  return null;
}

/**
 * A batch statement that aborts the batch (through the access_guard trigger) unless `condition` holds, e.g.
 * "this TOTP step is newer than the last one accepted", so a race between two requests has one winner.
 */
export function denyUnless(
  db: Database,
  condition: SQL,
  verdict: "forbidden" | "not_found" | "conflict" = "forbidden",
) {
  return db.run(
    sql`insert into access_guard (denied) select case when ${condition} then null else ${verdict} end`,
  );
}
