// What login and password changes read and write: the user by email with their secrets, the first admin's
// creation, and password updates.
import { and, eq, gt, isNull, sql } from "drizzle-orm";
import type { Database } from "./client.ts";
import { oneTimeTokens, users } from "./schema/index.ts";

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function loginLookupQuery(db: Database, email: string) {
  return db
    .select({
      id: users.id,
      email: users.email,
      name: users.name,
      role: users.role,
      active: users.active,
      passwordHash: users.passwordHash,
      totpSecret: users.totpSecret,
      totpEnabledAt: users.totpEnabledAt,
      totpLastStep: users.totpLastStep,
    })
    .from(users)
    .where(eq(users.email, normaliseEmail(email)))
    .limit(1);
}

export type LoginUser = Awaited<ReturnType<typeof loginLookupQuery>>[number];

export function anyUserQuery(db: Database) {
  return db.select({ id: users.id }).from(users).limit(1);
}

/** Creates the first admin, only while there are no users at all (so it can never run twice). */
export function bootstrapAdminStatement(
  db: Database,
  admin: { id: string; email: string; name: string; passwordHash: string },
  now: number,
) {
  return db.run(sql`insert into ${users} (id, email, name, role, active, password_hash, locale, time_zone, created_at, updated_at)
    select ${admin.id}, ${normaliseEmail(admin.email)}, ${admin.name}, 'admin', 1, ${admin.passwordHash}, 'en', 'UTC', ${now}, ${now}
    where not exists (select 1 from ${users})`);
}

export function setPasswordStatement(db: Database, userId: string, passwordHash: string, now: number) {
  return db.update(users).set({ passwordHash, updatedAt: now }).where(eq(users.id, userId));
}

export function passwordHashQuery(db: Database, userId: string) {
  return db.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, userId));
}

/**
 * Spends a live one-time token of the given kind and returns its user; nothing when it is unknown, used or
 * expired. Statements that follow in the same batch find the user with `spentTokenUser`.
 */
export function spendOneTimeTokenStatement(
  db: Database,
  tokenHash: string,
  kind: "invite" | "password_reset",
  now: number,
) {
  return db
    .update(oneTimeTokens)
    .set({ usedAt: now })
    .where(
      and(
        eq(oneTimeTokens.tokenHash, tokenHash),
        eq(oneTimeTokens.kind, kind),
        isNull(oneTimeTokens.usedAt),
        gt(oneTimeTokens.expiresAt, now),
      ),
    )
    .returning({ userId: oneTimeTokens.userId });
}

/** The user of a token spent at `now` in this same batch, as a SQL subquery. */
export function spentTokenUser(tokenHash: string, now: number) {
  return sql`(select ${oneTimeTokens.userId} from ${oneTimeTokens} where ${oneTimeTokens.tokenHash} = ${tokenHash} and ${oneTimeTokens.usedAt} = ${now})`;
}
