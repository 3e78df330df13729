// Logging in with the second factor (codes, replays, races, recovery codes, lockout), and the organisation's
// requirement that everyone enrols. Codes are computed from the secret at a pinned clock.
import { and, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditLog, recoveryCodes, sessions, settings } from "../../../db/schema/index.ts";
import { THROTTLE_POLICY } from "../../../db/throttle.ts";
import { authorizedRead, authorizedWrite, defineRoute } from "../../../functions/access.ts";
import { authRoutes } from "../../../functions/api/auth/routes.ts";
import { twoFactorRoutes } from "../../../functions/api/auth/two-factor-routes.ts";
import { createApp, createRouter } from "../../../functions/app.ts";
import { hashRecoveryCode } from "../../../functions/auth/totp.ts";
import { apiKeyFor, createUser, sessionFor, type TestUser } from "../factories.ts";
import { useTestDatabase } from "../support.ts";
import { poster, usePinnedTotpClock } from "./helpers.ts";

const t = useTestDatabase();
const REQUIRED =
  "Your organisation requires two-factor authentication: enrol at POST /api/v1/auth/totp/enrol";

// Two routes outside the profile, one read and one write, to see what a session that must enrol may reach.
const probeRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "get",
      path: "/test/require-2fa/read",
      access: { scope: "contacts:read" },
      responses: { 204: { description: "Allowed" } },
    }),
    async (c) => {
      await authorizedRead(c, () => []);
      return c.body(null, 204);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/test/require-2fa/write",
      access: { scope: "contacts:write" },
      responses: { 204: { description: "Allowed" } },
    }),
    async (c) => {
      await authorizedWrite(c, () => [c.get("db").run(sql`select 1`)] as const);
      return c.body(null, 204);
    },
  );
const app = createApp().route("/", authRoutes).route("/", twoFactorRoutes).route("/", probeRoutes);

const clock = usePinnedTotpClock();
const { codeAt } = clock;
const post = poster(app, t);
let ipCounter = 0;

/** An address of this file's own, so neither the rate limiter nor the IP counter mixes tests. */
function freshIp(): string {
  ipCounter += 1;
  return `198.18.1.${ipCounter}`;
}

function login(user: TestUser, extra: { totpCode?: string; recoveryCode?: string }, ip = freshIp()) {
  return post(
    "/api/v1/auth/login",
    { "CF-Connecting-IP": ip },
    { email: user.email, password: user.password, ...extra },
  );
}

type Problem = { detail: string; errors?: { path: string; message: string }[] };

async function problem(response: Response): Promise<Problem> {
  return (await response.json()) as Problem;
}

/** A user who enrolled through the routes, with the previous step's code: the current and next are fresh. */
async function enrolled(user?: TestUser) {
  const who = user ?? (await createUser(t.db));
  const { headers } = await sessionFor(t.db, who);
  const enrolment = await post("/api/v1/auth/totp/enrol", headers);
  expect(enrolment.status).toBe(200);
  const { secret } = (await enrolment.json()) as { secret: string };
  const confirm = await post("/api/v1/auth/totp/confirm", headers, { code: codeAt(secret, -1) });
  expect(confirm.status).toBe(200);
  const { recoveryCodes: codes } = (await confirm.json()) as { recoveryCodes: string[] };
  return { user: who, headers, secret, codes };
}

function sessionsOf(userId: string) {
  return t.db.select().from(sessions).where(eq(sessions.userId, userId));
}

