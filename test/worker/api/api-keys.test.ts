import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { touchApiKeyStatement } from "../../../db/api-keys.ts";
import { apiKeys, auditLog } from "../../../db/schema/index.ts";
import { sha256Hex } from "../../../functions/auth/secrets.ts";
import { apiKeyFor, createUser, DAY, sessionFor, type TestUser } from "../factories.ts";
import { useTestDatabase } from "../support.ts";
import { apiCaller, app, problemOf, sendJson } from "./helpers.ts";

const t = useTestDatabase();
const call = apiCaller(t);

interface KeyBody {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  expiresAt: number | null;
  revokedAt: number | null;
  owner: { id: string; name: string; email: string };
  key?: string;
}

async function login(role: TestUser["role"]) {
  const user = await createUser(t.db, { role });
  const { headers } = await sessionFor(t.db, user);
  return { user, headers };
}

async function createKey(headers: Record<string, string>, body: Record<string, unknown>) {
  return call("/api/v1/api-keys", sendJson("POST", body, headers));
}

async function auditOf(action: string, targetId: string) {
  return t.db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.action, action), eq(auditLog.targetId, targetId)));
}

describe("creating a key", () => {
  it("shows the secret once, stores only its hash, and the key works as a Bearer token within its scopes", async () => {
    const { user, headers } = await login("rep");
    const response = await createKey(
      { ...headers, "CF-Connecting-IP": "203.0.113.9", "User-Agent": "zapier/1.0" },
      { name: "Zapier", scopes: ["settings:read", "api_keys:read"] },
    );
    expect(response.status).toBe(201);
    const created = (await response.json()) as KeyBody;
    expect(created).toMatchObject({
      name: "Zapier",
      scopes: ["settings:read", "api_keys:read"],
      expiresAt: null,
      revokedAt: null,
      owner: { id: user.id, email: user.email },
    });
    expect(created.key).toMatch(/^crm_[A-Za-z0-9]{8}_/);
    expect(created.key?.startsWith(created.prefix)).toBe(true);

    const [row] = await t.db.select().from(apiKeys).where(eq(apiKeys.id, created.id));
    expect(row?.keyHash).toBe(await sha256Hex(created.key ?? ""));
    expect(JSON.stringify(row)).not.toContain(created.key);

    const bearer = { Authorization: `Bearer ${created.key}` };
    expect((await call("/api/v1/settings", { headers: bearer })).status).toBe(200);
    const listed = await call("/api/v1/api-keys", { headers: bearer });
    expect(listed.status).toBe(200);
    const text = await listed.text();
    expect(text).toContain(created.id);
    expect(text).not.toContain(created.key);
    expect(text).not.toContain(row?.keyHash);
    expect(text).not.toMatch(/"key"|keyHash/);

    const [entry] = await auditOf("api_key.created", created.id);
    expect(entry).toMatchObject({
      actorUserId: user.id,
      actorApiKeyId: null,
      ip: "203.0.113.9",
      userAgent: "zapier/1.0",
    });
    expect(JSON.parse(entry?.changes ?? "null")).toMatchObject({
      scopes: ["settings:read", "api_keys:read"],
    });
    expect(entry?.changes).not.toContain(created.key);
  });

  it("refuses a key lacking the route's scope with 403", async () => {
    const user = await createUser(t.db, { role: "admin" });
    const { headers } = await apiKeyFor(t.db, user, ["contacts:read"]);
    const response = await call("/api/v1/settings", { headers });
    expect(response.status).toBe(403);
    expect((await problemOf(response)).detail).toContain("settings:read");
  });

  it("sets the expiry from expiresInDays or expiresAt, and the key stops working once expired", async () => {
    const { headers } = await login("manager");
    const before = Date.now();
    const inDays = (await (
      await createKey(headers, { name: "a", scopes: ["deals:*"], expiresInDays: 7 })
    ).json()) as KeyBody;
    expect(inDays.expiresAt).toBeGreaterThanOrEqual(before + 7 * DAY);
    expect(inDays.expiresAt).toBeLessThanOrEqual(Date.now() + 7 * DAY);
    const at = Date.now() + 3 * DAY;
    const fixed = (await (
      await createKey(headers, { name: "b", scopes: ["deals:read"], expiresAt: at })
    ).json()) as KeyBody;
    expect(fixed.expiresAt).toBe(at);

    const owner = await createUser(t.db, { role: "admin" });
    const expired = await apiKeyFor(t.db, owner, ["settings:read"], { expiresAt: Date.now() - 1 });
    const response = await call("/api/v1/settings", { headers: expired.headers });
    expect(response.status).toBe(401);
    expect(response.headers.get("WWW-Authenticate")).toContain("Bearer");
  });

  it("lets an admin grant `admin` and admin-only scopes", async () => {
    const { headers } = await login("admin");
    const response = await createKey(headers, { name: "ops", scopes: ["admin", "audit:read"] });
    expect(response.status).toBe(201);
  });

  it("lets a read-only user make a key with read scopes only", async () => {
    const { headers } = await login("read_only");
    expect((await createKey(headers, { name: "BI", scopes: ["contacts:read", "reports:read"] })).status).toBe(
      201,
    );
    for (const scopes of [["contacts:write"], ["contacts:*"], ["contacts:read", "deals:write"]]) {
      const response = await createKey(headers, { name: "BI", scopes });
      expect(response.status).toBe(403);
    }
  });
});

