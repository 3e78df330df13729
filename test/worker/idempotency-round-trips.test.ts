// A keyed create costs the one round trip its handler makes anyway: the claim rides in the handler's batch.
// Held keys (replay, another body, in progress) cost a second trip; errors keep nothing; racing requests
// with one key create one record. A route that makes no batch of its own claims first, in a trip of its own.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { and, eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { PENDING } from "../../db/idempotency.ts";
import { newId } from "../../db/ids.ts";
import { contacts, deals, idempotencyKeys, teams } from "../../db/schema/index.ts";
import { claimsInBatch } from "../../functions/access.ts";
import { createApp } from "../../functions/app.ts";
import { createTeam, createUser, sessionFor, type TestUser } from "./factories.ts";
import { countTrips } from "./idempotency-trips.ts";
import { useTestDatabase } from "./support.ts";

const t = useTestDatabase();
const REPLAYED = "Idempotent-Replayed";

type Headers = Record<string, string>;
let rep: TestUser;
let asRep: Headers;
let asReadOnly: Headers;

interface Create {
  what: string;
  path: string;
  status: number;
  /** A body of its own, and the marker by which its records are counted. */
  make: () => { marker: string; body: unknown };
  count: (marker: string) => Promise<number>;
}

const creates: Create[] = [
  {
    what: "a contact",
    path: "/api/v1/contacts",
    status: 201,
    make: () => {
      const marker = email();
      return { marker, body: { firstName: "Ann", emails: [marker] } };
    },
    count: async (marker) => (await contactsWith(marker)).length,
  },
  {
    what: "a deal",
    path: "/api/v1/deals",
    status: 201,
    make: () => {
      const marker = `Deal ${crypto.randomUUID()}`;
      return { marker, body: { name: marker, amount: 150_000, currency: "EUR" } };
    },
    count: async (marker) => (await t.db.select().from(deals).where(eq(deals.name, marker))).length,
  },
  {
    what: "a batch upsert of contacts",
    path: "/api/v1/contacts/batch",
    status: 200,
    make: () => {
      const marker = email();
      return {
        marker,
        body: {
          items: [
            { firstName: "Bo", emails: [marker] },
            { firstName: "Cy", emails: [email()] },
          ],
        },
      };
    },
    count: async (marker) => (await contactsWith(marker)).length,
  },
];

beforeAll(async () => {
  rep = await createUser(t.db, { role: "rep" });
  await createTeam(t.db, `Sales ${crypto.randomUUID()}`, [{ user: rep }]);
  asRep = (await sessionFor(t.db, rep)).headers;
  asReadOnly = (await sessionFor(t.db, await createUser(t.db, { role: "read_only" }))).headers;
  // Unkeyed creates first, so that the custom-field configuration is cached as after any first request.
  for (const create of creates) {
    expect((await t.fetch(create.path, init(asRep, create.make().body))).status).toBe(create.status);
  }
});

function init(headers: Headers, body: unknown, key?: string): RequestInit {
  return {
    method: "POST",
    headers: { ...headers, "Content-Type": "application/json", ...(key ? { "Idempotency-Key": key } : {}) },
    body: JSON.stringify(body),
  };
}

function send(path: string, headers: Headers, body: unknown, key?: string) {
  return countTrips(t, () => t.fetch(path, init(headers, body, key)));
}

function email(): string {
  return `c-${crypto.randomUUID()}@example.com`;
}

async function contactsWith(address: string) {
  return t.db.select({ id: contacts.id }).from(contacts).where(eq(contacts.email, address));
}

async function keyRow(scope: string, key: string) {
  const rows = await t.db
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key)));
  return rows[0];
}