describe("logging in with 2FA on", () => {
  it("asks for the code: without one, 401 pointing at totpCode, and no session", async () => {
    const { user } = await enrolled();
    const response = await login(user, {});
    expect(response.status).toBe(401);
    const body = await problem(response);
    expect(body.errors?.[0]?.path).toBe("totpCode");
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(await sessionsOf(user.id)).toHaveLength(1); // the factory's session only
  });

  it("logs in with the current code, and refuses that code replayed within its window", async () => {
    const { user, secret } = await enrolled();
    const first = await login(user, { totpCode: codeAt(secret) });
    expect(first.status).toBe(200);
    expect(first.headers.getSetCookie().some((c) => c.startsWith("crm_access="))).toBe(true);

    // Still the same step, and the code would still be valid for a minute: refused all the same.
    const replay = await login(user, { totpCode: codeAt(secret) });
    expect(replay.status).toBe(401);
    expect((await problem(replay)).detail).toMatch(/already used/);

    // The next step's code is fresh.
    expect((await login(user, { totpCode: codeAt(secret, 1) })).status).toBe(200);
  });

  it("refuses the code that confirmed the enrolment", async () => {
    const { user, secret } = await enrolled();
    expect((await login(user, { totpCode: codeAt(secret, -1) })).status).toBe(401);
  });

  it("lets exactly one of two logins racing with the same code through", async () => {
    const { user, secret } = await enrolled();
    const code = codeAt(secret);
    const responses = await Promise.all([login(user, { totpCode: code }), login(user, { totpCode: code })]);
    expect(responses.map((r) => r.status).sort()).toEqual([200, 401]);
    expect(await sessionsOf(user.id)).toHaveLength(2); // the factory's, and the winner's
  });

  it("accepts a recovery code once; the second time it fails", async () => {
    const { user, codes } = await enrolled();
    const [code = ""] = codes;
    const first = await login(user, { recoveryCode: code.toUpperCase() });
    expect(first.status).toBe(200);
    const [spent] = await t.db
      .select()
      .from(recoveryCodes)
      .where(eq(recoveryCodes.codeHash, await hashRecoveryCode(code)));
    expect(spent?.usedAt).toBe(clock.now);
    const used = await t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, "auth.recovery_code.used"), eq(auditLog.actorUserId, user.id)));
    expect(used).toHaveLength(1);

    const second = await login(user, { recoveryCode: code });
    expect(second.status).toBe(401);
    expect((await problem(second)).detail).toMatch(/recovery code/);
  });

  it(`counts wrong codes toward the lockout: after ${THROTTLE_POLICY.account.maxFailures}, even the right code gets 429`, async () => {
    const { user, secret } = await enrolled();
    for (let i = 0; i < THROTTLE_POLICY.account.maxFailures; i++) {
      const response = await login(user, { totpCode: codeAt(secret, 10 + i) });
      expect(response.status).toBe(401);
    }
    const right = await login(user, { totpCode: codeAt(secret) });
    expect(right.status).toBe(429);
    expect(right.headers.get("Retry-After")).toBe(String(THROTTLE_POLICY.account.lockMs / 1000));
  });
});

describe("when the organisation requires 2FA", () => {
  async function requireTwoFactor(on: boolean) {
    if (on) await t.db.insert(settings).values({ key: "require2fa", value: "true", updatedAt: Date.now() });
    else await t.db.delete(settings).where(eq(settings.key, "require2fa"));
  }

  function probe(headers: Record<string, string>) {
    return Promise.all([
      app.request("/test/require-2fa/read", { headers }, t.env),
      post("/test/require-2fa/write", headers),
    ]);
  }

  /** The bearer token of a real login (the access cookie's value; sent as a bearer it needs no CSRF header). */
  function bearerOf(response: Response): Record<string, string> {
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith("crm_access=")) ?? "";
    return { Authorization: `Bearer ${cookie.slice("crm_access=".length).split(";")[0]}` };
  }

  it("lets a user without 2FA log in, but reach only the profile routes until they enrol", async () => {
    const user = await createUser(t.db, { role: "admin" });
    await requireTwoFactor(true);
    try {
      const response = await login(user, {});
      expect(response.status).toBe(200);
      const headers = bearerOf(response);

      for (const refused of await probe(headers)) {
        expect(refused.status).toBe(403);
        expect((await problem(refused)).detail).toBe(REQUIRED);
      }
      expect((await app.request("/api/v1/auth/me", { headers }, t.env)).status).toBe(200);

      const enrolment = await post("/api/v1/auth/totp/enrol", headers);
      expect(enrolment.status).toBe(200);
      const { secret } = (await enrolment.json()) as { secret: string };
      expect((await post("/api/v1/auth/totp/confirm", headers, { code: codeAt(secret) })).status).toBe(200);

      // The same session, now enrolled, reaches everything its role allows.
      expect((await probe(headers)).map((r) => r.status)).toEqual([204, 204]);
    } finally {
      await requireTwoFactor(false);
    }
  });

  it("does not hold back users with 2FA on, nor anyone while it is not required, nor API keys", async () => {
    const { headers: enrolledHeaders } = await enrolled();
    const plain = await createUser(t.db);
    const { headers: plainHeaders } = await sessionFor(t.db, plain);
    const key = await apiKeyFor(t.db, plain, ["contacts:*"]);

    expect((await probe(plainHeaders)).map((r) => r.status)).toEqual([204, 204]);
    await requireTwoFactor(true);
    try {
      expect((await probe(enrolledHeaders)).map((r) => r.status)).toEqual([204, 204]);
      expect((await probe(plainHeaders)).map((r) => r.status)).toEqual([403, 403]);
      // Keys are for integrations, which have no second factor to give; making a key is not a profile route.
      expect((await probe(key.headers)).map((r) => r.status)).toEqual([204, 204]);
    } finally {
      await requireTwoFactor(false);
    }
  });
});