describe("creating a key: refused", () => {
  // A grant the role may not use is well-formed, so not a 422: it is a permission the caller lacks, decided
  // in the same transaction from the caller's current role, hence 403.
  it("refuses a rep who grants `admin` or an admin-only scope with 403, and writes nothing", async () => {
    const { user, headers } = await login("rep");
    for (const scopes of [
      ["admin"],
      ["users:write"],
      ["settings:*"],
      ["audit:read"],
      ["contacts:read", "teams:write"],
    ]) {
      const response = await createKey(headers, { name: "escalate", scopes });
      expect(response.status).toBe(403);
      expect((await problemOf(response)).detail).toMatch(/admins/);
    }
    expect(await t.db.select().from(apiKeys).where(eq(apiKeys.userId, user.id))).toEqual([]);
    expect(await t.db.select().from(auditLog).where(eq(auditLog.actorUserId, user.id))).toEqual([]);
  });

  it("does not let an API key mint a key stronger than itself", async () => {
    const user = await createUser(t.db, { role: "manager" });
    const caller = await apiKeyFor(t.db, user, ["api_keys:write", "contacts:read"]);
    expect((await createKey(caller.headers, { name: "x", scopes: ["contacts:write"] })).status).toBe(403);
    expect((await createKey(caller.headers, { name: "x", scopes: ["contacts:*"] })).status).toBe(403);
    expect((await createKey(caller.headers, { name: "x", scopes: ["deals:read"] })).status).toBe(403);

    const response = await createKey(caller.headers, { name: "narrower", scopes: ["contacts:read"] });
    expect(response.status).toBe(201);
    const created = (await response.json()) as KeyBody;
    expect(created.owner.id).toBe(user.id);
    const [entry] = await auditOf("api_key.created", created.id);
    expect(entry).toMatchObject({ actorUserId: user.id, actorApiKeyId: caller.id });
  });

  it("answers 422 with the field for scopes, names and expiries that are not valid", async () => {
    const { headers } = await login("admin");
    const cases: [Record<string, unknown>, string][] = [
      [{ name: "x", scopes: ["contacts:delete"] }, "scopes.0"],
      [{ name: "x", scopes: ["nothing:*"] }, "scopes.0"],
      [{ name: "x", scopes: [] }, "scopes"],
      [{ name: "  ", scopes: ["contacts:read"] }, "name"],
      [{ name: "x", scopes: ["contacts:read"], expiresAt: Date.now() - 1000 }, "expiresAt"],
      [{ name: "x", scopes: ["contacts:read"], expiresInDays: 0 }, "expiresInDays"],
      [
        { name: "x", scopes: ["contacts:read"], expiresAt: Date.now() + DAY, expiresInDays: 3 },
        "expiresInDays",
      ],
      [{ name: "x", scopes: ["contacts:read"], userId: "someone-else" }, ""],
    ];
    for (const [body, path] of cases) {
      const response = await createKey(headers, body);
      expect(response.status, JSON.stringify(body)).toBe(422);
      const problem = await problemOf(response);
      expect(problem.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
    }
  });
});

describe("listing keys", () => {
  it("shows a user their own keys and an admin everyone's, newest first, paged by cursor", async () => {
    const alice = await createUser(t.db, { role: "rep" });
    const bob = await createUser(t.db, { role: "rep" });
    const admin = await createUser(t.db, { role: "admin" });
    const a1 = await apiKeyFor(t.db, alice, ["contacts:read"]);
    const a2 = await apiKeyFor(t.db, alice, ["deals:read"]);
    const b1 = await apiKeyFor(t.db, bob, ["deals:read"]);

    const asAlice = await sessionFor(t.db, alice);
    const mine = (await (await call("/api/v1/api-keys", { headers: asAlice.headers })).json()) as {
      items: KeyBody[];
    };
    expect(mine.items.map((k) => k.id)).toEqual([a2.id, a1.id]);

    const asAdmin = await sessionFor(t.db, admin);
    const page1 = (await (await call(`/api/v1/api-keys?limit=2`, { headers: asAdmin.headers })).json()) as {
      items: KeyBody[];
      nextCursor: string | null;
    };
    expect(page1.items.map((k) => k.id)).toEqual([b1.id, a2.id]);
    expect(page1.items[0]?.owner).toEqual({ id: bob.id, name: bob.name, email: bob.email });
    const page2 = (await (
      await call(`/api/v1/api-keys?limit=2&cursor=${page1.nextCursor}`, { headers: asAdmin.headers })
    ).json()) as { items: KeyBody[]; nextCursor: string | null };
    expect(page2.items[0]?.id).toBe(a1.id);

    const onlyBob = (await (
      await call(`/api/v1/api-keys?userId=${bob.id}`, { headers: asAdmin.headers })
    ).json()) as { items: KeyBody[] };
    expect(onlyBob.items.map((k) => k.id)).toEqual([b1.id]);
    // Another user's filter gives a rep nothing rather than someone else's keys.
    const peek = (await (
      await call(`/api/v1/api-keys?userId=${bob.id}`, { headers: asAlice.headers })
    ).json()) as { items: KeyBody[] };
    expect(peek.items).toEqual([]);
  });
});

describe("revoking a key", () => {
  it("revokes at once, idempotently, audited once", async () => {
    const { user, headers } = await login("rep");
    const created = (await (
      await createKey(headers, { name: "cli", scopes: ["settings:read"] })
    ).json()) as KeyBody;
    const bearer = { Authorization: `Bearer ${created.key}` };
    expect((await call("/api/v1/settings", { headers: bearer })).status).toBe(200);

    const first = await call(`/api/v1/api-keys/${created.id}`, { method: "DELETE", headers });
    expect(first.status).toBe(200);
    const revoked = (await first.json()) as KeyBody;
    expect(revoked.revokedAt).toEqual(expect.any(Number));
    expect((await call("/api/v1/settings", { headers: bearer })).status).toBe(401);

    const again = await call(`/api/v1/api-keys/${created.id}`, { method: "DELETE", headers });
    expect(again.status).toBe(200);
    expect(((await again.json()) as KeyBody).revokedAt).toBe(revoked.revokedAt);
    const entries = await auditOf("api_key.revoked", created.id);
    expect(entries).toHaveLength(1);
    expect(entries[0]?.actorUserId).toBe(user.id);
  });

  it("answers 404 for another user's key or an unknown id, and leaves the key working", async () => {
    const owner = await createUser(t.db, { role: "rep" });
    const key = await apiKeyFor(t.db, owner, ["settings:read"]);
    const { headers } = await login("manager");
    for (const id of [key.id, "0190f5b4-0000-7000-8000-000000000000"]) {
      const response = await call(`/api/v1/api-keys/${id}`, { method: "DELETE", headers });
      expect(response.status).toBe(404);
      expect((await problemOf(response)).code).toBe("not_found");
    }
    expect((await call("/api/v1/settings", { headers: key.headers })).status).toBe(200);
    expect(await auditOf("api_key.revoked", key.id)).toEqual([]);
  });

  it("lets an admin revoke anyone's key", async () => {
    const owner = await createUser(t.db, { role: "rep" });
    const key = await apiKeyFor(t.db, owner, ["settings:read"]);
    const { user: admin, headers } = await login("admin");
    const response = await call(`/api/v1/api-keys/${key.id}`, { method: "DELETE", headers });
    expect(response.status).toBe(200);
    expect((await call("/api/v1/settings", { headers: key.headers })).status).toBe(401);
    const [entry] = await auditOf("api_key.revoked", key.id);
    expect(entry?.actorUserId).toBe(admin.id);
  });

  it("needs a key with api_keys:write to revoke through an API key", async () => {
    const user = await createUser(t.db, { role: "rep" });
    const target = await apiKeyFor(t.db, user, ["contacts:read"]);
    const weak = await apiKeyFor(t.db, user, ["api_keys:read"]);
    const response = await call(`/api/v1/api-keys/${target.id}`, { method: "DELETE", headers: weak.headers });
    expect(response.status).toBe(403);
  });
});

describe("round trips and last use", () => {
  it("makes one database round trip per request", async () => {
    const { headers } = await login("admin");
    let id = "";
    const creating = await t.roundTrips(async () => {
      const response = await createKey(headers, { name: "rt", scopes: ["contacts:read"] });
      expect(response.status).toBe(201);
      id = ((await response.json()) as KeyBody).id;
    });
    expect(creating).toBe(1);
    expect(await t.roundTrips(() => call("/api/v1/api-keys", { headers }))).toBe(1);
    expect(await t.roundTrips(() => call(`/api/v1/api-keys/${id}`, { method: "DELETE", headers }))).toBe(1);
    expect(await t.roundTrips(() => createKey(headers, { name: "rt", scopes: ["nope"] }))).toBe(1);
  });

  it("touches lastUsedAt at most once a minute, never for a revoked key", async () => {
    const user = await createUser(t.db, { role: "rep" });
    const live = await apiKeyFor(t.db, user, ["contacts:read"]);
    const gone = await apiKeyFor(t.db, user, ["contacts:read"], { revokedAt: Date.now() - 1000 });
    const lastUsed = async (id: string) =>
      (await t.db.select().from(apiKeys).where(eq(apiKeys.id, id)))[0]?.lastUsedAt ?? null;
    const hashOf = async (id: string) =>
      (await t.db.select().from(apiKeys).where(eq(apiKeys.id, id)))[0]?.keyHash ?? "";

    const now = Date.now();
    await touchApiKeyStatement(t.db, await hashOf(live.id), now);
    expect(await lastUsed(live.id)).toBe(now);
    await touchApiKeyStatement(t.db, await hashOf(live.id), now + 30_000);
    expect(await lastUsed(live.id)).toBe(now);
    await touchApiKeyStatement(t.db, await hashOf(live.id), now + 61_000);
    expect(await lastUsed(live.id)).toBe(now + 61_000);
    await touchApiKeyStatement(t.db, await hashOf(gone.id), now);
    expect(await lastUsed(gone.id)).toBeNull();
  });

  it("records when a key was last used by a request, within that request's one round trip", async () => {
    const user = await createUser(t.db, { role: "rep" });
    const key = await apiKeyFor(t.db, user, ["profile:read"]);
    const before = Date.now();
    let status = 0;
    expect(
      await t.roundTrips(
        async () => (status = (await t.fetch("/api/v1/auth/me", { headers: key.headers })).status),
      ),
    ).toBe(1);
    expect(status).toBe(200);
    const [row] = await t.db.select().from(apiKeys).where(eq(apiKeys.id, key.id));
    expect(row?.lastUsedAt).toBeGreaterThanOrEqual(before);
  });
});

it("documents the routers in OpenAPI 3.1", () => {
  const doc = app.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "test", version: "1" } });
  expect(Object.keys(doc.paths ?? {})).toEqual(
    expect.arrayContaining([
      "/api/v1/api-keys",
      "/api/v1/api-keys/{id}",
      "/api/v1/audit-log",
      "/api/v1/settings",
      "/api/v1/outbox",
    ]),
  );
});
