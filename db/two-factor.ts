// The TOTP second factor and recovery codes in the database; each operation is one round trip. The codes
// and checks themselves are in functions/auth/totp.ts.
import { and, eq, isNull, lt, or, sql } from "drizzle-orm";
import type { Database } from "./client.ts";
import { recoveryCodes, users } from "./schema/index.ts";

/**
 * Starts (or restarts) an enrolment: the secret is stored but not yet enabled. Refused (false) while TOTP is
 * enabled, so that whoever holds a session cannot swap the secret and so switch the second factor off; to
 * change authenticator, disable first. False too when the user does not exist.
 */
export async function storeTotpSecret(db: Database, userId: string, secret: string): Promise<boolean> {
  const rows = await db
    .update(users)
    .set({ totpSecret: secret, totpEnabledAt: null, totpLastStep: null })
    .where(and(eq(users.id, userId), isNull(users.totpEnabledAt)))
    .returning({ id: users.id });
  return rows.length === 1;
}

/**
 * Completes the enrolment once a code from the pending secret was verified: enables TOTP, records that code's
 * step so it cannot be used again to log in, and replaces the recovery codes. False when there was no pending
 * secret (the codes are replaced all the same; the caller should not show them).
 */
export async function enableTotp(
  db: Database,
  userId: string,
  step: number,
  recoveryCodeHashes: string[],
  now: number,
): Promise<boolean> {
  const enable = db
    .update(users)
    .set({ totpEnabledAt: now, totpLastStep: step })
    .where(and(eq(users.id, userId), sql`${users.totpSecret} is not null`))
    .returning({ id: users.id });
  const clear = db.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
  const [enabled] =
    recoveryCodeHashes.length > 0
      ? await db.batch([
          enable,
          clear,
          db.insert(recoveryCodes).values(recoveryCodeHashes.map((codeHash) => ({ userId, codeHash }))),
        ])
      : await db.batch([enable, clear]);
  return enabled.length === 1;
}

/**
 * Records a verified code's step, unless that step or a later one was already used: the one guard that makes
 * a code single-use, even when two requests carry it at the same moment. Batchable with other writes of the
 * login (the session, the audit entry).
 */
export function recordTotpStepStatement(db: Database, userId: string, step: number) {
  return db
    .update(users)
    .set({ totpLastStep: step })
    .where(and(eq(users.id, userId), or(isNull(users.totpLastStep), lt(users.totpLastStep, step))))
    .returning({ id: users.id });
}

/** True when the step was recorded, i.e. this request won the code; false means a replay. */
export async function recordTotpStep(db: Database, userId: string, step: number): Promise<boolean> {
  const rows = await recordTotpStepStatement(db, userId, step);
  return rows.length === 1;
}

/** Spends an unused recovery code; batchable like `recordTotpStepStatement`. */
export function useRecoveryCodeStatement(db: Database, userId: string, codeHash: string, now: number) {
  return db
    .update(recoveryCodes)
    .set({ usedAt: now })
    .where(
      and(
        eq(recoveryCodes.userId, userId),
        eq(recoveryCodes.codeHash, codeHash),
        isNull(recoveryCodes.usedAt),
      ),
    )
    .returning({ codeHash: recoveryCodes.codeHash });
}

/** True when the code was the user's and unused; it is spent now. */
export async function useRecoveryCode(
  db: Database,
  userId: string,
  codeHash: string,
  now: number,
): Promise<boolean> {
  const rows = await useRecoveryCodeStatement(db, userId, codeHash, now);
  return rows.length === 1;
}

export async function disableTotp(db: Database, userId: string): Promise<void> {
  await db.batch([
    db
      .update(users)
      .set({ totpSecret: null, totpEnabledAt: null, totpLastStep: null })
      .where(eq(users.id, userId)),
    db.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId)),
  ]);
}

export function countUnusedRecoveryCodes(db: Database, userId: string): Promise<number> {
  return db.$count(recoveryCodes, and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt)));
}
