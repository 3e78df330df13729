// The 2FA routes: enrol, confirm, disable, renew recovery codes; codes are computed from the secret at a pinned
// clock, so no test straddles a 30-second step.
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditLog, loginThrottle, recoveryCodes, settings, users } from "../../../db/schema/index.ts";
import { THROTTLE_POLICY } from "../../../db/throttle.ts";
import { twoFactorStateQuery } from "../../../db/two-factor.ts";
import { authRoutes } from "../../../functions/api/auth/routes.ts";
import { twoFactorRoutes } from "../../../functions/api/auth/two-factor-routes.ts";
import { createApp } from "../../../functions/app.ts";
import { hashRecoveryCode } from "../../../functions/auth/totp.ts";
import { apiKeyFor, createUser, sessionFor, type TestUser } from "../factories.ts";
import { useTestDatabase } from "../support.ts";
import { poster, TOTP_PERIOD, usePinnedTotpClock } from "./helpers.ts";

const t = useTestDatabase();
const app = createApp().route("/", authRoutes).route("/", twoFactorRoutes);
const clock = usePinnedTotpClock();
const { codeAt } = clock;
const post = poster(app, t);
let ipCounter = 0;

async function json<T>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

type Problem = { detail: string; errors?: { path: string; message: string }[] };

async function enrol(headers: Record<string, string>): Promise<string> {
  const response = await post("/api/v1/auth/totp/enrol", headers);
  expect(response.status).toBe(200);
  return (await json<{ secret: string }>(response)).secret;
}

/** A user with 2FA on, enrolled with the previous step's code so that the current and next codes are fresh. */
async function enrolled(options: Parameters<typeof createUser>[1] = {}) {
  const user = await createUser(t.db, options);
  const { headers } = await sessionFor(t.db, user);
  const secret = await enrol(headers);
  const response = await post("/api/v1/auth/totp/confirm", headers, { code: codeAt(secret, -1) });
  expect(response.status).toBe(200);
  const { recoveryCodes: codes } = await json<{ recoveryCodes: string[] }>(response);
  return { user, headers, secret, codes };
}

async function userRow(id: string) {
  const [row] = await t.db.select().from(users).where(eq(users.id, id));
  if (!row) throw new Error(`no user ${id}`);
  return row;
}

function storedCodes(userId: string) {
  return t.db.select().from(recoveryCodes).where(eq(recoveryCodes.userId, userId));
}

function auditOf(action: string, userId: string) {
  return t.db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.action, action), eq(auditLog.actorUserId, userId)));
}

async function failuresOf(user: TestUser): Promise<number> {
  const [row] = await t.db
    .select()
    .from(loginThrottle)
    .where(eq(loginThrottle.key, `account:${user.email}`));
  return row?.failures ?? 0;
}

async function requireTwoFactor(on: boolean) {
  if (on) await t.db.insert(settings).values({ key: "require2fa", value: "true", updatedAt: Date.now() });
  else await t.db.delete(settings).where(eq(settings.key, "require2fa"));
}

