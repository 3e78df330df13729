import { and, eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { KEEP_IDEMPOTENCY_KEYS_MS, PENDING, pruneIdempotencyKeys } from "../../db/idempotency.ts";
import { idempotencyKeys, teams } from "../../db/schema/index.ts";
import { apiKeyFor, createUser, sessionFor, type TestUser } from "./factories.ts";
import { countTrips } from "./idempotency-trips.ts";
import { useTestDatabase } from "./support.ts";

const t = useTestDatabase();

type Headers = Record<string, string>;
let admin: TestUser;
let asAdmin: Headers;
let asOtherAdmin: Headers;
let asAdminKey: Headers;
let adminScope: string;

beforeAll(async () => {
  admin = await createUser(t.db, { role: "admin" });
  asAdmin = (await sessionFor(t.db, admin)).headers;
  asOtherAdmin = (await sessionFor(t.db, await createUser(t.db, { role: "admin" }))).headers;
  asAdminKey = (await apiKeyFor(t.db, admin, ["teams:*"])).headers;
  adminScope = `user:${admin.id}`;
});

let n = 0;
function uniqueName(): string {
  n += 1;
  return `Team ${n} ${crypto.randomUUID().slice(0, 8)}`;
}

function post(headers: Headers, body: unknown, key?: string, path = "/api/v1/teams") {
  return t.fetch(path, {
    method: "POST",
    headers: {
      ...headers,
      "Content-Type": "application/json",
      ...(key === undefined ? {} : { "Idempotency-Key": key }),
    },
    body: JSON.stringify(body),
  });
}

async function teamsNamed(name: string) {
  return t.db.select().from(teams).where(eq(teams.name, name));
}

async function keyRow(scope: string, key: string) {
  const rows = await t.db
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key)));
  return rows[0];
}

describe("replays", () => {
  it("answers a retry with the first response and does not run the handler again", async () => {
    const key = crypto.randomUUID();
    const name = uniqueName();
    const first = await post(asAdmin, { name }, key);
    expect(first.status).toBe(201);
    const firstBody = await first.text();
    expect(first.headers.get(REPLAYED)).toBeNull();

    const again = await post(asAdmin, { name }, key);
    expect(again.status).toBe(201);
    expect(await again.text()).toBe(firstBody);
    expect(again.headers.get("Content-Type")).toBe(first.headers.get("Content-Type"));
    expect(again.headers.get(REPLAYED)).toBe("true");
    expect(await teamsNamed(name)).toHaveLength(1);
  });

  it("costs no round trip more on the path with a key; the answer is stored after it; a replay costs two", async () => {
    expect((await countTrips(t, () => post(asAdmin, { name: uniqueName() }))).trips).toEqual({
      path: 1,
      after: 0,
    });
    const key = crypto.randomUUID();
    const name = uniqueName();
    // The claim rides in the handler's own batch; the stored response follows the answer (waitUntil).
    expect((await countTrips(t, () => post(asAdmin, { name }, key))).trips).toEqual({ path: 1, after: 1 });
    // The batch finds the key held and aborts; the stored answer is read in a second trip.
    expect((await countTrips(t, () => post(asAdmin, { name }, key))).trips).toEqual({ path: 2, after: 0 });
    expect(await teamsNamed(name)).toHaveLength(1);
  });

  it("stores the first response's status, headers and body under the caller's key", async () => {
    const key = crypto.randomUUID();
    const name = uniqueName();
    const response = await post(asAdmin, { name }, key);
    const row = await keyRow(adminScope, key);
    expect(row).toMatchObject({ method: "POST", path: "/api/v1/teams", status: 201 });
    const stored = JSON.parse(row?.response ?? "{}") as { headers: Headers; body: string };
    expect(stored.body).toBe(await response.text());
    expect(stored.headers["content-type"]).toContain("application/json");
  });

  it("accepts the structured-field form of the key", async () => {
    const name = uniqueName();
    const key = crypto.randomUUID();
    expect((await post(asAdmin, { name }, `"${key}"`)).status).toBe(201);
    const again = await post(asAdmin, { name }, key);
    expect(again.headers.get(REPLAYED)).toBe("true");
  });
});

