// The login flow: throttle check, password (and second factor) check, then the session. Unknown emails and
// wrong passwords take the same path, the same time and get the same answer.
import { sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Context } from "hono";
import { denyUnless, guardVerdict } from "../../db/access.ts";
import { auditStatement } from "../../db/audit.ts";
import {
  anyUserQuery,
  bootstrapAdminStatement,
  type LoginUser,
  loginLookupQuery,
  normaliseEmail,
  setPasswordStatement,
} from "../../db/credentials.ts";
import { newId } from "../../db/ids.ts";
import { recoveryCodes, users } from "../../db/schema/index.ts";
import { newSessionStatements, SESSION_TTL_MS } from "../../db/sessions.ts";
import {
  clearFailuresStatement,
  lockStatus,
  readThrottleStatements,
  recordFailureStatements,
  throttleKeys,
} from "../../db/throttle.ts";
import { recordTotpStepStatement, useRecoveryCodeStatement } from "../../db/two-factor.ts";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../errors.ts";
import { requestOrigin } from "../request-origin.ts";
import { burnPasswordCheck, hashPassword, verifyPassword } from "./passwords.ts";
import { constantTimeEqual, randomToken, sha256Hex } from "./secrets.ts";
import { signAccessToken } from "./tokens.ts";
import { hashRecoveryCode, verifyTotp } from "./totp.ts";

export interface LoginInput {
  email: string;
  password: string;
  totpCode?: string | undefined;
  recoveryCode?: string | undefined;
}

export interface LoginResult {
  user: { id: string; email: string; name: string; role: LoginUser["role"] };
  accessToken: string;
  refreshToken: string;
  refreshExpiresAt: number;
}

const WRONG_CREDENTIALS = "The email or the password is not right.";
const encoder = new TextEncoder();

type Failure = "wrong_credentials" | "totp_invalid" | "totp_replayed" | "recovery_code_invalid";