describe("POST /api/v1/auth/totp/enrol", () => {
  it("stores a pending secret and returns it as text, URI and QR code, uncached, in one round trip", async () => {
    const user = await createUser(t.db, { email: "enrol@example.com" });
    const { headers } = await sessionFor(t.db, user);
    let response: Response | undefined;
    expect(await t.roundTrips(async () => (response = await post("/api/v1/auth/totp/enrol", headers)))).toBe(
      1,
    );
    expect(response?.status).toBe(200);
    expect(response?.headers.get("Cache-Control")).toBe("no-store");
    const body = await json<{ secret: string; uri: string; qrSvg: string }>(response as Response);
    expect(body.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(body.uri).toMatch(/^otpauth:\/\/totp\/Edge%20CRM:enrol%40example\.com\?/);
    expect(body.uri).toContain(`secret=${body.secret}`);
    expect(body.qrSvg).toMatch(/^<svg /);
    expect(await userRow(user.id)).toMatchObject({ totpSecret: body.secret, totpEnabledAt: null });

    // Enrolling again before confirming replaces the pending secret.
    const again = await enrol(headers);
    expect(again).not.toBe(body.secret);
    expect((await userRow(user.id)).totpSecret).toBe(again);
  });

  it("refuses while 2FA is on: turn it off first", async () => {
    const { user, headers, secret } = await enrolled();
    const response = await post("/api/v1/auth/totp/enrol", headers);
    expect(response.status).toBe(409);
    expect((await json<Problem>(response)).detail).toMatch(/turn it off first/);
    expect((await userRow(user.id)).totpSecret).toBe(secret);
  });

  it("is for sessions only: an API key gets 403 whatever its grants, no credentials 401", async () => {
    const user = await createUser(t.db, { role: "admin" });
    for (const grants of [["profile:write"], ["admin"]] as const) {
      const { headers } = await apiKeyFor(t.db, user, [...grants]);
      const response = await post("/api/v1/auth/totp/enrol", headers);
      expect(response.status, grants.join()).toBe(403);
      expect((await json<Problem>(response)).detail).toMatch(/API key/);
    }
    expect((await post("/api/v1/auth/totp/enrol", {})).status).toBe(401);
    expect((await userRow(user.id)).totpSecret).toBeNull();
  });
});

describe("POST /api/v1/auth/totp/confirm", () => {
  it("turns 2FA on with a code of the pending secret, records its step, audits, in two round trips", async () => {
    const user = await createUser(t.db);
    const { headers } = await sessionFor(t.db, user);
    const secret = await enrol(headers);
    let response: Response | undefined;
    const trips = await t.roundTrips(async () => {
      response = await post("/api/v1/auth/totp/confirm", headers, { code: codeAt(secret) });
    });
    expect(trips).toBe(2);
    expect(response?.status).toBe(200);
    expect(response?.headers.get("Cache-Control")).toBe("no-store");
    const { recoveryCodes: codes } = await json<{ recoveryCodes: string[] }>(response as Response);
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    expect(await userRow(user.id)).toMatchObject({
      totpSecret: secret,
      totpEnabledAt: clock.now,
      totpLastStep: Math.floor(clock.now / TOTP_PERIOD),
    });
    expect(await auditOf("auth.totp.enabled", user.id)).toHaveLength(1);
    const me = await app.request("/api/v1/auth/me", { headers }, t.env);
    expect(await json<{ totpEnabled: boolean }>(me)).toMatchObject({ totpEnabled: true });
  });

  it("stores the recovery codes only as hashes", async () => {
    const { user, codes } = await enrolled();
    const stored = await storedCodes(user.id);
    expect(stored).toHaveLength(10);
    const hashes = stored.map((row) => row.codeHash).sort();
    expect(hashes).toEqual((await Promise.all(codes.map(hashRecoveryCode))).sort());
    const everything = JSON.stringify(await t.db.select().from(recoveryCodes));
    for (const code of codes) {
      expect(everything).not.toContain(code);
      expect(everything).not.toContain(code.replaceAll("-", ""));
    }
  });

  it("refuses a wrong code with 422 on `code`, leaves 2FA off, and counts a failed login", async () => {
    const user = await createUser(t.db);
    const { headers } = await sessionFor(t.db, user);
    const secret = await enrol(headers);
    const wrong = codeAt(secret, 3);
    const response = await post("/api/v1/auth/totp/confirm", headers, { code: wrong });
    expect(response.status).toBe(422);
    expect((await json<Problem>(response)).errors?.[0]?.path).toBe("code");
    expect((await userRow(user.id)).totpEnabledAt).toBeNull();
    expect(await failuresOf(user)).toBe(1);
    expect(await storedCodes(user.id)).toEqual([]);
  });

  it("refuses without an enrolment, and once 2FA is on", async () => {
    const user = await createUser(t.db);
    const { headers } = await sessionFor(t.db, user);
    const none = await post("/api/v1/auth/totp/confirm", headers, { code: "123456" });
    expect(none.status).toBe(409);
    expect((await json<Problem>(none)).detail).toMatch(/enrol/);

    const on = await enrolled();
    const again = await post("/api/v1/auth/totp/confirm", on.headers, { code: codeAt(on.secret) });
    expect(again.status).toBe(409);
  });

  it("lets exactly one of two concurrent confirmations with the same code through", async () => {
    const user = await createUser(t.db);
    const { headers } = await sessionFor(t.db, user);
    const secret = await enrol(headers);
    const code = codeAt(secret);
    const responses = await Promise.all([
      post("/api/v1/auth/totp/confirm", headers, { code }),
      post("/api/v1/auth/totp/confirm", headers, { code }),
    ]);
    expect(responses.map((r) => r.status).sort()).toEqual([200, 409]);
    const winner = responses.find((r) => r.status === 200) as Response;
    const { recoveryCodes: codes } = await json<{ recoveryCodes: string[] }>(winner);
    // The codes stored are the winner's, and only they: the loser changed nothing.
    const stored = (await storedCodes(user.id)).map((row) => row.codeHash).sort();
    expect(stored).toEqual((await Promise.all(codes.map(hashRecoveryCode))).sort());
    expect(await auditOf("auth.totp.enabled", user.id)).toHaveLength(1);
  });
});

describe("POST /api/v1/auth/totp/recovery-codes", () => {
  it("replaces the codes with ten new ones for a fresh code, voids the old ones, and audits", async () => {
    const { user, headers, secret, codes: old } = await enrolled();
    const response = await post("/api/v1/auth/totp/recovery-codes", headers, { code: codeAt(secret) });
    expect(response.status).toBe(200);
    const { recoveryCodes: renewed } = await json<{ recoveryCodes: string[] }>(response);
    expect(renewed).toHaveLength(10);
    const stored = (await storedCodes(user.id)).map((row) => row.codeHash).sort();
    expect(stored).toEqual((await Promise.all(renewed.map(hashRecoveryCode))).sort());
    for (const hash of await Promise.all(old.map(hashRecoveryCode))) expect(stored).not.toContain(hash);
    expect(await auditOf("auth.recovery_codes.regenerated", user.id)).toHaveLength(1);
    expect((await userRow(user.id)).totpLastStep).toBe(Math.floor(clock.now / TOTP_PERIOD));

    // The code is spent: the same one again is refused, and changes nothing.
    const replay = await post("/api/v1/auth/totp/recovery-codes", headers, { code: codeAt(secret) });
    expect(replay.status).toBe(422);
    expect((await json<Problem>(replay)).detail).toMatch(/already used/);
    expect((await storedCodes(user.id)).map((row) => row.codeHash).sort()).toEqual(stored);
  });

  it("lets exactly one of two concurrent renewals with the same code through", async () => {
    const { user, headers, secret } = await enrolled();
    const code = codeAt(secret);
    const responses = await Promise.all([
      post("/api/v1/auth/totp/recovery-codes", headers, { code }),
      post("/api/v1/auth/totp/recovery-codes", headers, { code }),
    ]);
    expect(responses.map((r) => r.status).sort()).toEqual([200, 422]);
    const winner = responses.find((r) => r.status === 200) as Response;
    const { recoveryCodes: codes } = await json<{ recoveryCodes: string[] }>(winner);
    const stored = (await storedCodes(user.id)).map((row) => row.codeHash).sort();
    expect(stored).toEqual((await Promise.all(codes.map(hashRecoveryCode))).sort());
    expect(await auditOf("auth.recovery_codes.regenerated", user.id)).toHaveLength(1);
  });

  it("refuses a wrong code and counts it; refuses when 2FA is off", async () => {
    const { user, headers, secret } = await enrolled();
    const wrong = await post("/api/v1/auth/totp/recovery-codes", headers, { code: codeAt(secret, 5) });
    expect(wrong.status).toBe(422);
    expect(await failuresOf(user)).toBe(1);

    const off = await createUser(t.db);
    const session = await sessionFor(t.db, off);
    expect((await post("/api/v1/auth/totp/recovery-codes", session.headers, { code: "123456" })).status).toBe(
      409,
    );
  });
});

describe("POST /api/v1/auth/totp/disable", () => {
  it("needs the password or a code, one of them", async () => {
    const { user, headers, secret } = await enrolled();
    for (const body of [{}, { password: user.password, code: codeAt(secret) }]) {
      const response = await post("/api/v1/auth/totp/disable", headers, body);
      expect(response.status, JSON.stringify(body)).toBe(422);
    }
    expect((await userRow(user.id)).totpEnabledAt).not.toBeNull();
    expect(await failuresOf(user)).toBe(0);
  });

  it("refuses a wrong password and counts it; with the right one turns 2FA off and deletes the codes", async () => {
    const { user, headers } = await enrolled();
    const wrong = await post("/api/v1/auth/totp/disable", headers, { password: "not my password" });
    expect(wrong.status).toBe(422);
    expect((await json<Problem>(wrong)).errors?.[0]?.path).toBe("password");
    expect(await failuresOf(user)).toBe(1);
    expect((await userRow(user.id)).totpEnabledAt).not.toBeNull();

    let response: Response | undefined;
    const trips = await t.roundTrips(async () => {
      response = await post("/api/v1/auth/totp/disable", headers, { password: user.password });
    });
    expect(response?.status).toBe(204);
    expect(trips).toBe(2);
    expect(await userRow(user.id)).toMatchObject({
      totpSecret: null,
      totpEnabledAt: null,
      totpLastStep: null,
    });
    expect(await storedCodes(user.id)).toEqual([]);
    expect(await auditOf("auth.totp.disabled", user.id)).toHaveLength(1);

    const again = await post("/api/v1/auth/totp/disable", headers, { password: user.password });
    expect(again.status).toBe(409);
  });

  it("turns 2FA off with a fresh code, but not with the code already used", async () => {
    const { user, headers, secret } = await enrolled();
    const used = await post("/api/v1/auth/totp/disable", headers, { code: codeAt(secret, -1) });
    expect(used.status).toBe(422);
    const fresh = await post("/api/v1/auth/totp/disable", headers, { code: codeAt(secret) });
    expect(fresh.status).toBe(204);
    expect((await userRow(user.id)).totpEnabledAt).toBeNull();
  });

  it("is refused while the organisation requires 2FA, for admins too", async () => {
    const { user, headers } = await enrolled({ role: "admin" });
    await requireTwoFactor(true);
    try {
      const response = await post("/api/v1/auth/totp/disable", headers, { password: user.password });
      expect(response.status).toBe(409);
      expect((await json<Problem>(response)).detail).toMatch(/organisation requires two-factor/);
      expect((await userRow(user.id)).totpEnabledAt).not.toBeNull();
    } finally {
      await requireTwoFactor(false);
    }
  });
});

describe("the organisation's requirement", () => {
  it("is on only for a stored JSON true; anything else, even text that is not JSON, leaves it off", async () => {
    const user = await createUser(t.db);
    const cases: [string | null, boolean][] = [
      [null, false],
      ["true", true],
      [" true ", true],
      ["false", false],
      ['"true"', false],
      ["1", false],
      ["not json", false],
    ];
    for (const [value, expected] of cases) {
      await t.db.delete(settings).where(eq(settings.key, "require2fa"));
      if (value !== null) await t.db.insert(settings).values({ key: "require2fa", value, updatedAt: 1 });
      const [state] = await twoFactorStateQuery(t.db, user.id);
      expect(state?.required, String(value)).toBe(expected);
    }
    await requireTwoFactor(false);
  });
});

describe("guessing codes from a session", () => {
  it(`locks the account after ${THROTTLE_POLICY.account.maxFailures} wrong codes: even the right code gets 429, and so does the login`, async () => {
    const { user, headers, secret } = await enrolled();
    for (let i = 0; i < THROTTLE_POLICY.account.maxFailures; i++) {
      const response = await post("/api/v1/auth/totp/recovery-codes", headers, {
        code: codeAt(secret, 10 + i),
      });
      expect(response.status).toBe(422);
    }
    const right = await post("/api/v1/auth/totp/recovery-codes", headers, { code: codeAt(secret) });
    expect(right.status).toBe(429);
    expect(Number(right.headers.get("Retry-After"))).toBe(THROTTLE_POLICY.account.lockMs / 1000);
    expect(await post("/api/v1/auth/totp/disable", headers, { password: user.password })).toHaveProperty(
      "status",
      429,
    );

    ipCounter += 1;
    const login = await post(
      "/api/v1/auth/login",
      { "CF-Connecting-IP": `198.18.2.${ipCounter}` },
      { email: user.email, password: user.password, totpCode: codeAt(secret) },
    );
    expect(login.status).toBe(429);
    expect((await userRow(user.id)).totpLastStep).toBe(Math.floor(clock.now / TOTP_PERIOD) - 1);
  });
});
