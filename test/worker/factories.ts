// Factories for Worker tests: users, teams, logged-in sessions and API keys, written straight to the test
// file's own database.
import { env as baseEnv } from "cloudflare:workers";
import type { Grant } from "../../db/access.ts";
import type { Database } from "../../db/client.ts";
import { newId } from "../../db/ids.ts";
import { apiKeys, type Role, sessions, teamMembers, teams, users } from "../../db/schema/index.ts";
import { generateApiKey } from "../../functions/auth/api-key-secret.ts";
import { hashPassword } from "../../functions/auth/passwords.ts";
import { parseSigningKeys, signAccessToken } from "../../functions/auth/tokens.ts";

const testEnv = baseEnv as unknown as { PASSWORD_PEPPER: string; SESSION_SIGNING_KEYS: string };
export const PEPPER = testEnv.PASSWORD_PEPPER;
export const SIGNING_KEYS = parseSigningKeys(testEnv.SESSION_SIGNING_KEYS);
export const DAY = 24 * 60 * 60_000;

export interface TestUser {
  id: string;
  email: string;
  name: string;
  role: Role;
  password: string;
}

let counter = 0;

export async function createUser(
  db: Database,
  options: { role?: Role; email?: string; name?: string; password?: string; active?: boolean } = {},
): Promise<TestUser> {
  counter += 1;
  const id = newId();
  const email = options.email ?? `user${counter}-${id.slice(-6)}@example.com`;
  const name = options.name ?? `User ${counter}`;
  const role = options.role ?? "rep";
  const password = options.password ?? `correct horse ${counter} battery`;
  const now = Date.now();
  await db.insert(users).values({
    id,
    email,
    name,
    role,
    active: options.active ?? true,
    passwordHash: await hashPassword(password, PEPPER),
    createdAt: now,
    updatedAt: now,
  });
  return { id, email, name, role, password };
}

export async function createTeam(
  db: Database,
  name: string,
  members: { user: TestUser; lead?: boolean }[] = [],
) {
  const id = newId();
  await db.insert(teams).values({ id, name, createdAt: Date.now() });
  if (members.length > 0) {
    await db
      .insert(teamMembers)
      .values(members.map((m) => ({ teamId: id, userId: m.user.id, isLead: m.lead ?? false })));
  }
  return id;
}

/** A session row and a signed access token for it, as a login would make. */
export async function sessionFor(db: Database, user: TestUser, options: { expiresAt?: number } = {}) {
  const sessionId = newId();
  const now = Date.now();
  await db.insert(sessions).values({
    id: sessionId,
    userId: user.id,
    createdAt: now,
    lastUsedAt: now,
    expiresAt: options.expiresAt ?? now + 30 * DAY,
  });
  const token = await signAccessToken({ userId: user.id, sessionId, role: user.role }, SIGNING_KEYS);
  return { sessionId, token, headers: { Authorization: `Bearer ${token}` } };
}

export async function apiKeyFor(
  db: Database,
  user: TestUser,
  grants: Grant[],
  options: { expiresAt?: number; revokedAt?: number } = {},
) {
  const { key, prefix, hash } = await generateApiKey();
  const id = newId();
  await db.insert(apiKeys).values({
    id,
    name: `key ${prefix}`,
    prefix,
    keyHash: hash,
    scopes: JSON.stringify(grants),
    userId: user.id,
    createdAt: Date.now(),
    expiresAt: options.expiresAt ?? null,
    revokedAt: options.revokedAt ?? null,
  });
  return { id, key, prefix, headers: { Authorization: `Bearer ${key}` } };
}
