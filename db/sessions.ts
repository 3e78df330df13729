// Sessions and their refresh tokens. A login starts a session (a family of refresh tokens); each refresh
// spends its token and issues the next; presenting a spent token again revokes the whole family.
import { and, eq, isNotNull, isNull, ne, sql } from "drizzle-orm";
import type { Database } from "./client.ts";
import { refreshTokens, sessions, users } from "./schema/index.ts";

export const SESSION_TTL_MS = 30 * 24 * 60 * 60_000;

export interface NewSession {
  sessionId: string;
  userId: string;
  refreshHash: string;
  ip: string | null;
  userAgent: string | null;
}

export function newSessionStatements(db: Database, session: NewSession, now: number) {
  const expiresAt = now + SESSION_TTL_MS;
  return [
    db.insert(sessions).values({
      id: session.sessionId,
      userId: session.userId,
      createdAt: now,
      lastUsedAt: now,
      expiresAt,
      ip: session.ip,
      userAgent: session.userAgent?.slice(0, 512) ?? null,
    }),
    db.insert(refreshTokens).values({
      tokenHash: session.refreshHash,
      sessionId: session.sessionId,
      createdAt: now,
      expiresAt,
    }),
  ] as const;
}

/**
 * One batch that rotates a refresh token: revoke the family if the token was already spent (reuse), spend it
 * if it is live, issue its successor, and read back who the session belongs to.
 */
export function rotateRefreshStatements(db: Database, oldHash: string, newHash: string, now: number) {
  const familyOf = sql`(select ${refreshTokens.sessionId} from ${refreshTokens} where ${refreshTokens.tokenHash} = ${oldHash})`;
  return [
    db
      .update(sessions)
      .set({ revokedAt: now, revokedReason: "refresh_token_reused" })
      .where(
        and(
          sql`${sessions.id} = (select ${refreshTokens.sessionId} from ${refreshTokens} where ${refreshTokens.tokenHash} = ${oldHash} and ${refreshTokens.spentAt} is not null)`,
          isNull(sessions.revokedAt),
        ),
      )
      .returning({ sessionId: sessions.id, userId: sessions.userId }),
    db
      .update(refreshTokens)
      .set({ spentAt: now })
      .where(
        and(
          eq(refreshTokens.tokenHash, oldHash),
          isNull(refreshTokens.spentAt),
          sql`${refreshTokens.expiresAt} > ${now}`,
          sql`${refreshTokens.sessionId} in (select ${sessions.id} from ${sessions} where ${sessions.revokedAt} is null and ${sessions.expiresAt} > ${now})`,
        ),
      )
      .returning({ sessionId: refreshTokens.sessionId, expiresAt: refreshTokens.expiresAt }),
    db.run(
      sql`insert into ${refreshTokens} (token_hash, session_id, created_at, expires_at)
          select ${newHash}, ${refreshTokens.sessionId}, ${now}, ${refreshTokens.expiresAt} from ${refreshTokens}
          where ${refreshTokens.tokenHash} = ${oldHash} and ${refreshTokens.spentAt} = ${now}`,
    ),
    db
      .update(sessions)
      .set({ lastUsedAt: now })
      .where(and(sql`${sessions.id} = ${familyOf}`, isNull(sessions.revokedAt)))
      .returning({ sessionId: sessions.id, userId: sessions.userId }),
    db
      .select({ id: users.id, role: users.role, active: users.active })
      .from(users)
      .where(
        sql`${users.id} = (select ${sessions.userId} from ${sessions} where ${sessions.id} = ${familyOf})`,
      ),
  ] as const;
}

export function revokeSessionStatement(db: Database, sessionId: string, reason: string, now: number) {
  return db
    .update(sessions)
    .set({ revokedAt: now, revokedReason: reason })
    .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)));
}

/** Ends every session of a user (password changed or reset, deactivation), except the one given. */
export function revokeUserSessionsStatement(
  db: Database,
  userId: string,
  reason: string,
  now: number,
  exceptSessionId?: string,
) {
  return db
    .update(sessions)
    .set({ revokedAt: now, revokedReason: reason })
    .where(
      and(
        eq(sessions.userId, userId),
        isNull(sessions.revokedAt),
        exceptSessionId ? ne(sessions.id, exceptSessionId) : undefined,
      ),
    );
}

/** Sessions whose family was revoked for token reuse, for tests and the audit trail. */
export function reusedFamiliesQuery(db: Database, userId: string) {
  return db
    .select({ id: sessions.id })
    .from(sessions)
    .where(
      and(
        eq(sessions.userId, userId),
        isNotNull(sessions.revokedAt),
        eq(sessions.revokedReason, "refresh_token_reused"),
      ),
    );
}