/** Two round trips: the stored hash must be read before anything can be decided and written. */
export async function login(c: Context<AppEnv>, input: LoginInput): Promise<LoginResult> {
  const db = c.get("db");
  const config = c.get("config");
  const origin = requestOrigin(c);
  const now = Date.now();
  const keys = throttleKeys(input.email, origin.ip);
  await firstLayerLimit(c, origin.ip);

  const [found, throttle, anyUser] = await db.batch([
    loginLookupQuery(db, input.email),
    readThrottleStatements(db, keys),
    anyUserQuery(db),
  ]);
  const lock = lockStatus(throttle, now);
  if (lock.locked) {
    const minutes = Math.ceil(lock.retryAfterSeconds / 60);
    throw new ApiError(
      "rate_limited",
      `Too many failed logins. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}, or reset your password.`,
      { headers: { "Retry-After": String(lock.retryAfterSeconds) } },
    );
  }

  const statements: BatchItem<"sqlite">[] = [];
  let user = found[0];
  let passwordOk = false;
  let rehash = false;

  if (!user && anyUser.length === 0 && isBootstrapAdmin(c, input)) {
    // The very first login with the configured admin credentials creates that admin.
    const id = newId();
    const passwordHash = await hashPassword(input.password, config.PASSWORD_PEPPER);
    const email = normaliseEmail(input.email);
    statements.push(
      bootstrapAdminStatement(db, { id, email, name: "Admin", passwordHash }, now),
      // Two first logins at once: only one creates the admin, and the other stops here instead of failing.
      denyUnless(db, sql`exists (select 1 from ${users} where ${users.id} = ${id})`),
    );
    user = {
      id,
      email,
      name: "Admin",
      role: "admin",
      active: true,
      passwordHash,
      totpSecret: null,
      totpEnabledAt: null,
      totpLastStep: null,
    };
    passwordOk = true;
  } else if (user?.active && user.passwordHash) {
    const check = await verifyPassword(input.password, user.passwordHash, config.PASSWORD_PEPPER);
    passwordOk = check.ok;
    rehash = check.needsRehash;
  } else {
    await burnPasswordCheck(input.password, config.PASSWORD_PEPPER);
  }

  let failure: Failure | null = passwordOk ? null : "wrong_credentials";
  if (!failure && user?.totpEnabledAt && user.totpSecret) {
    if (input.totpCode) {
      const totp = verifyTotp(user.totpSecret, input.totpCode, user.totpLastStep, now);
      if (totp.ok) {
        // Accepted once only, even when two requests race with the same code: the guard picks one.
        statements.push(
          denyUnless(
            db,
            sql`exists (select 1 from ${users} where ${users.id} = ${user.id} and (${users.totpLastStep} is null or ${users.totpLastStep} < ${totp.step}))`,
          ),
          recordTotpStepStatement(db, user.id, totp.step),
        );
      } else {
        failure = totp.reason === "replayed" ? "totp_replayed" : "totp_invalid";
      }
    } else if (input.recoveryCode) {
      const codeHash = await hashRecoveryCode(input.recoveryCode);
      statements.push(
        denyUnless(
          db,
          sql`exists (select 1 from ${recoveryCodes} where ${recoveryCodes.userId} = ${user.id} and ${recoveryCodes.codeHash} = ${codeHash} and ${recoveryCodes.usedAt} is null)`,
        ),
        useRecoveryCodeStatement(db, user.id, codeHash, now),
        auditStatement(
          db,
          { action: "auth.recovery_code.used", actorUserId: user.id, targetType: "user", targetId: user.id },
          origin,
          now,
        ),
      );
    } else {
      throw new ApiError("unauthorized", "Enter the code from your authenticator app, or a recovery code.", {
        errors: [{ path: "totpCode", message: "A code from your authenticator app is required" }],
      });
    }
  }

  if (failure || !user) {
    await db.batch([
      ...recordFailureStatements(db, keys, now),
      auditStatement(
        db,
        {
          action: "auth.login.failed",
          actorUserId: user?.id ?? null,
          targetType: "user",
          targetId: user?.id ?? null,
          changes: { email: normaliseEmail(input.email), reason: failure },
        },
        origin,
        now,
      ),
    ] as unknown as [BatchItem<"sqlite">]);
    throw new ApiError("unauthorized", failureMessage(failure ?? "wrong_credentials"));
  }

  const sessionId = newId();
  const refreshToken = randomToken();
  if (rehash)
    statements.push(
      setPasswordStatement(db, user.id, await hashPassword(input.password, config.PASSWORD_PEPPER), now),
    );
  statements.push(
    clearFailuresStatement(db, keys[0]),
    ...newSessionStatements(
      db,
      {
        sessionId,
        userId: user.id,
        refreshHash: await sha256Hex(refreshToken),
        ip: origin.ip,
        userAgent: origin.userAgent,
      },
      now,
    ),
    auditStatement(
      db,
      { action: "auth.login.succeeded", actorUserId: user.id, targetType: "user", targetId: user.id },
      origin,
      now,
    ),
  );
  try {
    await db.batch(statements as unknown as [BatchItem<"sqlite">]);
  } catch (error) {
    if (guardVerdict(error)) {
      if (!found[0])
        throw new ApiError("conflict", "The first admin was just created by another login. Log in again.");
      throw new ApiError(
        "unauthorized",
        failureMessage(input.totpCode ? "totp_replayed" : "recovery_code_invalid"),
      );
    }
    throw error;
  }

  return {
    user: { id: user.id, email: user.email, name: user.name, role: user.role },
    accessToken: await signAccessToken(
      { userId: user.id, sessionId, role: user.role },
      config.SESSION_SIGNING_KEYS,
      now,
    ),
    refreshToken,
    refreshExpiresAt: now + SESSION_TTL_MS,
  };
}

/** The Workers rate limiter, before any database work: cheap, approximate, per location. */
async function firstLayerLimit(c: Context<AppEnv>, ip: string | null): Promise<void> {
  const limiter = c.env.LOGIN_RATE_LIMITER;
  if (!limiter || !ip) return;
  const { success } = await limiter.limit({ key: `login:${ip}` });
  if (!success) {
    throw new ApiError(
      "rate_limited",
      "Too many login attempts from your address. Wait a minute and try again.",
      {
        headers: { "Retry-After": "60" },
      },
    );
  }
}

function failureMessage(failure: Failure): string {
  switch (failure) {
    case "wrong_credentials":
      return WRONG_CREDENTIALS;
    case "totp_invalid":
      return "The code from your authenticator app is not right. Check the time on your phone, or use a recovery code.";
    case "totp_replayed":
      return "That code was already used. Wait for the next one.";
    case "recovery_code_invalid":
      return "That recovery code is not valid or was already used.";
  }
}

function isBootstrapAdmin(c: Context<AppEnv>, input: LoginInput): boolean {
  const { CRM_ADMIN_EMAIL, CRM_ADMIN_PASSWORD } = c.env;
  if (!CRM_ADMIN_EMAIL || !CRM_ADMIN_PASSWORD) return false;
  return (
    normaliseEmail(CRM_ADMIN_EMAIL) === normaliseEmail(input.email) &&
    constantTimeEqual(encoder.encode(CRM_ADMIN_PASSWORD), encoder.encode(input.password))
  );
}