describe("misuse", () => {
  it("refuses the same key with a different body (422) or for another route (422)", async () => {
    const key = crypto.randomUUID();
    expect((await post(asAdmin, { name: uniqueName() }, key)).status).toBe(201);
    const otherBody = await post(asAdmin, { name: uniqueName() }, key);
    expect(otherBody.status).toBe(422);
    expect(((await otherBody.json()) as { detail: string }).detail).toContain("Idempotency-Key");
    const otherRoute = await post(
      asAdmin,
      { email: "x@example.com", name: "X", role: "rep" },
      key,
      "/api/v1/users",
    );
    expect(otherRoute.status).toBe(422);
  });

  it("keeps keys per caller: another user and an API key use the same key independently", async () => {
    const key = crypto.randomUUID();
    const names = [uniqueName(), uniqueName(), uniqueName()];
    expect((await post(asAdmin, { name: names[0] }, key)).status).toBe(201);
    const other = await post(asOtherAdmin, { name: names[1] }, key);
    expect(other.status).toBe(201);
    expect(other.headers.get(REPLAYED)).toBeNull();
    const viaKey = await post(asAdminKey, { name: names[2] }, key);
    expect(viaKey.status).toBe(201);
    expect(viaKey.headers.get(REPLAYED)).toBeNull();
    for (const name of names) expect(await teamsNamed(name as string)).toHaveLength(1);
  });

  it("does not key anonymous requests", async () => {
    const key = crypto.randomUUID();
    expect((await post({}, { name: uniqueName() }, key)).status).toBe(401);
    expect(await t.db.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, key))).toEqual([]);
  });

  it("refuses a malformed key with 400 before doing anything", async () => {
    const name = uniqueName();
    for (const key of ["", "with space", "x".repeat(256), "a\tb"]) {
      const response = await post(asAdmin, { name }, key);
      expect(response.status, JSON.stringify(key)).toBe(400);
    }
    expect(await teamsNamed(name)).toEqual([]);
  });

  it("ignores the header on the session routes, which create nothing", async () => {
    const key = crypto.randomUUID();
    // A session of its own: logging out ends it.
    const { headers } = await sessionFor(t.db, admin);
    const response = await post(headers, {}, key, "/api/v1/auth/logout");
    expect(response.status).toBeLessThan(500);
    expect(await keyRow(adminScope, key)).toBeUndefined();
  });
});

describe("errors and concurrency", () => {
  it("does not keep an error: the key is given back and a corrected retry runs", async () => {
    const key = crypto.randomUUID();
    const name = uniqueName();
    expect((await post(asAdmin, { name }, key)).status).toBe(201);
    const key2 = crypto.randomUUID();
    // Same name: the handler answers 409; the claim is released.
    expect((await post(asAdmin, { name }, key2)).status).toBe(409);
    expect(await keyRow(adminScope, key2)).toBeUndefined();
    // An invalid body (422 from validation) is not kept either.
    expect((await post(asAdmin, { name: "" }, key2)).status).toBe(422);
    expect(await keyRow(adminScope, key2)).toBeUndefined();
    const fixed = await post(asAdmin, { name: uniqueName() }, key2);
    expect(fixed.status).toBe(201);
  });

  it("answers 409 with Retry-After while the first request with the key is still running", async () => {
    const key = crypto.randomUUID();
    const name = uniqueName();
    const body = JSON.stringify({ name });
    const bodyHash = await sha256(body);
    await t.db.insert(idempotencyKeys).values({
      scope: adminScope,
      key,
      method: "POST",
      path: "/api/v1/teams",
      bodyHash,
      status: PENDING,
      response: "",
      createdAt: Date.now(),
    });
    const response = await post(asAdmin, { name }, key);
    expect(response.status).toBe(409);
    expect(response.headers.get("Retry-After")).toBe("1");
    expect(await teamsNamed(name)).toEqual([]);
  });

  it("runs the handler once when two requests with the same key arrive together", async () => {
    const key = crypto.randomUUID();
    const name = uniqueName();
    const responses = await Promise.all([post(asAdmin, { name }, key), post(asAdmin, { name }, key)]);
    const firsts = responses.filter((r) => r.status === 201 && r.headers.get(REPLAYED) === null);
    expect(firsts).toHaveLength(1);
    for (const r of responses) expect([201, 409]).toContain(r.status);
    expect(await teamsNamed(name)).toHaveLength(1);
  });

  it("treats a key older than a day as unused, and the daily prune deletes such keys", async () => {
    const key = crypto.randomUUID();
    const now = Date.now();
    await t.db.insert(idempotencyKeys).values({
      scope: adminScope,
      key,
      method: "POST",
      path: "/api/v1/teams",
      bodyHash: "old",
      status: 201,
      response: JSON.stringify({ headers: {}, body: "{}" }),
      createdAt: now - KEEP_IDEMPOTENCY_KEYS_MS - 1000,
    });
    const name = uniqueName();
    const response = await post(asAdmin, { name }, key);
    expect(response.status).toBe(201);
    expect(response.headers.get(REPLAYED)).toBeNull();

    const staleKey = crypto.randomUUID();
    await t.db.insert(idempotencyKeys).values({
      scope: adminScope,
      key: staleKey,
      method: "POST",
      path: "/api/v1/teams",
      bodyHash: "old",
      status: 201,
      response: "{}",
      createdAt: now - KEEP_IDEMPOTENCY_KEYS_MS - 1000,
    });
    expect(await pruneIdempotencyKeys(t.db, now - KEEP_IDEMPOTENCY_KEYS_MS)).toBeGreaterThanOrEqual(1);
    expect(await keyRow(adminScope, staleKey)).toBeUndefined();
    expect(await keyRow(adminScope, key)).toBeDefined();
  });
});

const REPLAYED = "Idempotent-Replayed";

async function sha256(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
