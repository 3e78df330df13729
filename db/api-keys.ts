// API keys as data: who may grant what, the caller as SQL (an API key's user is only known inside the
// database), and the statements behind listing, creating, revoking and touching keys.

import { and, desc, eq, isNull, lt, or, type SQL, sql } from "drizzle-orm";
import { ALL_ROLES, denyUnless, type Grant, SCOPES, type Scope } from "./access.ts";
import { type CallerRef, callerIsAdmin, callerUserId } from "./caller.ts";
import type { Database } from "./client.ts";
import { rowsForPage } from "./paging.ts";
import { apiKeys, type Role, users } from "./schema/index.ts";

/** The caller as statements see it; the same shape as PrincipalRef in functions/access.ts. */
const RESOURCES = [...new Set(SCOPES.map((scope) => scope.split(":")[0] ?? ""))];

/** Everything a key may be granted, for validation: each scope, each `resource:*`, and `admin`. */
export const GRANTS = [...SCOPES, ...RESOURCES.map((resource) => `${resource}:*` as const), "admin"] as [
  Grant,
  ...Grant[],
];

/** Scopes only admins use, so only admins may put them on a key (managing others' keys is admin-only too). */
const ADMIN_ONLY_SCOPES: readonly Scope[] = [
  "users:write",
  "teams:write",
  "settings:write",
  "audit:read",
  "outbox:read",
];

/** The scopes a grant stands for today. */
function scopesOf(grant: Grant): Scope[] {
  if (grant === "admin") return [...SCOPES];
  if (grant.endsWith(":*")) return SCOPES.filter((scope) => scope.startsWith(grant.slice(0, -1)));
  return [grant as Scope];
}

/** The roles whose users may put these grants on a key: no key may do what its owner's role could not. */
export function rolesAllowedToGrant(grants: readonly Grant[]): readonly Role[] {
  const scopes = grants.flatMap(scopesOf);
  if (grants.includes("admin") || scopes.some((scope) => ADMIN_ONLY_SCOPES.includes(scope))) return ["admin"];
  if (scopes.some((scope) => !scope.endsWith(":read")))
    return ALL_ROLES.filter((role) => role !== "read_only");
  return ALL_ROLES;
}

/** The grants that would cover a scope, mirroring grantsCover in db/access.ts. */
function coveringGrants(scope: Scope): string[] {
  const [resource, action] = scope.split(":");
  return [scope, `${resource}:*`, "admin", ...(action === "read" ? [`${resource}:write`] : [])];
}

/**
 * Aborts the batch (403) unless the caller's role may grant these, and, when the caller is itself an API key,
 * unless that key already covers every scope it hands on: a key must not mint a stronger key.
 */
export function grantGuardStatement(db: Database, me: CallerRef, grants: readonly Grant[]) {
  const roles = sql.join(
    rolesAllowedToGrant(grants).map((role) => sql`${role}`),
    sql`, `,
  );
  const roleAllowed = sql`coalesce((select ${users.role} from ${users} where ${users.id} = ${callerUserId(me)}) in (${roles}), 0)`;
  if (me.kind === "user") return denyUnless(db, roleAllowed);
  // One JSON parameter: for each scope handed on, the grants of which the calling key must hold one.
  const needed = [...new Set(grants.flatMap(scopesOf))].map(coveringGrants);
  if (grants.includes("admin")) needed.push(["admin"]);
  const keyCovers = sql`not exists (select 1 from json_each(${JSON.stringify(needed)}) need where not exists (
    select 1 from json_each(need.value) c
    join json_each((select ${apiKeys.scopes} from ${apiKeys} where ${apiKeys.keyHash} = ${me.keyHash})) g
    on g.value = c.value))`;
  return denyUnless(db, sql`${roleAllowed} and ${keyCovers}`);
}

/** Aborts the batch (404) unless the key exists and the caller may manage it: their own, or any for an admin. */
export function manageableKeyGuardStatement(db: Database, me: CallerRef, id: string) {
  return denyUnless(
    db,
    sql`exists (select 1 from ${apiKeys} where ${apiKeys.id} = ${id}
      and (${apiKeys.userId} = ${callerUserId(me)} or ${callerIsAdmin(me)}))`,
    "not_found",
  );
}

