import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { insertDefinitionStatement } from "../../../db/custom-fields.ts";
import { createUser, sessionFor, type TestUser } from "../factories.ts";
import { useTestDatabase } from "../support.ts";
import { caller, type Headers, type Json } from "./companies-helpers.ts";

const t = useTestDatabase();
const call = caller(t);

let rep: TestUser;
let asRep: Headers;
let asOther: Headers;
let asReadOnly: Headers;

beforeAll(async () => {
  rep = await createUser(t.db, { role: "rep" });
  asRep = (await sessionFor(t.db, rep)).headers;
  asOther = (await sessionFor(t.db, await createUser(t.db, { role: "rep" }))).headers;
  asReadOnly = (await sessionFor(t.db, await createUser(t.db, { role: "read_only" }))).headers;
});

describe("POST /api/v1/contacts/batch", () => {
  it("creates and updates by primary email, a result per item, in one round trip", async () => {
    const existing = await call("POST", "/api/v1/contacts", asRep, {
      name: "Lan",
      emails: ["lan@example.com"],
      jobTitle: "CEO",
      tags: ["old"],
    });
    const batch = await call("POST", "/api/v1/contacts/batch", asRep, {
      items: [
        { name: "Minh", emails: ["minh@example.com"], tags: ["new"] },
        { emails: ["LAN@example.com"], phones: ["+1 415 555 2671"], tags: ["vip"] },
        { name: "No email" },
        { name: "Bad phone", emails: ["bad@example.com"], phones: ["nope"] },
        { name: "Bad shape", emails: "x" },
      ],
    });
    expect(batch.status).toBe(200);
    expect(batch.trips).toBe(1);
    const results = batch.body.results as Json[];
    expect(results.map((r) => [r.index, r.status])).toEqual([
      [0, "created"],
      [1, "updated"],
      [2, "created"],
      [3, "error"],
      [4, "error"],
    ]);
    expect(results[1]?.id).toBe(existing.body.id);
    expect(results[3]?.errors).toEqual([{ path: "phones.0", message: expect.any(String) }]);
    expect((results[4]?.errors as Json[] | undefined)?.[0]?.path).toBe("emails");
    expect(batch.body.counts).toEqual({ created: 2, updated: 1, error: 2 });

    const updated = await call("GET", `/api/v1/contacts/${existing.body.id as string}`, asRep);
    // Only what the item sent changed: the name and job title stay, the tags are replaced.
    expect(updated.body).toMatchObject({
      name: "Lan",
      jobTitle: "CEO",
      phone: "+14155552671",
      tags: ["vip"],
      version: 2,
    });
    const created = await call("GET", `/api/v1/contacts/${results[0]?.id as string}`, asRep);
    expect(created.body).toMatchObject({
      name: "Minh",
      email: "minh@example.com",
      ownerId: rep.id,
      tags: ["new"],
    });
    const bad = await t.db.all(sql`select id from contacts where email = 'bad@example.com'`);
    expect(bad).toEqual([]);
  });

  it("puts owner and lifecycle changes of existing contacts on their timeline", async () => {
    const other = await createUser(t.db, { role: "rep" });
    const lead = await call("POST", "/api/v1/contacts", asRep, {
      name: "Hoa",
      emails: ["hoa@example.com"],
      lifecycleStage: "lead",
    });
    const batch = await call("POST", "/api/v1/contacts/batch", asRep, {
      items: [
        { emails: ["hoa@example.com"], lifecycleStage: "customer", ownerId: other.id },
        { name: "Fresh", emails: ["fresh@example.com"], lifecycleStage: "customer" },
      ],
    });
    expect(batch.trips).toBe(1);
    expect((batch.body.results as Json[]).map((r) => r.status)).toEqual(["updated", "created"]);
    const activities = await t.db.all<{ type: string; contact_id: string }>(
      sql`select type, contact_id from activities where contact_id in (${lead.body.id as string}, ${(batch.body.results as Json[])[1]?.id as string}) order by type`,
    );
    expect(activities).toEqual([
      { type: "lifecycle_change", contact_id: lead.body.id },
      { type: "owner_change", contact_id: lead.body.id },
    ]);
  });

  it("reports a contact the caller may not change as an error, and leaves it alone", async () => {
    const theirs = await call("POST", "/api/v1/contacts", asOther, {
      name: "Theirs",
      emails: ["theirs@example.com"],
    });
    const batch = await call("POST", "/api/v1/contacts/batch", asRep, {
      items: [{ name: "Mine now", emails: ["theirs@example.com"] }],
    });
    expect(batch.status).toBe(200);
    expect((batch.body.results as Json[])[0]).toMatchObject({
      status: "error",
      errors: [{ path: "emails.0" }],
    });
    const after = await call("GET", `/api/v1/contacts/${theirs.body.id as string}`, asOther);
    expect(after.body).toMatchObject({ name: "Theirs", version: 1 });
  });

  it("requires custom fields on creates only, and validates custom values per item", async () => {
    await call("POST", "/api/v1/contacts", asRep, { name: "Has budget", emails: ["budget@example.com"] });
    await insertDefinitionStatement(
      t.db,
      { object: "contact", key: "budget", label: "Budget", type: "number", required: true },
      Date.now(),
    );
    const batch = await call("POST", "/api/v1/contacts/batch", asRep, {
      items: [
        { emails: ["budget@example.com"], jobTitle: "CFO" },
        { name: "New", emails: ["new-budget@example.com"] },
        { name: "New ok", emails: ["ok-budget@example.com"], custom: { budget: 10 } },
        { name: "Bad", emails: ["bad-budget@example.com"], custom: { budget: "lots" } },
      ],
    });
    expect(batch.status).toBe(200);
    const results = batch.body.results as Json[];
    expect(results.map((r) => r.status)).toEqual(["updated", "error", "created", "error"]);
    expect(results[1]?.errors).toEqual([{ path: "custom.budget", message: "Required." }]);
    expect(results[3]?.errors).toEqual([{ path: "custom.budget", message: expect.any(String) }]);
    // The other tests in this file create contacts without the field.
    await t.db.run(
      sql`update custom_field_definitions set archived_at = ${Date.now()}, updated_at = ${Date.now()}`,
    );
    // A change of definitions costs the next write in this isolate a configuration read; pay it here.
    await call("POST", "/api/v1/contacts/batch", asRep, { items: [{ name: "Refresh" }] });
  });

  it("refuses an empty or oversized batch, and read-only users", async () => {
    expect((await call("POST", "/api/v1/contacts/batch", asRep, { items: [] })).status).toBe(422);
    const tooMany = Array.from({ length: 101 }, (_, i) => ({ name: `P${i}` }));
    expect((await call("POST", "/api/v1/contacts/batch", asRep, { items: tooMany })).status).toBe(422);
    expect((await call("POST", "/api/v1/contacts/batch", asRep, [])).status).toBe(422);
    const readOnly = await call("POST", "/api/v1/contacts/batch", asReadOnly, { items: [{ name: "R" }] });
    expect(readOnly.status).toBe(403);
  });

  it("upserts 100 contacts in one round trip", async () => {
    const items = Array.from({ length: 100 }, (_, i) => ({
      name: `Bulk ${i}`,
      emails: [`bulk${i}@example.com`],
      tags: ["bulk"],
    }));
    const first = await call("POST", "/api/v1/contacts/batch", asRep, { items });
    expect(first.trips).toBe(1);
    expect(first.body.counts).toEqual({ created: 100, updated: 0, error: 0 });
    const second = await call("POST", "/api/v1/contacts/batch", asRep, { items });
    expect(second.trips).toBe(1);
    expect(second.body.counts).toEqual({ created: 0, updated: 100, error: 0 });
  });
});
