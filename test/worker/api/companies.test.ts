import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { normalizeDomain } from "../../../db/companies/domain.ts";
import { insertDefinitionStatement } from "../../../db/custom-fields.ts";
import { createTeam, createUser, sessionFor, type TestUser } from "../factories.ts";
import { useTestDatabase } from "../support.ts";
import { caller, type Headers, type Json } from "./companies-helpers.ts";

const t = useTestDatabase();
const call = caller(t);

let rep: TestUser;
let other: TestUser;
let asRep: Headers;
let asOther: Headers;
let asReadOnly: Headers;
let teamId: string;

beforeAll(async () => {
  rep = await createUser(t.db, { role: "rep" });
  other = await createUser(t.db, { role: "rep" });
  teamId = await createTeam(t.db, "Sales", [{ user: rep }]);
  asRep = (await sessionFor(t.db, rep)).headers;
  asOther = (await sessionFor(t.db, other)).headers;
  asReadOnly = (await sessionFor(t.db, await createUser(t.db, { role: "read_only" }))).headers;
});

describe("domain normalisation", () => {
  it("lower-cases and drops scheme, www., port, path and trailing dot; refuses what is not a domain", () => {
    expect(normalizeDomain("https://www.Example.com/about?x=1")).toBe("example.com");
    expect(normalizeDomain("WWW.EXAMPLE.COM.")).toBe("example.com");
    expect(normalizeDomain("http://sub.example.co.uk:8080/")).toBe("sub.example.co.uk");
    expect(normalizeDomain("café.vn")).toBe("xn--caf-dma.vn");
    expect(normalizeDomain("not a domain")).toBeNull();
    expect(normalizeDomain("localhost")).toBeNull();
  });
});

