import { and, eq } from "drizzle-orm";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { auditLog, sessions, users } from "../../../db/schema/index.ts";
import { base64Url } from "../../../functions/auth/secrets.ts";
import { signAccessToken } from "../../../functions/auth/tokens.ts";
import { createUser, SIGNING_KEYS, sessionFor } from "../factories.ts";
import { useTestDatabase } from "../support.ts";
import { keepCookies, loginWithJar } from "./helpers.ts";

const t = useTestDatabase();
const encoder = new TextEncoder();

function me(headers: Record<string, string>) {
  return t.fetch("/api/v1/auth/me", { headers });
}

async function detail(response: Response): Promise<string> {
  return ((await response.json()) as { detail: string }).detail;
}

describe("access tokens", () => {
  it("accepts a token signed by the current key, and by the previous key during a rotation", async () => {
    const user = await createUser(t.db);
    const { sessionId, headers } = await sessionFor(t.db, user);
    expect((await me(headers)).status).toBe(200);
    const [, previous] = SIGNING_KEYS;
    const older = await signAccessToken({ userId: user.id, sessionId, role: user.role }, [
      previous as (typeof SIGNING_KEYS)[number],
    ]);
    expect((await me({ Authorization: `Bearer ${older}` })).status).toBe(200);
  });

  it("refuses an expired token and says to refresh", async () => {
    const user = await createUser(t.db);
    const { sessionId } = await sessionFor(t.db, user);
    const expired = await signAccessToken(
      { userId: user.id, sessionId, role: user.role },
      SIGNING_KEYS,
      Date.now() - 20 * 60_000,
    );
    const response = await me({ Authorization: `Bearer ${expired}` });
    expect(response.status).toBe(401);
    expect(response.headers.get("WWW-Authenticate")).toContain("Bearer");
    expect(await detail(response)).toMatch(/expired/);
  });

  it("refuses a tampered token", async () => {
    const user = await createUser(t.db);
    const admin = await createUser(t.db, { role: "admin" });
    const { token } = await sessionFor(t.db, user);
    const [header, payload, signature] = token.split(".");
    const claims = JSON.parse(atob((payload ?? "").replaceAll("-", "+").replaceAll("_", "/")));
    const forged = base64Url(encoder.encode(JSON.stringify({ ...claims, sub: admin.id, role: "admin" })));
    expect((await me({ Authorization: `Bearer ${header}.${forged}.${signature}` })).status).toBe(401);
  });

  it("refuses alg: none, another algorithm, and an unknown key id", async () => {
    const user = await createUser(t.db);
    const { sessionId } = await sessionFor(t.db, user);
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      sub: user.id,
      sid: sessionId,
      role: "admin",
      iss: "edge-crm",
      aud: "edge-crm-api",
      iat: now,
      exp: now + 600,
    };
    const none = `${base64Url(encoder.encode(JSON.stringify({ alg: "none", typ: "JWT", kid: "k2" })))}.${base64Url(encoder.encode(JSON.stringify(claims)))}.`;
    expect((await me({ Authorization: `Bearer ${none}` })).status).toBe(401);

    const key = SIGNING_KEYS[0]?.secret as Uint8Array;
    const hs512 = await new SignJWT(claims).setProtectedHeader({ alg: "HS512", kid: "k2" }).sign(key);
    expect((await me({ Authorization: `Bearer ${hs512}` })).status).toBe(401);
    const unknownKid = await new SignJWT(claims).setProtectedHeader({ alg: "HS256", kid: "k9" }).sign(key);
    expect((await me({ Authorization: `Bearer ${unknownKid}` })).status).toBe(401);
    const wrongAudience = await new SignJWT({ ...claims, aud: "someone-else" })
      .setProtectedHeader({ alg: "HS256", kid: "k2" })
      .sign(key);
    expect((await me({ Authorization: `Bearer ${wrongAudience}` })).status).toBe(401);
  });

  it("refuses a deactivated user's session at once, though the token has not expired", async () => {
    const user = await createUser(t.db);
    const { headers } = await sessionFor(t.db, user);
    expect((await me(headers)).status).toBe(200);
    await t.db.update(users).set({ active: false }).where(eq(users.id, user.id));
    expect((await me(headers)).status).toBe(401);
  });

  it("answers 401 for no credentials and for a malformed Authorization header", async () => {
    expect((await me({})).status).toBe(401);
    expect((await me({ Authorization: "Basic abc" })).status).toBe(401);
    expect((await me({ Authorization: "Bearer not.a.jwt" })).status).toBe(401);
  });
});

