// The caller's own second factor: enrol an authenticator app, confirm it, turn it off, renew the recovery
// codes. Sessions only: an API key must not change how its user logs in.
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { lockStatus, throttleKeys } from "../../../db/throttle.ts";
import {
  confirmTotpStatements,
  decided,
  disableTotpStatements,
  recordSecondFactorFailure,
  regenerateRecoveryCodesStatements,
  storeTotpSecretStatement,
  type TwoFactorState,
  twoFactorStateQuery,
} from "../../../db/two-factor.ts";
import { authorizedRead, authorizedWrite, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import { verifyPassword } from "../../auth/passwords.ts";
import {
  generateRecoveryCodes,
  generateTotpSecret,
  hashRecoveryCode,
  totpEnrolment,
  verifyTotp,
} from "../../auth/totp.ts";
import type { AppEnv } from "../../env.ts";
import { ApiError, problemContent } from "../../errors.ts";
import { body, json } from "../../openapi.ts";
import { requestOrigin } from "../../request-origin.ts";

const Code = z
  .string()
  .trim()
  .min(1)
  .max(16)
  .openapi({ example: "123456", description: "The 6-digit code your authenticator app shows now" });

const CodeBody = z.object({ code: Code }).openapi("TotpCodeRequest");

const DisableBody = z
  .object({ password: z.string().min(1).max(256).optional(), code: Code.optional() })
  .refine((body) => (body.password === undefined) !== (body.code === undefined), {
    message: "Give either your password or a code from your authenticator app",
    path: ["password"],
  })
  .openapi("TotpDisableRequest");

const TotpEnrolment = z
  .object({
    secret: z.string().openapi({ description: "Base32, for typing into the app by hand" }),
    uri: z.string().openapi({ example: "otpauth://totp/Edge%20CRM:ada%40example.com?secret=…" }),
    qrSvg: z.string().openapi({ description: "The URI as an SVG QR code, for the app to scan" }),
  })
  .openapi("TotpEnrolment");

const RecoveryCodes = z
  .object({
    recoveryCodes: z.array(z.string()).openapi({
      description: "Ten single-use codes, shown this once: each logs in instead of a code from the app",
      example: ["7k2m-q9xd-4hfa"],
    }),
  })
  .openapi("RecoveryCodes");

// Read-only users manage their own second factor too; the routes are a session's, never an API key's.
const profile = { scope: "profile:write", write: false, sessionOnly: true } as const;
const SESSIONS_ONLY = "For a logged-in user only: an API key gets 403 whatever its scopes.";
const refusals = {
  409: problemContent("Not possible in the current state of two-factor authentication"),
  429: problemContent("Too many wrong codes or passwords for this account; see Retry-After"),
};

const enrolRoute = defineRoute({
  method: "post",
  path: "/api/v1/auth/totp/enrol",
  tags: ["Auth"],
  summary: "Start enrolling an authenticator app: a new secret, as a URI and a QR code",
  description:
    "Confirm with POST /api/v1/auth/totp/confirm. Enrolling again before that replaces the secret.",
  access: profile,
  responses: { 200: json(TotpEnrolment, "Scan the QR code, then confirm with a code"), 409: refusals[409] },
});

const confirmRoute = defineRoute({
  method: "post",
  path: "/api/v1/auth/totp/confirm",
  tags: ["Auth"],
  summary: "Turn two-factor authentication on with a code from the enrolled app; returns the recovery codes",
  description: SESSIONS_ONLY,
  access: profile,
  request: body(CodeBody),
  responses: { 200: json(RecoveryCodes, "On; the recovery codes are shown this once"), ...refusals },
});

const disableRoute = defineRoute({
  method: "post",
  path: "/api/v1/auth/totp/disable",
  tags: ["Auth"],
  summary: "Turn two-factor authentication off, with your password or a code from the app",
  description: `Refused while the organisation requires two-factor authentication. ${SESSIONS_ONLY}`,
  access: profile,
  request: body(DisableBody),
  responses: { 204: { description: "Off; the recovery codes are deleted" }, ...refusals },
});

const recoveryCodesRoute = defineRoute({
  method: "post",
  path: "/api/v1/auth/totp/recovery-codes",
  tags: ["Auth"],
  summary: "Replace the recovery codes with ten new ones, with a code from the app",
  description: SESSIONS_ONLY,
  access: profile,
  request: body(CodeBody),
  responses: {
    200: json(RecoveryCodes, "The new codes, shown this once; the old ones are void"),
    ...refusals,
  },
});

const NOT_ON = "Two-factor authentication is not on.";
// Secrets and recovery codes must not stay in a browser's or proxy's cache.
const NO_STORE = { "Cache-Control": "no-store" };

export const twoFactorRoutes = createRouter()
  .openapi(enrolRoute, async (c) => {
    const userId = sessionUser(c);
    const db = c.get("db");
    const secret = generateTotpSecret();
    const { principal, results } = await authorizedWrite(
      c,
      () => [storeTotpSecretStatement(db, userId, secret)] as const,
    );
    if (results[0].length === 0) {
      throw new ApiError(
        "conflict",
        "Two-factor authentication is already on: turn it off first (POST /api/v1/auth/totp/disable) to enrol another app.",
      );
    }
    return c.json(totpEnrolment(secret, principal.email), 200, NO_STORE);
  })
  .openapi(confirmRoute, async (c) => {
    const userId = sessionUser(c);
    const now = Date.now();
    // Two round trips: the pending secret must be read before the code can be checked.
    const state = await readState(c, userId, now);
    if (state.totpEnabledAt !== null)
      throw new ApiError("conflict", "Two-factor authentication is already on.");
    const secret = state.totpSecret;
    if (!secret) {
      throw new ApiError(
        "conflict",
        "There is no enrolment to confirm: start with POST /api/v1/auth/totp/enrol.",
      );
    }
    const step = await checkCode(c, state, secret, c.req.valid("json").code, now);
    const { codes, hashes } = await newRecoveryCodes();
    const db = c.get("db");
    const { results } = await authorizedWrite(c, () =>
      confirmTotpStatements(db, { userId, secret, step, recoveryCodeHashes: hashes }, requestOrigin(c), now),
    );
    if (!decided(results)) {
      throw new ApiError(
        "conflict",
        "This enrolment was confirmed or restarted meanwhile. Check the app's state.",
      );
    }
    return c.json({ recoveryCodes: codes }, 200, NO_STORE);
  })
  .openapi(disableRoute, async (c) => {
    const userId = sessionUser(c);
    const { password, code } = c.req.valid("json");
    const now = Date.now();
    // Two round trips: the password hash or the secret must be read before the request can be checked.
    const state = await readState(c, userId, now);
    const secret = state.totpSecret;
    if (state.totpEnabledAt === null || !secret) throw new ApiError("conflict", NOT_ON);
    if (state.required) {
      // For admins too: the requirement is only worth something if nobody is exempt; an admin who wants out
      // lifts it in the settings first, which the audit log records.
      throw new ApiError(
        "conflict",
        "Your organisation requires two-factor authentication, so it cannot be turned off. An admin can lift the requirement in the settings.",
      );
    }
    // The body schema lets exactly one of the two through.
    let spent: { secret: string; step: number } | null = null;
    if (code !== undefined) spent = { secret, step: await checkCode(c, state, secret, code, now) };
    else await checkPassword(c, state, password ?? "", now);
    const db = c.get("db");
    const { results } = await authorizedWrite(c, () =>
      disableTotpStatements(db, userId, spent, requestOrigin(c), now),
    );
    if (!decided(results)) {
      throw new ApiError(
        "conflict",
        "Two-factor authentication changed meanwhile, or that code was just used.",
      );
    }
    return c.body(null, 204);
  })
  .openapi(recoveryCodesRoute, async (c) => {
    const userId = sessionUser(c);
    const now = Date.now();
    // Two round trips: the secret must be read before the code can be checked.
    const state = await readState(c, userId, now);
    const secret = state.totpSecret;
    if (state.totpEnabledAt === null || !secret) throw new ApiError("conflict", NOT_ON);
    const step = await checkCode(c, state, secret, c.req.valid("json").code, now);
    const { codes, hashes } = await newRecoveryCodes();
    const db = c.get("db");
    const { results } = await authorizedWrite(c, () =>
      regenerateRecoveryCodesStatements(
        db,
        { userId, secret, step, recoveryCodeHashes: hashes },
        requestOrigin(c),
        now,
      ),
    );
    if (!decided(results)) throw wrongCode("That code was just used. Wait for the next one.");
    return c.json({ recoveryCodes: codes }, 200, NO_STORE);
  });

function sessionUser(c: Context<AppEnv>): string {
  const credentials = c.get("credentials");
  if (credentials?.kind !== "session") {
    throw new ApiError(
      "forbidden",
      "Only a logged-in user can manage two-factor authentication: an API key cannot change how its user logs in.",
    );
  }
  return credentials.userId;
}

/** The first round trip: access, the user's 2FA state, and the account's lockout, which refuses at once. */
async function readState(c: Context<AppEnv>, userId: string, now: number): Promise<TwoFactorState> {
  const db = c.get("db");
  const { results } = await authorizedRead(c, () => [twoFactorStateQuery(db, userId)] as const);
  const state = results[0][0];
  // The principal was read in the same batch, so the user exists; this only guards the types.
  if (!state) throw new ApiError("unauthorized", "The session has ended. Log in again.");
  const lock = lockStatus([{ key: throttleKeys(state.email, null)[0], lockedUntil: state.lockedUntil }], now);
  if (lock.locked) {
    const minutes = Math.ceil(lock.retryAfterSeconds / 60);
    throw new ApiError(
      "rate_limited",
      `Too many wrong codes or passwords for this account. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`,
      { headers: { "Retry-After": String(lock.retryAfterSeconds) } },
    );
  }
  return state;
}

/** The step of a right code; a wrong or replayed one counts as a failed login of the account. */
async function checkCode(
  c: Context<AppEnv>,
  state: TwoFactorState,
  secret: string,
  code: string,
  now: number,
): Promise<number> {
  const check = verifyTotp(secret, code, state.totpLastStep, now);
  if (check.ok) return check.step;
  await recordSecondFactorFailure(c.get("db"), state.email, now);
  throw wrongCode(
    check.reason === "replayed"
      ? "That code was already used. Wait for the next one."
      : "The code is not right. Check that the time on your phone is set automatically.",
  );
}

async function checkPassword(c: Context<AppEnv>, state: TwoFactorState, password: string, now: number) {
  const pepper = c.get("config").PASSWORD_PEPPER;
  if (state.passwordHash && (await verifyPassword(password, state.passwordHash, pepper)).ok) return;
  await recordSecondFactorFailure(c.get("db"), state.email, now);
  throw new ApiError("validation_failed", "The password is not right.", {
    errors: [{ path: "password", message: "Not right" }],
  });
}

function wrongCode(message: string): ApiError {
  return new ApiError("validation_failed", message, { errors: [{ path: "code", message }] });
}

async function newRecoveryCodes(): Promise<{ codes: string[]; hashes: string[] }> {
  const codes = generateRecoveryCodes();
  return { codes, hashes: await Promise.all(codes.map(hashRecoveryCode)) };
}
