// The TOTP second factor and recovery codes in the database: statements for a request's batch, and one-round-
// trip helpers built on them. The codes and checks themselves are in functions/auth/totp.ts.
import { and, eq, isNull, lt, or, type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { auditWhereStatement, type RequestOrigin } from "./audit.ts";
import type { Database } from "./client.ts";
import { loginThrottle, recoveryCodes, settings, users } from "./schema/index.ts";
import { recordFailureStatements, throttleKeys } from "./throttle.ts";

/**
 * Starts (or restarts) an enrolment: the secret is stored but not yet enabled. Refused (false) while TOTP is
 * enabled, so that whoever holds a session cannot swap the secret and so switch the second factor off; to
 * change authenticator, disable first. False too when the user does not exist.
 */
export async function storeTotpSecret(db: Database, userId: string, secret: string): Promise<boolean> {
  const rows = await storeTotpSecretStatement(db, userId, secret);
  return rows.length === 1;
}

/** `storeTotpSecret` for the request's batch: returns the user's id when the secret was stored. */
export function storeTotpSecretStatement(db: Database, userId: string, secret: string) {
  return db
    .update(users)
    .set({ totpSecret: secret, totpEnabledAt: null, totpLastStep: null })
    .where(and(eq(users.id, userId), isNull(users.totpEnabledAt)))
    .returning({ id: users.id });
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

/**
 * The organisation's `require2fa` setting as an SQL boolean. Read as db/settings.ts reads settings: only a
 * stored JSON `true` turns it on; a missing row or a value that is not valid JSON leaves it off (and must
 * not raise, as this runs inside every request's principal query).
 */
export function requireTwoFactorSql() {
  // A new SQL object each time: drizzle's mapWith sets the decoder on the object it is called on.
  return sql<boolean>`coalesce((select case when json_valid(${settings.value}) then json_type(${settings.value}) = 'true' else 0 end from ${settings} where ${settings.key} = 'require2fa'), 0)`.mapWith(
    Boolean,
  );
}

/**
 * The account's failed-login counter, keyed as db/throttle.ts `throttleKeys` keys it (emails are stored
 * normalised), so that wrong codes on the 2FA routes and wrong logins share one lockout.
 */
const accountThrottleKey = sql`'account:' || lower(trim(${users.email}))`;

/**
 * What the 2FA routes must read before they can decide (the secret to check a code against, the password hash,
 * the lockout, the organisation's requirement): the first of their two round trips.
 */
export function twoFactorStateQuery(db: Database, userId: string) {
  return db
    .select({
      email: users.email,
      passwordHash: users.passwordHash,
      totpSecret: users.totpSecret,
      totpEnabledAt: users.totpEnabledAt,
      totpLastStep: users.totpLastStep,
      lockedUntil: loginThrottle.lockedUntil,
      required: requireTwoFactorSql(),
    })
    .from(users)
    .leftJoin(loginThrottle, eq(loginThrottle.key, accountThrottleKey))
    .where(eq(users.id, userId))
    .limit(1);
}

export type TwoFactorState = Awaited<ReturnType<typeof twoFactorStateQuery>>[number];

/**
 * A wrong code or password on a 2FA route counts as a failed login of the account, so a stolen session cannot
 * guess codes any faster than a login could. One round trip.
 */
export async function recordSecondFactorFailure(db: Database, email: string, now: number): Promise<void> {
  const [first, ...rest] = recordFailureStatements(db, [throttleKeys(email, null)[0]], now);
  if (first) await db.batch([first, ...rest] as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
}

/*
 * The batches below are raced safely without aborting: every statement acts only while `when` holds, and the
 * one that decides (an update of the user, returning its id) comes last, so that all the others see the state
 * before it. Of two requests racing with the same code, the second finds `when` false and changes nothing;
 * `decided` tells the caller which of the two it was.
 */

/** True when the last statement of a batch built here changed the user, i.e. this request won. */
export function decided(results: readonly unknown[]): boolean {
  const last = results[results.length - 1];
  return Array.isArray(last) && last.length === 1;
}

/**
 * Completes an enrolment whose code was checked against `secret`: enables TOTP, records the code's step, and
 * replaces the recovery codes, while that secret is still the pending one.
 */
export function confirmTotpStatements(
  db: Database,
  input: { userId: string; secret: string; step: number; recoveryCodeHashes: readonly string[] },
  origin: RequestOrigin,
  now: number,
) {
  const { userId, secret, step } = input;
  const when = sql`exists (select 1 from ${users} where ${users.id} = ${userId} and ${users.totpSecret} = ${secret} and ${users.totpEnabledAt} is null)`;
  return [
    audit(db, "auth.totp.enabled", userId, origin, when, now),
    ...replaceRecoveryCodes(db, userId, input.recoveryCodeHashes, when),
    db
      .update(users)
      .set({ totpEnabledAt: now, totpLastStep: step })
      .where(and(eq(users.id, userId), when))
      .returning({ id: users.id }),
  ] as const;
}

/**
 * Replaces the recovery codes, spending the TOTP code (of `step`, checked against `secret`) that allowed it,
 * while TOTP is on with that secret and the step is newer than the last one accepted.
 */
export function regenerateRecoveryCodesStatements(
  db: Database,
  input: { userId: string; secret: string; step: number; recoveryCodeHashes: readonly string[] },
  origin: RequestOrigin,
  now: number,
) {
  const { userId, step } = input;
  const when = totpOn(userId, { secret: input.secret, step });
  return [
    audit(db, "auth.recovery_codes.regenerated", userId, origin, when, now),
    ...replaceRecoveryCodes(db, userId, input.recoveryCodeHashes, when),
    db
      .update(users)
      .set({ totpLastStep: step })
      .where(and(eq(users.id, userId), when))
      .returning({ id: users.id }),
  ] as const;
}

/**
 * Turns TOTP off and deletes the recovery codes, while it is on; when a code allowed it, only while that code
 * (of `step`, checked against `secret`) is unspent.
 */
export function disableTotpStatements(
  db: Database,
  userId: string,
  code: { secret: string; step: number } | null,
  origin: RequestOrigin,
  now: number,
) {
  const when = totpOn(userId, code);
  return [
    audit(db, "auth.totp.disabled", userId, origin, when, now),
    db.delete(recoveryCodes).where(and(eq(recoveryCodes.userId, userId), when)),
    db
      .update(users)
      .set({ totpSecret: null, totpEnabledAt: null, totpLastStep: null })
      .where(and(eq(users.id, userId), when))
      .returning({ id: users.id }),
  ] as const;
}

function totpOn(userId: string, code: { secret: string; step: number } | null): SQL {
  const fresh = code
    ? sql` and ${users.totpSecret} = ${code.secret} and (${users.totpLastStep} is null or ${users.totpLastStep} < ${code.step})`
    : sql``;
  return sql`exists (select 1 from ${users} where ${users.id} = ${userId} and ${users.totpEnabledAt} is not null${fresh})`;
}

function replaceRecoveryCodes(db: Database, userId: string, hashes: readonly string[], when: SQL) {
  return [
    db.delete(recoveryCodes).where(and(eq(recoveryCodes.userId, userId), when)),
    // One parameter for all the hashes, read back as rows by json_each.
    db.run(sql`insert into ${recoveryCodes} (user_id, code_hash)
      select ${userId}, h.value from json_each(${JSON.stringify(hashes)}) h where ${when}`),
  ] as const;
}

function audit(
  db: Database,
  action: "auth.totp.enabled" | "auth.totp.disabled" | "auth.recovery_codes.regenerated",
  userId: string,
  origin: RequestOrigin,
  when: SQL,
  now: number,
) {
  return auditWhereStatement(
    db,
    { action, actorUserId: userId, targetType: "user", targetId: userId },
    origin,
    when,
    now,
  );
}
