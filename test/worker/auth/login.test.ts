import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditLog, users } from "../../../db/schema/index.ts";
import { THROTTLE_POLICY } from "../../../db/throttle.ts";
import { createUser } from "../factories.ts";
import { useTestDatabase } from "../support.ts";
import { cookieJar, freshIp, keepCookies, loginWithJar, postJson } from "./helpers.ts";

const t = useTestDatabase();

describe("POST /api/v1/auth/login", () => {
  it("logs in with email and password, sets HttpOnly SameSite cookies, and audits it, in two round trips", async () => {
    const user = await createUser(t.db, { role: "rep", email: "ada@example.com" });
    let response: Response | undefined;
    const jar = cookieJar();
    const trips = await t.roundTrips(async () => {
      response = await postJson(
        t,
        "/api/v1/auth/login",
        { email: " ADA@example.com ", password: user.password },
        { "CF-Connecting-IP": "198.51.100.7", "User-Agent": "test-browser/1" },
      );
    });
    expect(trips).toBe(2);
    expect(response?.status).toBe(200);
    expect(await response?.json()).toMatchObject({
      user: { id: user.id, email: "ada@example.com", role: "rep" },
    });
    const setCookies = keepCookies(jar, response as Response);
    const access = setCookies.find((c) => c.startsWith("crm_access="));
    const refresh = setCookies.find((c) => c.startsWith("crm_refresh="));
    expect(access).toMatch(/HttpOnly/i);
    expect(access).toMatch(/SameSite=Lax/i);
    expect(refresh).toMatch(/HttpOnly/i);
    expect(refresh).toMatch(/SameSite=Strict/i);
    expect(refresh).toMatch(/Path=\/api\/v1\/auth/);

    const me = await t.fetch("/api/v1/auth/me", { headers: { Cookie: jar.header() } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ id: user.id, via: "session", role: "rep" });

    const [entry] = await t.db.select().from(auditLog).where(eq(auditLog.action, "auth.login.succeeded"));
    expect(entry).toMatchObject({ actorUserId: user.id, ip: "198.51.100.7", userAgent: "test-browser/1" });
  });

  it("answers a wrong password and an unknown email the same way, and audits both", async () => {
    const user = await createUser(t.db, { email: "grace@example.com" });
    const wrong = await postJson(
      t,
      "/api/v1/auth/login",
      { email: user.email, password: "not it at all" },
      { "CF-Connecting-IP": freshIp() },
    );
    const unknown = await postJson(
      t,
      "/api/v1/auth/login",
      { email: "nobody@example.com", password: "not it at all" },
      { "CF-Connecting-IP": freshIp() },
    );
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const strip = (body: Record<string, unknown>) => ({ ...body, requestId: undefined });
    expect(strip(await wrong.json())).toEqual(strip(await unknown.json()));
    expect(wrong.headers.getSetCookie()).toEqual([]);
    const failures = await t.db.select().from(auditLog).where(eq(auditLog.action, "auth.login.failed"));
    const emails = failures.map((f) => JSON.parse(f.changes ?? "{}").email);
    expect(emails).toEqual(expect.arrayContaining(["grace@example.com", "nobody@example.com"]));
  });

  it("refuses a deactivated user with the same answer", async () => {
    const user = await createUser(t.db, { active: false });
    const response = await postJson(
      t,
      "/api/v1/auth/login",
      { email: user.email, password: user.password },
      { "CF-Connecting-IP": freshIp() },
    );
    expect(response.status).toBe(401);
    expect(((await response.json()) as { detail: string }).detail).toBe(
      "The email or the password is not right.",
    );
  });

  it("locks the account after repeated failures, with Retry-After, even for the right password", async () => {
    const user = await createUser(t.db);
    const { maxFailures, lockMs } = THROTTLE_POLICY.account;
    for (let i = 0; i < maxFailures; i++) {
      const r = await postJson(
        t,
        "/api/v1/auth/login",
        { email: user.email, password: `wrong ${i}` },
        { "CF-Connecting-IP": freshIp() },
      );
      expect(r.status).toBe(401);
    }
    const locked = await postJson(
      t,
      "/api/v1/auth/login",
      { email: user.email, password: user.password },
      { "CF-Connecting-IP": freshIp() },
    );
    expect(locked.status).toBe(429);
    const retryAfter = Number(locked.headers.get("Retry-After"));
    expect(retryAfter).toBeGreaterThan(lockMs / 1000 - 60);
    expect(retryAfter).toBeLessThanOrEqual(lockMs / 1000);
    expect(((await locked.json()) as { detail: string }).detail).toMatch(
      /Too many failed logins\. Try again in 15 minutes/,
    );
  });

  it("turns away a flood from one address before any database work (the Workers rate limiter)", async () => {
    const ip = freshIp();
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const r = await postJson(
        t,
        "/api/v1/auth/login",
        { email: `flood${i}@example.com`, password: "x" },
        { "CF-Connecting-IP": ip },
      );
      statuses.push(r.status);
      if (r.status === 429) expect(r.headers.get("Retry-After")).toBe("60");
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses[10]).toBe(429);
  });

  it("refuses a login posted from another site", async () => {
    const user = await createUser(t.db);
    const response = await postJson(
      t,
      "/api/v1/auth/login",
      { email: user.email, password: user.password },
      { "Sec-Fetch-Site": "cross-site" },
    );
    expect(response.status).toBe(403);
  });

  it("answers malformed input with 422 and changes nothing", async () => {
    const response = await postJson(t, "/api/v1/auth/login", { email: 42 });
    expect(response.status).toBe(422);
  });
});

describe("the first admin", () => {
  const fresh = useTestDatabase({
    CRM_ADMIN_EMAIL: "Boss@Example.com",
    CRM_ADMIN_PASSWORD: "first admin password",
  });

  it("is created from CRM_ADMIN_EMAIL / CRM_ADMIN_PASSWORD at the first login when there are no users, once", async () => {
    const wrong = await loginWithJar(fresh, "boss@example.com", "not the configured one");
    expect(wrong.response.status).toBe(401);
    expect(await fresh.db.select().from(users)).toHaveLength(0);

    const first = await loginWithJar(fresh, "boss@example.com", "first admin password");
    expect(first.response.status).toBe(200);
    expect(await first.response.json()).toMatchObject({ user: { email: "boss@example.com", role: "admin" } });
    const again = await loginWithJar(fresh, "boss@example.com", "first admin password");
    expect(again.response.status).toBe(200);
    expect(await fresh.db.select().from(users)).toHaveLength(1);
  });
});

describe("two first logins at once", () => {
  const fresh = useTestDatabase({
    CRM_ADMIN_EMAIL: "first@example.com",
    CRM_ADMIN_PASSWORD: "first admin password",
  });

  it("create one admin; the other login is told to try again, never a 500", async () => {
    const [a, b] = await Promise.all([
      loginWithJar(fresh, "first@example.com", "first admin password"),
      loginWithJar(fresh, "first@example.com", "first admin password"),
    ]);
    const statuses = [a.response.status, b.response.status].sort();
    expect([
      [200, 200],
      [200, 409],
    ]).toContainEqual(statuses);
    expect(await fresh.db.select().from(users)).toHaveLength(1);
  });
});
