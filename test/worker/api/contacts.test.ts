import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { contactRoutes } from "../../../functions/api/contacts/routes.ts";
import { createApp } from "../../../functions/app.ts";
import { createTeam, createUser, sessionFor, type TestUser } from "../factories.ts";
import { useTestDatabase } from "../support.ts";

const t = useTestDatabase();
const app = createApp().route("/", contactRoutes);
type Headers = Record<string, string>;
type Json = Record<string, unknown>;

async function call(method: string, path: string, headers: Headers, body?: unknown) {
  let response: Response | undefined;
  const trips = await t.roundTrips(async () => {
    response = await app.request(
      path,
      {
        method,
        headers: { ...headers, "Content-Type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      },
      t.env,
    );
  });
  if (!response) throw new Error("no response");
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: (text ? JSON.parse(text) : {}) as Json,
    trips,
  };
}

let rep: TestUser;
let other: TestUser;
let asRep: Headers;
let asOther: Headers;
let teamId: string;

beforeAll(async () => {
  rep = await createUser(t.db, { role: "rep" });
  other = await createUser(t.db, { role: "rep" });
  teamId = await createTeam(t.db, "Sales", [{ user: rep }]);
  asRep = (await sessionFor(t.db, rep)).headers;
  asOther = (await sessionFor(t.db, other)).headers;
});

describe("contacts", () => {
  it("creates, reads, updates, deletes and restores, each in one round trip", async () => {
    const created = await call("POST", "/api/v1/contacts", asRep, {
      firstName: "Nguyễn",
      lastName: "Văn A",
      emails: ["A.Nguyen@Example.com", "a2@example.com"],
      phones: ["+1 415 555 2671"],
      tags: ["vip", "vip", "hanoi"],
      lifecycleStage: "lead",
    });
    expect(created.status).toBe(201);
    expect(created.trips).toBe(1);
    const id = created.body.id as string;
    expect(created.body).toMatchObject({
      name: "Nguyễn Văn A",
      email: "a.nguyen@example.com",
      phone: "+14155552671",
      ownerId: rep.id,
      teamId,
      tags: ["hanoi", "vip"],
      version: 1,
    });

    const got = await call("GET", `/api/v1/contacts/${id}`, asRep);
    expect(got.status).toBe(200);
    expect(got.trips).toBe(1);
    expect(got.headers.get("ETag")).toBe('W/"1"');

    const patched = await call(
      "PATCH",
      `/api/v1/contacts/${id}`,
      { ...asRep, "If-Match": 'W/"1"' },
      {
        lifecycleStage: "customer",
        ownerId: other.id,
      },
    );
    expect(patched.status).toBe(200);
    expect(patched.trips).toBe(1);
    expect(patched.body).toMatchObject({ lifecycleStage: "customer", ownerId: other.id, version: 2 });
    const activities = await t.db.all<{ type: string }>(
      sql`select type from activities where contact_id = ${id} order by type`,
    );
    expect(activities.map((a) => a.type)).toEqual(["lifecycle_change", "owner_change"]);

    // Now the other rep owns it: a stale If-Match is a 412; the first rep no longer sees it.
    const stale = await call(
      "PATCH",
      `/api/v1/contacts/${id}`,
      { ...asOther, "If-Match": 'W/"1"' },
      { jobTitle: "CTO" },
    );
    expect(stale.status).toBe(412);
    expect(stale.trips).toBe(1);
    expect((await call("GET", `/api/v1/contacts/${id}`, asRep)).status).toBe(404);

    const deleted = await call("DELETE", `/api/v1/contacts/${id}`, asOther);
    expect(deleted.status).toBe(204);
    expect(deleted.trips).toBe(1);
    expect((await call("GET", `/api/v1/contacts/${id}`, asOther)).status).toBe(404);
    expect((await call("DELETE", `/api/v1/contacts/${id}`, asOther)).status).toBe(404);
    const audit = await t.db.all<{ action: string }>(
      sql`select action from audit_log where target_id = ${id}`,
    );
    expect(audit).toEqual([{ action: "record.deleted" }]);

    const restored = await call("POST", `/api/v1/contacts/${id}/restore`, asOther);
    expect(restored.status).toBe(200);
    expect(restored.trips).toBe(1);
    expect(restored.body.deletedAt).toBeNull();
  });

  it("answers 409 naming the contact that has the email, and 422 for a bad phone or owner", async () => {
    const first = await call("POST", "/api/v1/contacts", asRep, { name: "Dup", emails: ["dup@example.com"] });
    const second = await call("POST", "/api/v1/contacts", asRep, {
      name: "Dup 2",
      emails: ["DUP@example.com"],
    });
    expect(second.status).toBe(409);
    expect(second.body.detail).toContain(first.body.id as string);
    const phone = await call("POST", "/api/v1/contacts", asRep, { name: "P", phones: ["not a phone"] });
    expect(phone.status).toBe(422);
    expect(phone.body.errors).toEqual([{ path: "phones.0", message: expect.any(String) }]);
    const owner = await call("POST", "/api/v1/contacts", asRep, { name: "O", ownerId: "nobody" });
    expect(owner.status).toBe(422);
    const missing = await call("PATCH", "/api/v1/contacts/nope", asRep, { name: "x" });
    expect(missing.status).toBe(404);
  });

  it("searches accent- and case-insensitively, with prefixes, through the index", async () => {
    const a = await call("POST", "/api/v1/contacts", asRep, { name: "Nguyễn Văn An" });
    const d = await call("POST", "/api/v1/contacts", asRep, { name: "Trần Đức" });
    const search = async (q: string) =>
      ((await call("GET", `/api/v1/contacts?q=${encodeURIComponent(q)}`, asRep)).body.items as Json[]).map(
        (c) => c.id,
      );
    expect(await search("nguyen van an")).toEqual([a.body.id]);
    expect(await search("NGU")).toContain(a.body.id);
    expect(await search("duc")).toEqual([d.body.id]);
    await call("PATCH", `/api/v1/contacts/${d.body.id as string}`, asRep, { name: "Lê Minh" });
    expect(await search("duc")).toEqual([]);
    expect(await search("le minh")).toEqual([d.body.id]);
  });

  it("pages 250 contacts 100 at a time, each once, also when contacts arrive between pages", async () => {
    const pager = await createUser(t.db, { role: "rep" });
    const asPager = (await sessionFor(t.db, pager)).headers;
    const now = Date.now();
    const values = Array.from(
      { length: 250 },
      (_, i) =>
        sql`(${`p-${String(i).padStart(4, "0")}-${crypto.randomUUID()}`}, ${`Person ${i}`}, ${pager.id}, ${now}, ${now})`,
    );
    await t.db.run(
      sql`insert into contacts (id, name, owner_id, created_at, updated_at) values ${sql.join(values, sql`, `)}`,
    );
    for (const sort of ["id", "name", "-updatedAt"]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await call(
          "GET",
          `/api/v1/contacts?limit=100&sort=${sort}${cursor ? `&cursor=${cursor}` : ""}`,
          asPager,
        );
        expect(page.trips).toBe(1);
        seen.push(...(page.body.items as Json[]).map((c) => c.id as string));
        cursor = page.body.nextCursor as string | null;
        pages += 1;
        if (pages === 1) {
          // Arrivals before and after the cursor must not repeat or drop anything already promised.
          await call("POST", "/api/v1/contacts", asPager, { name: `Arrival ${sort}` });
        }
      } while (cursor);
      const original = seen.filter((id) => id.startsWith("p-"));
      expect(original).toHaveLength(250);
      expect(new Set(seen).size).toBe(seen.length);
    }
  });

  it("pages a search newest match first, each once, also when matches arrive between pages", async () => {
    const searcher = await createUser(t.db, { role: "rep" });
    const asSearcher = (await sessionFor(t.db, searcher)).headers;
    const made: string[] = [];
    for (let i = 0; i < 7; i++) {
      const { body } = await call("POST", "/api/v1/contacts", asSearcher, { name: `Phạm Quỳnh ${i}` });
      made.push(body.id as string);
    }
    // Someone else's match is never shown.
    await call("POST", "/api/v1/contacts", asOther, { name: "Phạm Quỳnh Other" });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await call(
        "GET",
        `/api/v1/contacts?q=pham+quynh&limit=3${cursor ? `&cursor=${cursor}` : ""}`,
        asSearcher,
      );
      expect(page.status).toBe(200);
      expect(page.trips).toBe(1);
      seen.push(...(page.body.items as Json[]).map((c) => c.id as string));
      cursor = page.body.nextCursor as string | null;
      pages += 1;
      if (pages === 1) await call("POST", "/api/v1/contacts", asSearcher, { name: "Phạm Quỳnh Late" });
    } while (cursor);
    // Newest first: the first page holds the last made, and the late arrival (newer than the cursor) is not
    // pushed into later pages, so nothing repeats.
    expect(seen.slice(0, 3)).toEqual(made.slice(-3).reverse());
    expect(seen.filter((id) => made.includes(id))).toEqual([...made].reverse());
    expect(new Set(seen).size).toBe(seen.length);
    // With a sort, every match is sorted by it.
    const byName = await call("GET", "/api/v1/contacts?q=pham+quynh&sort=-name&limit=2", asSearcher);
    expect((byName.body.items as Json[]).map((c) => c.name)).toEqual(["Phạm Quỳnh Late", "Phạm Quỳnh 6"]);
  });

  it("lists in id order a manager's own and team rows, a rep's own, and everything for an admin", async () => {
    const boss = await createUser(t.db, { role: "manager" });
    const admin = await createUser(t.db, { role: "admin" });
    const member = await createUser(t.db, { role: "rep" });
    const team = await createTeam(t.db, `Parts ${crypto.randomUUID()}`, [
      { user: boss, lead: true },
      { user: member },
    ]);
    const as = async (user: TestUser) => (await sessionFor(t.db, user)).headers;
    const mine = await call("POST", "/api/v1/contacts", await as(boss), { name: "Boss own", teamId: team });
    const theirs = await call("POST", "/api/v1/contacts", await as(member), {
      name: "Member's",
      teamId: team,
    });
    const outside = await call("POST", "/api/v1/contacts", asOther, { name: "Outside" });
    const ids = async (user: TestUser, filter = "") =>
      (
        (await call("GET", `/api/v1/contacts?limit=200&sort=-id${filter}`, await as(user))).body
          .items as Json[]
      ).map((c) => c.id);
    expect(await ids(boss)).toEqual([theirs.body.id, mine.body.id]);
    expect(await ids(member)).toEqual([theirs.body.id]);
    expect(await ids(admin, `&team=${team}`)).toEqual([theirs.body.id, mine.body.id]);
    expect(await ids(admin, `&owner=${other.id}`)).toContain(outside.body.id);
    expect(await ids(boss, `&owner=${other.id}`)).toEqual([]);
  });

  it("filters by lifecycle, tag and custom value", async () => {
    const c = await call("POST", "/api/v1/contacts", asRep, {
      name: "Filter me",
      tags: ["filter-tag"],
      lifecycleStage: "mql",
    });
    const byTag = await call("GET", "/api/v1/contacts?tag=filter-tag&lifecycleStage=mql", asRep);
    expect((byTag.body.items as Json[]).map((x) => x.id)).toEqual([c.body.id]);
    const none = await call("GET", "/api/v1/contacts?tag=filter-tag&lifecycleStage=sql", asRep);
    expect(none.body.items).toEqual([]);
  });

  it("uses indexes for list, filter, sort and search", async () => {
    const plans = async (query: ReturnType<typeof sql>) =>
      (await t.db.all<{ detail: string }>(sql`explain query plan ${query}`)).map((r) => r.detail);
    const checks = [
      sql`select id from contacts where deleted_at is null order by id limit 101`,
      sql`select id from contacts where lifecycle_stage = 'lead' and deleted_at is null order by id limit 101`,
      sql`select id from contacts where deleted_at is null and (name, id) > ('M', '') order by name, id limit 101`,
      sql`select id from contacts where id in (select s.id from contacts_fts join contacts_search s on s.rowid = contacts_fts.rowid where contacts_fts match '"nguyen"*') order by id limit 101`,
      sql`select id from contacts where id in (select contact_id from contact_tags where tag = 'vip') order by id limit 101`,
    ];
    for (const check of checks) {
      const details = await plans(check);
      for (const detail of details) expect(detail).not.toMatch(/^SCAN (contacts|c)$/);
      expect(details.join(" ")).toMatch(/INDEX|PRIMARY KEY|VIRTUAL TABLE/);
    }
  });
});

describe("paging by name", () => {
  it("follows a cursor whose name is Vietnamese, without an error", async () => {
    const names = ["Phở Bò", "Đặng Thị Hoa", "Nguyễn Văn Ánh"];
    for (const name of names)
      expect((await call("POST", "/api/v1/contacts", asRep, { name })).status).toBe(201);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
      const page = await call("GET", `/api/v1/contacts?sort=name&limit=1${query}`, asRep);
      expect(page.status).toBe(200);
      for (const item of page.body.items as { name: string }[]) seen.push(item.name);
      cursor = page.body.nextCursor as string | null;
    } while (cursor);
    expect(seen).toEqual(expect.arrayContaining(names));
  });
});