describe.each(creates)("a keyed create of $what", (create) => {
  it("costs one round trip on its path, stores its answer after it, and replays it", async () => {
    const key = crypto.randomUUID();
    const { marker, body } = create.make();
    const first = await send(create.path, asRep, body, key);
    expect(first.response.status, first.body).toBe(create.status);
    expect(first.trips).toEqual({ path: 1, after: 1 });
    expect(first.response.headers.get(REPLAYED)).toBeNull();
    expect(await keyRow(`user:${rep.id}`, key)).toMatchObject({ status: create.status, path: create.path });

    const again = await send(create.path, asRep, body, key);
    expect(again.response.status).toBe(create.status);
    expect(again.response.headers.get(REPLAYED)).toBe("true");
    expect(again.response.headers.get("Content-Type")).toBe(first.response.headers.get("Content-Type"));
    expect(again.response.headers.get("Location")).toBe(first.response.headers.get("Location"));
    expect(again.response.headers.get("Retry-After")).toBeNull();
    expect(again.response.headers.get("X-Request-Id")).toMatch(/\S/);
    expect(again.response.headers.get("X-Request-Id")).not.toBe(first.response.headers.get("X-Request-Id"));
    expect(again.body).toBe(first.body);
    // The handler's batch found the key held and did nothing; reading the stored answer is the second trip.
    expect(again.trips).toEqual({ path: 2, after: 0 });
    expect(await create.count(marker)).toBe(1);
  });

  it("creates one record when requests with the same key race", async () => {
    const key = crypto.randomUUID();
    const { marker, body } = create.make();
    const responses = await Promise.all([1, 2, 3].map(() => t.fetch(create.path, init(asRep, body, key))));
    const firsts = responses.filter((r) => r.status === create.status && r.headers.get(REPLAYED) === null);
    expect(firsts).toHaveLength(1);
    for (const r of responses) expect([create.status, 409]).toContain(r.status);
    expect(await create.count(marker)).toBe(1);
  });
});

describe("held keys", () => {
  it("refuses the same key with another body (422) in two round trips, creating nothing", async () => {
    const key = crypto.randomUUID();
    expect((await send("/api/v1/contacts", asRep, { emails: [email()] }, key)).response.status).toBe(201);
    const other = email();
    const mismatch = await send("/api/v1/contacts", asRep, { emails: [other] }, key);
    expect(mismatch.response.status).toBe(422);
    expect(mismatch.body).toContain("Idempotency-Key");
    expect(mismatch.response.headers.get("Retry-After")).toBeNull();
    expect(mismatch.trips).toEqual({ path: 2, after: 0 });
    expect(await contactsWith(other)).toEqual([]);
  });

  it("answers 409 with Retry-After while the first request still runs, in two round trips", async () => {
    const key = crypto.randomUUID();
    const address = email();
    const body = JSON.stringify({ emails: [address] });
    await t.db.insert(idempotencyKeys).values({
      scope: `user:${rep.id}`,
      key,
      method: "POST",
      path: "/api/v1/contacts",
      bodyHash: await sha256(body),
      status: PENDING,
      response: "",
      createdAt: Date.now(),
    });
    const pending = await send("/api/v1/contacts", asRep, { emails: [address] }, key);
    expect(pending.response.status).toBe(409);
    expect(pending.response.headers.get("Retry-After")).toBe("1");
    expect(pending.body).toContain("still being processed");
    expect(pending.trips).toEqual({ path: 2, after: 0 });
    expect(await contactsWith(address)).toEqual([]);
  });
});

