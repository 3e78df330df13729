import { beforeAll, describe, expect, it } from "vitest";
import { createUser, sessionFor } from "../factories.ts";
import { useTestDatabase } from "../support.ts";
import { caller, type Headers, type Json } from "./companies-helpers.ts";

const t = useTestDatabase();
const call = caller(t);

let asRep: Headers;
let asOther: Headers;

beforeAll(async () => {
  asRep = (await sessionFor(t.db, await createUser(t.db, { role: "rep" }))).headers;
  asOther = (await sessionFor(t.db, await createUser(t.db, { role: "rep" }))).headers;
});

describe("POST /api/v1/companies/batch", () => {
  it("creates and updates by normalised domain, a result per item, in one round trip", async () => {
    const existing = await call("POST", "/api/v1/companies", asRep, {
      name: "Acme",
      domain: "acme.io",
      industry: "Tools",
    });
    const theirs = await call("POST", "/api/v1/companies", asOther, { name: "Theirs", domain: "theirs.io" });
    const batch = await call("POST", "/api/v1/companies/batch", asRep, {
      items: [
        { name: "Beta", domain: "https://www.Beta.vn/about" },
        { domain: "ACME.io", country: "US" },
        { name: "No domain" },
        { domain: "unknown.io" },
        { name: "Bad", domain: "not a domain" },
        { name: "Taken", domain: "theirs.io" },
        { name: 5 },
        { name: "Beta again", domain: "beta.vn" },
      ],
    });
    expect(batch.status).toBe(200);
    expect(batch.trips).toBe(1);
    const results = batch.body.results as Json[];
    expect(results.map((r) => r.status)).toEqual([
      "created",
      "updated",
      "created",
      "error",
      "error",
      "error",
      "error",
      "updated",
    ]);
    expect(results[1]?.id).toBe(existing.body.id);
    expect(results[7]?.id).toBe(results[0]?.id);
    expect(results[3]?.errors).toEqual([{ path: "name", message: "Required." }]);
    expect(results[4]?.errors).toEqual([{ path: "domain", message: expect.any(String) }]);
    expect(results[5]?.errors).toEqual([{ path: "domain", message: expect.any(String) }]);
    expect((results[6]?.errors as Json[] | undefined)?.[0]?.path).toBe("name");
    expect(batch.body.counts).toEqual({ created: 2, updated: 2, error: 4 });

    const acme = await call("GET", `/api/v1/companies/${existing.body.id as string}`, asRep);
    expect(acme.body).toMatchObject({ name: "Acme", industry: "Tools", country: "US", version: 2 });
    const beta = await call("GET", `/api/v1/companies/${results[0]?.id as string}`, asRep);
    expect(beta.body).toMatchObject({ name: "Beta again", domain: "beta.vn" });
    const untouched = await call("GET", `/api/v1/companies/${theirs.body.id as string}`, asOther);
    expect(untouched.body).toMatchObject({ name: "Theirs", version: 1 });
  });

  it("upserts 100 companies in one round trip, and refuses a batch over 100", async () => {
    const items = Array.from({ length: 100 }, (_, i) => ({
      name: `Bulk ${i}`,
      domain: `bulk${i}.example.com`,
    }));
    const first = await call("POST", "/api/v1/companies/batch", asRep, { items });
    expect(first.trips).toBe(1);
    expect(first.body.counts).toEqual({ created: 100, updated: 0, error: 0 });
    const second = await call("POST", "/api/v1/companies/batch", asRep, { items });
    expect(second.trips).toBe(1);
    expect(second.body.counts).toEqual({ created: 0, updated: 100, error: 0 });
    const over = await call("POST", "/api/v1/companies/batch", asRep, { items: [...items, { name: "x" }] });
    expect(over.status).toBe(422);
  });

  it("replays a batch sent again with the same Idempotency-Key instead of running it twice", async () => {
    // Through the Worker's own fetch, which waits for the response to be stored (waitUntil) before the replay.
    const send = async () => {
      const response = await t.fetch("/api/v1/companies/batch", {
        method: "POST",
        headers: { ...asRep, "Idempotency-Key": key, "Content-Type": "application/json" },
        body: JSON.stringify({ items: [{ name: "Once", domain: "once.example.com" }] }),
      });
      return {
        status: response.status,
        replayed: response.headers.get("Idempotent-Replayed"),
        body: (await response.json()) as Json,
      };
    };
    const key = `batch-${crypto.randomUUID()}`;
    const first = await send();
    expect(first.body.counts).toEqual({ created: 1, updated: 0, error: 0 });
    const replay = await send();
    expect(replay.status).toBe(200);
    expect(replay.replayed).toBe("true");
    expect(replay.body).toEqual(first.body);
    const company = await call(
      "GET",
      `/api/v1/companies/${(first.body.results as Json[])[0]?.id as string}`,
      asRep,
    );
    expect(company.body.version).toBe(1);
  });
});