const viewFields = {
  id: apiKeys.id,
  name: apiKeys.name,
  prefix: apiKeys.prefix,
  scopes: apiKeys.scopes,
  createdAt: apiKeys.createdAt,
  expiresAt: apiKeys.expiresAt,
  lastUsedAt: apiKeys.lastUsedAt,
  revokedAt: apiKeys.revokedAt,
  ownerId: users.id,
  ownerName: users.name,
  ownerEmail: users.email,
};

export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  scopes: Grant[];
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
  revokedAt: number | null;
  owner: { id: string; name: string; email: string };
}

type ViewRow = Awaited<ReturnType<typeof apiKeyViewQuery>>[number];

/** What anyone may see of a key: never the secret, never its hash. */
export function toApiKeyView(row: ViewRow): ApiKeyView {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: JSON.parse(row.scopes) as Grant[],
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    lastUsedAt: row.lastUsedAt,
    revokedAt: row.revokedAt,
    owner: { id: row.ownerId, name: row.ownerName, email: row.ownerEmail },
  };
}

export interface ApiKeyFilter {
  userId?: string | undefined;
  /** Keys older than this id (ids are time-ordered): the cursor. */
  before?: string | undefined;
  limit: number;
}

/** The caller's own keys, or every key for an admin; newest first, keyset-paged by id, limit + 1 rows. */
export function listApiKeysQuery(db: Database, me: CallerRef, filter: ApiKeyFilter) {
  return db
    .select(viewFields)
    .from(apiKeys)
    .innerJoin(users, eq(users.id, apiKeys.userId))
    .where(
      and(
        or(eq(apiKeys.userId, callerUserId(me)), callerIsAdmin(me)),
        filter.userId ? eq(apiKeys.userId, filter.userId) : undefined,
        filter.before ? lt(apiKeys.id, filter.before) : undefined,
      ),
    )
    .orderBy(desc(apiKeys.id))
    .limit(rowsForPage(filter.limit));
}

/** One key as the list shows it; put after a write in the same batch to answer with the row as written. */
export function apiKeyViewQuery(db: Database, id: string) {
  return db
    .select(viewFields)
    .from(apiKeys)
    .innerJoin(users, eq(users.id, apiKeys.userId))
    .where(eq(apiKeys.id, id));
}

export interface NewApiKeyRow {
  id: string;
  name: string;
  prefix: string;
  keyHash: string;
  grants: readonly Grant[];
  expiresAt: number | null;
}

/** Inserts a key owned by the caller; run it after grantGuardStatement in the same batch. */
export function insertApiKeyStatement(db: Database, me: CallerRef, key: NewApiKeyRow, now: number) {
  return db.insert(apiKeys).values({
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    keyHash: key.keyHash,
    scopes: JSON.stringify(key.grants),
    userId: callerUserId(me),
    createdAt: now,
    expiresAt: key.expiresAt,
  });
}

/** Revokes a key; a key already revoked keeps its first revocation time, so revoking is idempotent. */
export function revokeApiKeyStatement(db: Database, id: string, now: number) {
  return db
    .update(apiKeys)
    .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, ${now})` })
    .where(eq(apiKeys.id, id));
}

/** True (in SQL) when the key was revoked by this request, i.e. at `now`: the condition for auditing it. */
export function revokedAtNow(id: string, now: number): SQL {
  return sql`exists (select 1 from ${apiKeys} where ${apiKeys.id} = ${id} and ${apiKeys.revokedAt} = ${now})`;
}

/** How stale lastUsedAt may get: writing it on every request would turn each read into a write. */
export const LAST_USED_GRANULARITY_MS = 60_000;

/** Records that a key is in use, at most once a minute; meant for the request's principal batch. */
export function touchApiKeyStatement(db: Database, keyHash: string, now: number) {
  return db
    .update(apiKeys)
    .set({ lastUsedAt: now })
    .where(
      and(
        eq(apiKeys.keyHash, keyHash),
        isNull(apiKeys.revokedAt),
        or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, now - LAST_USED_GRANULARITY_MS)),
      ),
    );
}