describe("errors keep nothing", () => {
  it("rolls the claim back with a refused batch (403): one round trip, no key, and a retry runs again", async () => {
    const key = crypto.randomUUID();
    const address = email();
    const refused = await send("/api/v1/contacts", asReadOnly, { emails: [address] }, key);
    expect(refused.response.status).toBe(403);
    expect(refused.trips).toEqual({ path: 1, after: 0 });
    expect(await t.db.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, key))).toEqual([]);
    const again = await send("/api/v1/contacts", asReadOnly, { emails: [address] }, key);
    expect(again.response.status).toBe(403);
    expect(await contactsWith(address)).toEqual([]);
  });

  it("never claims for input refused before the batch (422), so the corrected retry runs", async () => {
    const key = crypto.randomUUID();
    const invalid = await send("/api/v1/contacts", asRep, { emails: ["not an email"] }, key);
    expect(invalid.response.status).toBe(422);
    // The one trip checks the caller, as for any refused input (app.ts); no claim rides in it.
    expect(invalid.trips).toEqual({ path: 1, after: 0 });
    expect(await keyRow(`user:${rep.id}`, key)).toBeUndefined();
    const address = email();
    const fixed = await send("/api/v1/contacts", asRep, { emails: [address] }, key);
    expect(fixed.response.status).toBe(201);
    expect(fixed.response.headers.get(REPLAYED)).toBeNull();
    expect(fixed.trips).toEqual({ path: 1, after: 1 });
    expect(await contactsWith(address)).toHaveLength(1);
  });

  it("gives the key back after an error answered once its batch committed (409), and the retry runs", async () => {
    const address = email();
    const taken = await send("/api/v1/contacts", asRep, { emails: [address] });
    expect(taken.response.status).toBe(201);
    const takenId = (JSON.parse(taken.body) as { id: string }).id;

    const key = crypto.randomUUID();
    const conflict = await send("/api/v1/contacts", asRep, { firstName: "Again", emails: [address] }, key);
    expect(conflict.response.status).toBe(409);
    expect(conflict.body).toContain(takenId);
    // The batch committed (the contact was simply not inserted); the claim is given back after the answer.
    expect(conflict.trips).toEqual({ path: 1, after: 1 });
    expect(await keyRow(`user:${rep.id}`, key)).toBeUndefined();

    expect((await t.fetch(`/api/v1/contacts/${takenId}`, { method: "DELETE", headers: asRep })).status).toBe(
      204,
    );
    const retry = await send("/api/v1/contacts", asRep, { firstName: "Again", emails: [address] }, key);
    expect(retry.response.status).toBe(201);
    expect(retry.response.headers.get(REPLAYED)).toBeNull();
    expect(retry.trips).toEqual({ path: 1, after: 1 });
  });
});

describe("a route that makes no batch of its own", () => {
  // Not declared through defineRoute: the route table cannot tell that its handler checks the caller through
  // authorizedRead/authorizedWrite, so the key is claimed in a round trip of its own first.
  const app = createApp().post("/api/v1/test-teams", async (c) => {
    const { name } = await c.req.json<{ name: string }>();
    const id = newId();
    await c.get("db").insert(teams).values({ id, name, createdAt: Date.now() });
    return c.json({ id, name }, 201);
  });

  async function call(body: unknown, key: string) {
    return countTrips(t, async () => {
      const ctx = createExecutionContext();
      const response = await app.request("/api/v1/test-teams", init(asRep, body, key), t.env, ctx);
      await waitOnExecutionContext(ctx);
      return response;
    });
  }

  async function teamsNamed(name: string) {
    return t.db.select().from(teams).where(eq(teams.name, name));
  }

  it("is told apart by the route table", () => {
    expect(claimsInBatch("/api/v1/contacts")).toBe(true);
    expect(claimsInBatch("/api/v1/contacts/batch")).toBe(true);
    expect(claimsInBatch(`/api/v1/contacts/${newId()}/restore`)).toBe(true);
    expect(claimsInBatch("/api/v1/test-teams")).toBe(false);
    expect(claimsInBatch("/api/v1/contacts/extra/segments/here")).toBe(false);
  });

  it("claims first (two round trips), then replays in one", async () => {
    const key = crypto.randomUUID();
    const name = `Team ${crypto.randomUUID()}`;
    const first = await call({ name }, key);
    expect(first.response.status).toBe(201);
    expect(first.trips).toEqual({ path: 2, after: 1 });
    const again = await call({ name }, key);
    expect(again.response.status).toBe(201);
    expect(again.response.headers.get(REPLAYED)).toBe("true");
    expect(again.body).toBe(first.body);
    expect(again.trips).toEqual({ path: 1, after: 0 });
    expect(await teamsNamed(name)).toHaveLength(1);
  });

  it("creates one record when requests with the same key race", async () => {
    const key = crypto.randomUUID();
    const name = `Team ${crypto.randomUUID()}`;
    const responses = await Promise.all(
      [1, 2, 3].map(async () => {
        const ctx = createExecutionContext();
        const response = await app.request("/api/v1/test-teams", init(asRep, { name }, key), t.env, ctx);
        await waitOnExecutionContext(ctx);
        return response;
      }),
    );
    for (const r of responses) expect([201, 409]).toContain(r.status);
    expect(responses.filter((r) => r.status === 201 && r.headers.get(REPLAYED) === null)).toHaveLength(1);
    expect(await teamsNamed(name)).toHaveLength(1);
  });
});

async function sha256(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