describe("companies", () => {
  it("creates, reads, updates, deletes and restores, each in one round trip", async () => {
    const created = await call("POST", "/api/v1/companies", asRep, {
      name: "Công ty Đông Á",
      domain: "https://www.DongA.vn/lien-he",
      industry: "Banking",
      country: "VN",
    });
    expect(created.status).toBe(201);
    expect(created.trips).toBe(1);
    const id = created.body.id as string;
    expect(created.headers.get("Location")).toBe(`/api/v1/companies/${id}`);
    expect(created.body).toMatchObject({ domain: "donga.vn", ownerId: rep.id, teamId, version: 1 });

    const got = await call("GET", `/api/v1/companies/${id}`, asRep);
    expect(got.status).toBe(200);
    expect(got.trips).toBe(1);
    expect(got.headers.get("ETag")).toBe('W/"1"');
    expect((await call("GET", `/api/v1/companies/${id}`, asOther)).status).toBe(404);

    const patched = await call(
      "PATCH",
      `/api/v1/companies/${id}`,
      { ...asRep, "If-Match": 'W/"1"' },
      { size: "51-200", domain: "donga.com.vn" },
    );
    expect(patched.status).toBe(200);
    expect(patched.trips).toBe(1);
    expect(patched.body).toMatchObject({ size: "51-200", domain: "donga.com.vn", version: 2 });
    expect(patched.headers.get("ETag")).toBe('W/"2"');

    const stale = await call(
      "PATCH",
      `/api/v1/companies/${id}`,
      { ...asRep, "If-Match": 'W/"1"' },
      { size: "1" },
    );
    expect(stale.status).toBe(412);
    expect(stale.trips).toBe(1);

    const deleted = await call("DELETE", `/api/v1/companies/${id}`, asRep);
    expect(deleted.status).toBe(204);
    expect(deleted.trips).toBe(1);
    expect((await call("GET", `/api/v1/companies/${id}`, asRep)).status).toBe(404);
    expect((await call("DELETE", `/api/v1/companies/${id}`, asRep)).status).toBe(404);
    const audit = await t.db.all<{ action: string; target_type: string }>(
      sql`select action, target_type from audit_log where target_id = ${id}`,
    );
    expect(audit).toEqual([{ action: "record.deleted", target_type: "company" }]);

    const restored = await call("POST", `/api/v1/companies/${id}/restore`, asRep);
    expect(restored.status).toBe(200);
    expect(restored.trips).toBe(1);
    expect(restored.body).toMatchObject({ deletedAt: null, version: 4 });
    // Restoring a live company changes nothing and answers with it.
    const again = await call("POST", `/api/v1/companies/${id}/restore`, asRep);
    expect(again.status).toBe(200);
    expect(again.body.version).toBe(4);
    expect((await call("POST", `/api/v1/companies/${id}/restore`, asOther)).status).toBe(404);
  });

  it("answers 409 naming the live company with the domain, also on update and restore", async () => {
    const first = await call("POST", "/api/v1/companies", asRep, { name: "Acme", domain: "acme.io" });
    expect(first.status).toBe(201);
    const dup = await call("POST", "/api/v1/companies", asOther, {
      name: "Acme 2",
      domain: "http://WWW.acme.io/x",
    });
    expect(dup.status).toBe(409);
    expect(dup.body.detail).toContain(first.body.id as string);
    const second = await call("POST", "/api/v1/companies", asRep, { name: "Acme B", domain: "acme-b.io" });
    const clash = await call("PATCH", `/api/v1/companies/${second.body.id as string}`, asRep, {
      domain: "acme.io",
    });
    expect(clash.status).toBe(409);
    expect(clash.body.detail).toContain(first.body.id as string);

    // Deleted, its domain is free; restoring it while another company holds the domain is a 409.
    await call("DELETE", `/api/v1/companies/${first.body.id as string}`, asRep);
    const taker = await call("POST", "/api/v1/companies", asRep, { name: "Acme new", domain: "acme.io" });
    expect(taker.status).toBe(201);
    const restore = await call("POST", `/api/v1/companies/${first.body.id as string}/restore`, asRep);
    expect(restore.status).toBe(409);
    expect(restore.body.detail).toContain(taker.body.id as string);
  });

  it("refuses bad input with 422 naming the field, and read-only users with 403", async () => {
    const noName = await call("POST", "/api/v1/companies", asRep, { domain: "x.io" });
    expect(noName.status).toBe(422);
    const badDomain = await call("POST", "/api/v1/companies", asRep, { name: "Bad", domain: "not a domain" });
    expect(badDomain.status).toBe(422);
    expect(badDomain.body.errors).toEqual([{ path: "domain", message: expect.any(String) }]);
    const owner = await call("POST", "/api/v1/companies", asRep, { name: "O", ownerId: "nobody" });
    expect(owner.status).toBe(422);
    expect(owner.body.errors).toEqual([{ path: "ownerId", message: expect.any(String) }]);
    expect((await call("PATCH", "/api/v1/companies/nope", asRep, { name: "x" })).status).toBe(404);
    expect((await call("POST", "/api/v1/companies", asReadOnly, { name: "R" })).status).toBe(403);
    const ifMatch = await call(
      "PATCH",
      "/api/v1/companies/nope",
      { ...asRep, "If-Match": "3" },
      { name: "x" },
    );
    expect(ifMatch.status).toBe(400);
  });

  it("validates custom values against the company's definitions and filters on them", async () => {
    await insertDefinitionStatement(
      t.db,
      { object: "company", key: "tier", label: "Tier", type: "select", options: ["gold", "silver"] },
      Date.now(),
    );
    const bad = await call("POST", "/api/v1/companies", asRep, {
      name: "Tiered",
      custom: { tier: "bronze" },
    });
    expect(bad.status).toBe(422);
    expect(bad.trips).toBe(1);
    expect(bad.body.errors).toEqual([{ path: "custom.tier", message: expect.any(String) }]);
    const good = await call("POST", "/api/v1/companies", asRep, { name: "Tiered", custom: { tier: "gold" } });
    expect(good.status).toBe(201);
    const list = await call("GET", "/api/v1/companies?custom.tier=gold", asRep);
    expect((list.body.items as Json[]).map((c) => c.id)).toEqual([good.body.id]);
  });

  it("lists with filters, sorts, search and keyset pages, in one round trip each", async () => {
    const lister = await createUser(t.db, { role: "rep" });
    const asLister = (await sessionFor(t.db, lister)).headers;
    const names = ["Phở Hà Nội", "Bánh Mì Sài Gòn", "Zeta Corp", "Alpha Ltd", "Cà Phê Đà Lạt"];
    const ids: string[] = [];
    for (const [i, name] of names.entries()) {
      const made = await call("POST", "/api/v1/companies", asLister, {
        name,
        industry: i % 2 === 0 ? "Food" : "Tech",
        country: i < 3 ? "VN" : "US",
      });
      ids.push(made.body.id as string);
    }
    const idsOf = (body: Json) => (body.items as Json[]).map((c) => c.id);
    const byName = await call("GET", "/api/v1/companies?sort=name", asLister);
    expect(byName.trips).toBe(1);
    expect((byName.body.items as Json[]).map((c) => c.name)).toEqual([...names].sort());
    const food = await call("GET", "/api/v1/companies?industry=Food&country=VN", asLister);
    expect(idsOf(food.body)).toEqual([ids[0], ids[2]]);
    const owned = await call("GET", `/api/v1/companies?owner=${lister.id}&sort=-createdAt`, asLister);
    expect(idsOf(owned.body)).toEqual([...ids].reverse());
    const search = await call("GET", `/api/v1/companies?q=${encodeURIComponent("da lat")}`, asLister);
    expect(search.trips).toBe(1);
    expect(idsOf(search.body)).toEqual([ids[4]]);
    const created = await call("GET", `/api/v1/companies?createdFrom=${Date.now() + 60_000}`, asLister);
    expect(created.body.items).toEqual([]);

    const seen: unknown[] = [];
    let cursor: string | null = null;
    do {
      const page = await call(
        "GET",
        `/api/v1/companies?limit=2&sort=-name${cursor ? `&cursor=${cursor}` : ""}`,
        asLister,
      );
      expect(page.status).toBe(200);
      expect(page.trips).toBe(1);
      seen.push(...idsOf(page.body));
      cursor = page.body.nextCursor as string | null;
    } while (cursor);
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
    expect((await call("GET", "/api/v1/companies?cursor=garbage", asLister)).status).toBe(422);
    expect((await call("GET", "/api/v1/companies?sort=domain", asLister)).status).toBe(422);
  });

  it("uses indexes for list, filter, sort and search", async () => {
    const plans = async (query: ReturnType<typeof sql>) =>
      (await t.db.all<{ detail: string }>(sql`explain query plan ${query}`)).map((r) => r.detail);
    const checks = [
      sql`select id from companies where deleted_at is null order by id limit 101`,
      sql`select id from companies where owner_id = 'u' and deleted_at is null order by id limit 101`,
      sql`select id from companies where deleted_at is null and (name, id) > ('M', '') order by name, id limit 101`,
      sql`select id from companies where deleted_at is null order by updated_at desc, id desc limit 101`,
      sql`select id from companies where domain = 'acme.io' and deleted_at is null`,
      sql`select id from companies where id in (select s.id from companies_fts join companies_search s on s.rowid = companies_fts.rowid where companies_fts match '"acme"*') order by id limit 101`,
    ];
    for (const check of checks) {
      const details = await plans(check);
      for (const detail of details) expect(detail).not.toMatch(/^SCAN companies$/);
      expect(details.join(" ")).toMatch(/INDEX|PRIMARY KEY|VIRTUAL TABLE/);
    }
  });
});