describe("refresh tokens", () => {
  it("rotate on every refresh; a spent one presented again ends the whole family", async () => {
    const user = await createUser(t.db);
    const { jar } = await loginWithJar(t, user.email, user.password);
    const firstRefresh = jar.cookies.get("crm_refresh") as string;
    const refresh = (cookie: string) =>
      t.fetch("/api/v1/auth/refresh", { method: "POST", headers: { Cookie: cookie, "X-CRM-Request": "1" } });

    const rotated = await refresh(jar.header());
    expect(rotated.status).toBe(200);
    keepCookies(jar, rotated);
    expect(jar.cookies.get("crm_refresh")).not.toBe(firstRefresh);
    expect((await me({ Cookie: jar.header() })).status).toBe(200);

    // An attacker replays the stolen, already spent token.
    const replay = await refresh(`crm_refresh=${firstRefresh}`);
    expect(replay.status).toBe(401);
    expect(await detail(replay)).toMatch(/already used/);

    // The legitimate holder's session is gone too: its access token and its refresh token stop working.
    expect((await me({ Cookie: jar.header() })).status).toBe(401);
    expect((await refresh(jar.header())).status).toBe(401);
    const revoked = await t.db
      .select()
      .from(sessions)
      .where(and(eq(sessions.userId, user.id)));
    expect(revoked.map((s) => s.revokedReason)).toEqual(["refresh_token_reused"]);
    const audit = await t.db.select().from(auditLog).where(eq(auditLog.action, "auth.refresh_token.reused"));
    expect(audit.map((a) => a.actorUserId)).toEqual([user.id]);
  });

  it("needs the CSRF header, and refuses an unknown token", async () => {
    const user = await createUser(t.db);
    const { jar } = await loginWithJar(t, user.email, user.password);
    const noHeader = await t.fetch("/api/v1/auth/refresh", {
      method: "POST",
      headers: { Cookie: jar.header() },
    });
    expect(noHeader.status).toBe(403);
    const unknown = await t.fetch("/api/v1/auth/refresh", {
      method: "POST",
      headers: { Cookie: "crm_refresh=made-up-token", "X-CRM-Request": "1" },
    });
    expect(unknown.status).toBe(401);
  });

  it("end with logout", async () => {
    const user = await createUser(t.db);
    const { jar } = await loginWithJar(t, user.email, user.password);
    const out = await t.fetch("/api/v1/auth/logout", {
      method: "POST",
      headers: { Cookie: jar.header(), "X-CRM-Request": "1" },
    });
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie().join(";")).toMatch(/crm_access=;/);
    expect((await me({ Cookie: jar.header() })).status).toBe(401);
  });
});

describe("CSRF defence on cookie-authenticated writes", () => {
  it("refuses a write without the custom header or from another site, and allows it with the header", async () => {
    const user = await createUser(t.db);
    const { jar } = await loginWithJar(t, user.email, user.password);
    const change = (headers: Record<string, string>) =>
      t.fetch("/api/v1/auth/password", {
        method: "POST",
        headers: { Cookie: jar.header(), "Content-Type": "application/json", ...headers },
        body: JSON.stringify({ currentPassword: user.password, newPassword: "a brand new passphrase" }),
      });
    expect((await change({})).status).toBe(403);
    expect((await change({ "X-CRM-Request": "1", "Sec-Fetch-Site": "cross-site" })).status).toBe(403);
    expect((await change({ "X-CRM-Request": "1", "Sec-Fetch-Site": "same-origin" })).status).toBe(204);
  });

  it("does not apply to bearer tokens, which a browser never sends by itself", async () => {
    const user = await createUser(t.db);
    const { headers } = await sessionFor(t.db, user);
    const response = await t.fetch("/api/v1/auth/password", {
      method: "POST",
      headers: { ...headers, "Content-Type": "application/json" },
      body: JSON.stringify({ currentPassword: user.password, newPassword: "a brand new passphrase" }),
    });
    expect(response.status).toBe(204);
  });
});
