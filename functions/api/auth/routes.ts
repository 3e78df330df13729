// Login, session refresh, logout, the caller's profile, password change and reset, invitation acceptance.
import { sql } from "drizzle-orm";
import type { Context } from "hono";
import type { Principal } from "../../../db/access.ts";
import { auditStatement, auditWhereStatement } from "../../../db/audit.ts";
import {
  passwordHashQuery,
  setPasswordStatement,
  spendOneTimeTokenStatement,
  spentTokenUser,
} from "../../../db/credentials.ts";
import { newId } from "../../../db/ids.ts";
import { PASSWORD_RESET_TTL_MS } from "../../../db/one-time-tokens.ts";
import { oneTimeTokens, outbox, sessions, users } from "../../../db/schema/index.ts";
import {
  revokeSessionStatement,
  revokeUserSessionsStatement,
  rotateRefreshStatements,
} from "../../../db/sessions.ts";
import { updateOwnProfile } from "../../../db/user-writes.ts";
import { authorizedRead, authorizedWrite, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import { clearSessionCookies, REFRESH_COOKIE, readCookie, setSessionCookies } from "../../auth/cookies.ts";
import { login } from "../../auth/login.ts";
import { CSRF_HEADER } from "../../auth/middleware.ts";
import { hashPassword, verifyPassword } from "../../auth/passwords.ts";
import { randomToken, sha256Hex } from "../../auth/secrets.ts";
import { ACCESS_TOKEN_TTL_SECONDS, signAccessToken } from "../../auth/tokens.ts";
import type { AppEnv } from "../../env.ts";
import { ApiError } from "../../errors.ts";
import { body, json } from "../../openapi.ts";
import { requestOrigin } from "../../request-origin.ts";
import {
  ChangePasswordBody,
  LoginBody,
  LoginResponse,
  Me,
  Message,
  ProfilePatch,
  ResetRequestBody,
  TokenPasswordBody,
} from "./schemas.ts";

const profile = { scope: "profile:write", write: false } as const;

/** Login and refresh set cookies, so a cross-site page must not be able to trigger them. */
function refuseCrossSite(c: Context<AppEnv>, needsHeader: boolean): void {
  const site = c.req.header("Sec-Fetch-Site");
  if (site !== undefined && site !== "same-origin" && site !== "none") {
    throw new ApiError("forbidden", `Cross-site request refused (Sec-Fetch-Site: ${site}).`);
  }
  if (needsHeader && !c.req.header(CSRF_HEADER)) {
    throw new ApiError(
      "forbidden",
      `This request must carry the ${CSRF_HEADER} header (the web app sends it).`,
    );
  }
}

const loginRoute = defineRoute({
  method: "post",
  path: "/api/v1/auth/login",
  tags: ["Auth"],
  summary: "Log in with email and password (and the 2FA code when enrolled); sets the session cookies",
  access: "public",
  request: body(LoginBody),
  responses: {
    200: json(LoginResponse, "Logged in"),
    429: json(Message, "Too many failed logins; see Retry-After"),
  },
});

const refreshRoute = defineRoute({
  method: "post",
  path: "/api/v1/auth/refresh",
  tags: ["Auth"],
  summary: "Exchange the refresh cookie for a new access token (the refresh token is rotated)",
  access: "public",
  responses: { 200: json(LoginResponse.pick({ accessTokenExpiresAt: true }), "Refreshed") },
});

const logoutRoute = defineRoute({
  method: "post",
  path: "/api/v1/auth/logout",
  tags: ["Auth"],
  summary: "End this session and clear its cookies",
  access: "public",
  responses: { 204: { description: "Logged out" } },
});

const meRoute = defineRoute({
  method: "get",
  path: "/api/v1/auth/me",
  tags: ["Auth"],
  summary: "Who is calling",
  access: { scope: "profile:read" },
  responses: { 200: json(Me, "The caller") },
});

const updateMeRoute = defineRoute({
  method: "patch",
  path: "/api/v1/auth/me",
  tags: ["Auth"],
  summary: "Change your own name, language or time zone",
  description:
    "Any user, read-only ones too. Your daily digest comes at 08:00 in your time zone, reminders and due " +
    "dates show in it, and the sequence steps you own go out at 09:00 in it.",
  access: profile,
  request: body(ProfilePatch),
  responses: { 200: json(Me, "You, as changed") },
});

const changePasswordRoute = defineRoute({
  method: "post",
  path: "/api/v1/auth/password",
  tags: ["Auth"],
  summary: "Change your password; other sessions are ended",
  access: { ...profile, sessionOnly: true },
  request: body(ChangePasswordBody),
  responses: { 204: { description: "Changed" } },
});

const resetRequestRoute = defineRoute({
  method: "post",
  path: "/api/v1/auth/password-reset",
  tags: ["Auth"],
  summary: "Email a single-use password reset link (the same answer whether or not the email is known)",
  access: "public",
  request: body(ResetRequestBody),
  responses: { 202: json(Message, "If the email is known, a link is on its way") },
});

const resetConfirmRoute = defineRoute({
  method: "post",
  path: "/api/v1/auth/password-reset/confirm",
  tags: ["Auth"],
  summary: "Set a new password with the token from the reset link; every session is ended",
  access: "public",
  request: body(TokenPasswordBody),
  responses: { 204: { description: "Password set" } },
});

const acceptInviteRoute = defineRoute({
  method: "post",
  path: "/api/v1/auth/invitations/accept",
  tags: ["Auth"],
  summary: "Set your password with the token from your invitation",
  access: "public",
  request: body(TokenPasswordBody),
  responses: { 204: { description: "Password set; you can log in" } },
});

function meView(principal: Principal) {
  return {
    id: principal.userId,
    email: principal.email,
    name: principal.name,
    role: principal.role,
    locale: principal.locale,
    timeZone: principal.timeZone,
    totpEnabled: principal.totpEnabled,
    teams: principal.teams,
    via: principal.apiKeyId ? ("api_key" as const) : ("session" as const),
  };
}

const LINK_SPENT = "This link has expired or was already used. Ask for a new one.";

export const authRoutes = createRouter()
  .openapi(loginRoute, async (c) => {
    refuseCrossSite(c, false);
    const result = await login(c, c.req.valid("json"));
    setSessionCookies(c, result);
    return c.json(
      { user: result.user, accessTokenExpiresAt: Date.now() + ACCESS_TOKEN_TTL_SECONDS * 1000 },
      200,
    );
  })
  .openapi(refreshRoute, async (c) => {
    refuseCrossSite(c, true);
    const presented = readCookie(c, REFRESH_COOKIE);
    if (!presented) throw new ApiError("unauthorized", "No session to refresh: log in.");
    const db = c.get("db");
    const now = Date.now();
    const oldHash = await sha256Hex(presented);
    const next = randomToken();
    const family = sql`(select ${sessions.id} from ${sessions} where ${sessions.id} = (select session_id from refresh_tokens where token_hash = ${oldHash}) and ${sessions.revokedAt} = ${now} and ${sessions.revokedReason} = 'refresh_token_reused')`;
    const [reused, spent, , session, owner] = await db.batch([
      ...rotateRefreshStatements(db, oldHash, await sha256Hex(next), now),
      auditWhereStatement(
        db,
        {
          action: "auth.refresh_token.reused",
          actorUserId: sql`(select user_id from sessions where id = ${family})`,
          targetType: "user",
        },
        requestOrigin(c),
        sql`exists ${family}`,
        now,
      ),
    ]);
    const user = owner[0];
    if (reused.length > 0) {
      clearSessionCookies(c);
      throw new ApiError(
        "unauthorized",
        "This refresh token was already used, so every session of that login has been ended as a precaution. Log in again.",
      );
    }
    if (spent.length === 0 || !session[0] || !user?.active) {
      clearSessionCookies(c);
      throw new ApiError("unauthorized", "The session has ended. Log in again.");
    }
    const accessToken = await signAccessToken(
      { userId: user.id, sessionId: session[0].sessionId, role: user.role },
      c.get("config").SESSION_SIGNING_KEYS,
      now,
    );
    setSessionCookies(c, { accessToken, refreshToken: next, refreshExpiresAt: spent[0]?.expiresAt ?? now });
    return c.json({ accessTokenExpiresAt: now + ACCESS_TOKEN_TTL_SECONDS * 1000 }, 200);
  })
  .openapi(logoutRoute, async (c) => {
    const credentials = c.get("credentials");
    if (credentials?.kind === "session") {
      const db = c.get("db");
      const now = Date.now();
      await db.batch([
        revokeSessionStatement(db, credentials.sessionId, "logout", now),
        auditStatement(
          db,
          {
            action: "auth.logout",
            actorUserId: credentials.userId,
            targetType: "user",
            targetId: credentials.userId,
          },
          requestOrigin(c),
          now,
        ),
      ]);
    }
    clearSessionCookies(c);
    return c.body(null, 204);
  })
  .openapi(meRoute, async (c) => {
    const { principal } = await authorizedRead(c, () => []);
    return c.json(meView(principal), 200);
  })
  .openapi(updateMeRoute, async (c) => {
    const statements = updateOwnProfile(c.get("db"), c.req.valid("json"), {
      origin: requestOrigin(c),
      now: Date.now(),
    });
    const {
      principal,
      results: [, changed],
    } = await authorizedWrite(c, statements);
    // The principal was read before the update in the same batch: the new values come from its RETURNING.
    return c.json({ ...meView(principal), ...changed[0] }, 200);
  })
  .openapi(changePasswordRoute, async (c) => {
    const credentials = c.get("credentials");
    if (credentials?.kind !== "session")
      throw new ApiError("forbidden", "Only a logged-in user can change a password.");
    const { currentPassword, newPassword } = c.req.valid("json");
    const db = c.get("db");
    const pepper = c.get("config").PASSWORD_PEPPER;
    // Two round trips: the stored hash must be checked before the new one is written.
    const { results } = await authorizedRead(c, () => [passwordHashQuery(db, credentials.userId)] as const);
    const stored = results[0][0]?.passwordHash;
    if (!stored || !(await verifyPassword(currentPassword, stored, pepper)).ok) {
      throw new ApiError("validation_failed", "The current password is not right.", {
        errors: [{ path: "currentPassword", message: "Not right" }],
      });
    }
    const now = Date.now();
    const hash = await hashPassword(newPassword, pepper);
    await authorizedWrite(
      c,
      () =>
        [
          setPasswordStatement(db, credentials.userId, hash, now),
          revokeUserSessionsStatement(db, credentials.userId, "password_changed", now, credentials.sessionId),
          auditStatement(
            db,
            {
              action: "auth.password.changed",
              actorUserId: credentials.userId,
              targetType: "user",
              targetId: credentials.userId,
            },
            requestOrigin(c),
            now,
          ),
        ] as const,
    );
    return c.body(null, 204);
  })
  .openapi(resetRequestRoute, async (c) => {
    const { email } = c.req.valid("json");
    const db = c.get("db");
    const now = Date.now();
    const token = randomToken();
    const link = new URL(`/reset-password?token=${token}`, c.req.url).toString();
    const known = sql`from ${users} where ${users.email} = ${email.toLowerCase()} and ${users.active} = 1 and ${users.passwordHash} is not null`;
    // Conditional inserts: nothing is written for an unknown email, and the answer is the same either way.
    await db.batch([
      db.run(sql`insert into ${oneTimeTokens} (token_hash, kind, user_id, created_at, expires_at)
        select ${await sha256Hex(token)}, 'password_reset', ${users.id}, ${now}, ${now + PASSWORD_RESET_TTL_MS} ${known}`),
      db.run(sql`insert into ${outbox} (id, channel, recipient, subject, body, template, status, created_at)
        select ${newId()}, 'email', ${users.email}, 'Reset your password',
          ${`Someone asked to reset the password of your CRM account. If it was you, open this link within an hour:\n\n${link}\n\nIf it was not you, ignore this email: your password stays as it is.`},
          'password_reset', 'pending', ${now} ${known}`),
    ]);
    return c.json({ message: "If an account uses that email, a reset link is on its way to it." }, 202);
  })
  .openapi(resetConfirmRoute, async (c) => {
    const { token, newPassword } = c.req.valid("json");
    await setPasswordWithToken(c, token, newPassword, "password_reset");
    return c.body(null, 204);
  })
  .openapi(acceptInviteRoute, async (c) => {
    const { token, newPassword } = c.req.valid("json");
    await setPasswordWithToken(c, token, newPassword, "invite");
    return c.body(null, 204);
  });

/** One round trip: spend the token, set the password of its user, end their sessions, and audit. */
async function setPasswordWithToken(
  c: Context<AppEnv>,
  token: string,
  newPassword: string,
  kind: "invite" | "password_reset",
): Promise<void> {
  const db = c.get("db");
  const now = Date.now();
  const tokenHash = await sha256Hex(token);
  const hash = await hashPassword(newPassword, c.get("config").PASSWORD_PEPPER);
  const userId = spentTokenUser(tokenHash, now);
  const [spent] = await db.batch([
    spendOneTimeTokenStatement(db, tokenHash, kind, now),
    db
      .update(users)
      .set({ passwordHash: hash, updatedAt: now })
      .where(sql`${users.id} = ${userId} and ${users.active} = 1`),
    db
      .update(sessions)
      .set({ revokedAt: now, revokedReason: "password_reset" })
      .where(sql`${sessions.userId} = ${userId} and ${sessions.revokedAt} is null`),
    auditWhereStatement(
      db,
      {
        action: kind === "invite" ? "user.invitation.accepted" : "auth.password.reset",
        actorUserId: userId,
        targetType: "user",
      },
      requestOrigin(c),
      sql`${userId} is not null`,
      now,
    ),
  ]);
  if (spent.length === 0) {
    throw new ApiError("validation_failed", LINK_SPENT, { errors: [{ path: "token", message: LINK_SPENT }] });
  }
}
