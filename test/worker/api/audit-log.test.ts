import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { type AuditAction, auditStatement } from "../../../db/audit.ts";
import { auditLog } from "../../../db/schema/index.ts";
import { apiKeyFor, createUser, sessionFor, type TestUser } from "../factories.ts";
import { useTestDatabase } from "../support.ts";
import { apiCaller, problemOf, sendJson } from "./helpers.ts";

const t = useTestDatabase();
const call = apiCaller(t);

interface Entry {
  id: string;
  at: number;
  action: string;
  actorUserId: string | null;
  actorApiKeyId: string | null;
  targetType: string | null;
  targetId: string | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  changes: unknown;
}
interface Page {
  items: Entry[];
  nextCursor: string | null;
}

const origin = { ip: "192.0.2.1", userAgent: "test", requestId: null };

async function adminSession() {
  const admin = await createUser(t.db, { role: "admin" });
  return { admin, headers: (await sessionFor(t.db, admin)).headers };
}

/** Entries by a fresh actor, in the order given, at the given times. */
async function seed(actor: TestUser, entries: { action: AuditAction; at: number; targetId?: string }[]) {
  for (const entry of entries) {
    await auditStatement(
      t.db,
      { action: entry.action, actorUserId: actor.id, targetType: "user", targetId: entry.targetId ?? null },
      origin,
      entry.at,
    );
  }
}

async function list(query: string, headers: Record<string, string>): Promise<Page> {
  const response = await call(`/api/v1/audit-log?${query}`, { headers });
  expect(response.status).toBe(200);
  return (await response.json()) as Page;
}

describe("reading the audit log", () => {
  it("records who acted through the API, from which address and client", async () => {
    const { admin, headers } = await adminSession();
    const created = await call(
      "/api/v1/api-keys",
      sendJson(
        "POST",
        { name: "ci", scopes: ["contacts:read"] },
        { ...headers, "CF-Connecting-IP": "2001:db8::1", "User-Agent": "curl/8.5" },
      ),
    );
    const key = (await created.json()) as { id: string };
    const requestId = created.headers.get("X-Request-Id");
    const page = await list(`actorUserId=${admin.id}&action=api_key.created`, headers);
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({
      action: "api_key.created",
      actorUserId: admin.id,
      targetType: "api_key",
      targetId: key.id,
      ip: "2001:db8::1",
      userAgent: "curl/8.5",
      requestId,
      changes: { name: "ci", scopes: ["contacts:read"] },
    });
  });

  it("pages newest first by cursor, with no entry twice or missed, in one round trip per page", async () => {
    const { headers } = await adminSession();
    const actor = await createUser(t.db);
    const base = Date.now();
    await seed(
      actor,
      [0, 1, 2, 3, 4].map((i) => ({ action: "user.updated" as const, at: base + i, targetId: `t${i}` })),
    );
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      let page: Page | undefined;
      const trips = await t.roundTrips(async () => {
        page = await list(`actorUserId=${actor.id}&limit=2${cursor ? `&cursor=${cursor}` : ""}`, headers);
      });
      expect(trips).toBe(1);
      seen.push(...(page?.items.map((e) => e.targetId ?? "") ?? []));
      cursor = page?.nextCursor ?? null;
    } while (cursor);
    expect(seen).toEqual(["t4", "t3", "t2", "t1", "t0"]);
  });

  it("filters by action, actor, target and an inclusive time range", async () => {
    const { headers } = await adminSession();
    const actor = await createUser(t.db);
    const other = await createUser(t.db);
    const base = Date.UTC(2026, 0, 1);
    await seed(actor, [
      { action: "user.updated", at: base, targetId: "a" },
      { action: "user.deactivated", at: base + 1000, targetId: "b" },
      { action: "user.updated", at: base + 2000, targetId: "c" },
    ]);
    await seed(other, [{ action: "user.updated", at: base + 1000, targetId: "a" }]);
    const targets = (page: Page) => page.items.map((e) => e.targetId);

    expect(targets(await list(`actorUserId=${actor.id}&action=user.updated`, headers))).toEqual(["c", "a"]);
    expect(
      targets(await list(`actorUserId=${actor.id}&from=${base + 1000}&to=${base + 2000}`, headers)),
    ).toEqual(["c", "b"]);
    expect(targets(await list(`actorUserId=${actor.id}&to=${base}`, headers))).toEqual(["a"]);
    const byTarget = await list(`targetType=user&targetId=a&from=${base}&to=${base + 2000}`, headers);
    expect(byTarget.items.map((e) => e.actorUserId)).toEqual([other.id, actor.id]);
  });

  it("is for admins only: other roles and keys without audit:read get 403", async () => {
    for (const role of ["manager", "rep", "read_only"] as const) {
      const user = await createUser(t.db, { role });
      const { headers } = await sessionFor(t.db, user);
      expect((await call("/api/v1/audit-log", { headers })).status, role).toBe(403);
    }
    const admin = await createUser(t.db, { role: "admin" });
    const without = await apiKeyFor(t.db, admin, ["settings:read"]);
    expect((await call("/api/v1/audit-log", { headers: without.headers })).status).toBe(403);
    const granted = await apiKeyFor(t.db, admin, ["audit:read"]);
    expect((await call("/api/v1/audit-log", { headers: granted.headers })).status).toBe(200);
    // A rep's key cannot reach it by being granted the scope either (and could not be granted it).
    const rep = await createUser(t.db, { role: "rep" });
    const forged = await apiKeyFor(t.db, rep, ["audit:read"]);
    expect((await call("/api/v1/audit-log", { headers: forged.headers })).status).toBe(403);
    expect((await call("/api/v1/audit-log")).status).toBe(401);
  });

  it("answers 422 for a limit out of range, a range that ends before it starts, or an unknown action", async () => {
    const { headers } = await adminSession();
    for (const [query, path] of [
      ["limit=0", "limit"],
      ["limit=201", "limit"],
      ["from=2000&to=1000", "to"],
      ["from=yesterday", "from"],
      ["action=user.exploded", "action"],
    ]) {
      const response = await call(`/api/v1/audit-log?${query}`, { headers });
      expect(response.status, query).toBe(422);
      const problem = await problemOf(response);
      expect(problem.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
    }
  });
});

describe("the audit log is append-only", () => {
  it("has no route that changes or removes an entry", async () => {
    const { headers } = await adminSession();
    const [entry] = await t.db.select().from(auditLog).limit(1);
    for (const method of ["PATCH", "PUT", "DELETE", "POST"]) {
      for (const path of ["/api/v1/audit-log", `/api/v1/audit-log/${entry?.id}`]) {
        const response = await call(path, sendJson(method, {}, headers));
        expect(response.status, `${method} ${path}`).toBe(404);
      }
    }
  });

  it("refuses UPDATE and DELETE even in raw SQL", async () => {
    const actor = await createUser(t.db);
    await seed(actor, [{ action: "user.updated", at: Date.now(), targetId: "kept" }]);
    const count = sql`select count(*) as n from audit_log where actor_user_id = ${actor.id} and target_id = 'kept'`;
    expect(
      await refusal(() =>
        t.db.run(sql`update audit_log set action = 'user.deactivated' where actor_user_id = ${actor.id}`),
      ),
    ).toMatch(/audit_log is append-only/);
    expect(
      await refusal(() => t.db.run(sql`delete from audit_log where actor_user_id = ${actor.id}`)),
    ).toMatch(/audit_log is append-only/);
    expect(await refusal(() => t.db.$client.execute("delete from audit_log"))).toMatch(
      /audit_log is append-only/,
    );
    expect(await t.db.get<{ n: number }>(count)).toEqual({ n: 1 });
  });
});

/** The messages of the error (and its causes) that `run` fails with; drizzle wraps the database's error. */
async function refusal(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (error) {
    const messages: string[] = [];
    for (let e: unknown = error; e instanceof Error; e = e.cause) messages.push(e.message);
    return messages.join(" <- ");
  }
  return "no error";
}
