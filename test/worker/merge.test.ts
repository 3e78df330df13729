// Merging: the survivor holds every activity, deal, task and tag of both contacts (and the newer consent), the
// merged contact's id answers with a redirect to the survivor (also after a further merge), the merge is
// audited and on the timeline; companies merge the same way. Each merge is one round trip.
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../db/ids.ts";
import {
  activities,
  companies,
  contacts,
  contactTags,
  dealContacts,
  deals,
  tasks,
} from "../../db/schema/index.ts";
import { createUser, sessionFor } from "./factories.ts";
import type { Headers } from "./forms-support.ts";
import { importsTest } from "./imports-support.ts";

const { t, call } = importsTest();
let asAdmin: Headers;
let adminId: string;
const PIPELINE = "01900000-0000-7000-8000-000000000001";
const STAGE = "01900000-0000-7000-8000-000000000013";

beforeAll(async () => {
  const admin = await createUser(t.db, { role: "admin" });
  adminId = admin.id;
  asAdmin = (await sessionFor(t.db, admin)).headers;
});

async function contact(values: Partial<typeof contacts.$inferInsert>) {
  const id = newId();
  const now = Date.now();
  await t.db
    .insert(contacts)
    .values({ id, name: "Someone", ownerId: adminId, createdAt: now, updatedAt: now, ...values });
  return id;
}

async function around(contactId: string, label: string, count: number) {
  const now = Date.now();
  for (let i = 0; i < count; i++) {
    await t.db.insert(activities).values({
      id: newId(),
      type: "note",
      occurredAt: now - i,
      contactId,
      body: `${label} note ${i}`,
      createdAt: now,
    });
    await t.db.insert(tasks).values({
      id: newId(),
      title: `${label} task ${i}`,
      contactId,
      ownerId: adminId,
      createdAt: now,
      updatedAt: now,
    });
    const deal = newId();
    await t.db.insert(deals).values({
      id: deal,
      name: `${label} deal ${i}`,
      currency: "VND",
      pipelineId: PIPELINE,
      stageId: STAGE,
      stageEnteredAt: now,
      ownerId: adminId,
      createdAt: now,
      updatedAt: now,
    });
    await t.db.insert(dealContacts).values({ dealId: deal, contactId });
  }
}

describe("contacts", () => {
  let survivor: string;
  let merged: string;

  it("moves every activity, deal, task and tag to the survivor, takes the chosen values, and redirects the merged id", async () => {
    survivor = await contact({
      name: "Nguyễn Văn An",
      email: "an@example.com",
      emails: '["an@example.com"]',
      jobTitle: "CEO",
    });
    merged = await contact({
      name: "Nguyen Van An",
      email: "an.nguyen@gmail.com",
      emails: '["an.nguyen@gmail.com"]',
      phone: "+84912000222",
      phones: '["+84912000222"]',
      emailConsent: "granted",
      consentAt: Date.now(),
      consentSource: "form:x",
    });
    await around(survivor, "S", 2);
    await around(merged, "M", 3);
    await t.db.insert(contactTags).values([
      { contactId: survivor, tag: "vip" },
      { contactId: merged, tag: "vip" },
      { contactId: merged, tag: "hanoi" },
    ]);

    const done = await call("POST", "/api/v1/contacts/merge", asAdmin, {
      survivorId: survivor,
      mergedId: merged,
      pick: { email: "merged" },
    });
    expect(done.status, done.text).toBe(200);
    expect(done.trips).toBe(1);
    expect(done.body).toMatchObject({
      id: survivor,
      name: "Nguyễn Văn An",
      email: "an.nguyen@gmail.com",
      emails: ["an.nguyen@gmail.com", "an@example.com"],
      phone: "+84912000222",
      jobTitle: "CEO",
      consent: { email: "granted", source: "form:x" },
      tags: ["hanoi", "vip"],
    });

    const [held] = await t.db.all<{
      notes: number;
      system: number;
      tasks: number;
      deals: number;
      left: number;
    }>(sql`select
      (select count(*) from activities where contact_id = ${survivor} and type = 'note') as notes,
      (select count(*) from activities where contact_id = ${survivor} and type = 'system') as system,
      (select count(*) from tasks where contact_id = ${survivor}) as tasks,
      (select count(*) from deal_contacts where contact_id = ${survivor}) as deals,
      (select (select count(*) from activities where contact_id = ${merged}) + (select count(*) from tasks where contact_id = ${merged})
        + (select count(*) from deal_contacts where contact_id = ${merged})) as left`);
    expect(held).toEqual({ notes: 5, system: 1, tasks: 5, deals: 5, left: 0 });

    const moved = await call("GET", `/api/v1/contacts/${merged}`, asAdmin, undefined);
    expect(moved.status).toBe(308);
    expect(moved.headers.get("location")).toBe(`/api/v1/contacts/${survivor}`);
    expect(moved.trips).toBe(1);
    const [audit] = await t.db.all<{ n: number }>(
      sql`select count(*) as n from audit_log where action = 'record.merged' and target_id = ${survivor}`,
    );
    expect(audit?.n).toBe(1);
  });

  it("redirects an id merged earlier to the latest survivor", async () => {
    const third = await contact({ name: "An (third)" });
    expect(
      (await call("POST", "/api/v1/contacts/merge", asAdmin, { survivorId: third, mergedId: survivor }))
        .status,
    ).toBe(200);
    for (const old of [merged, survivor]) {
      const moved = await call("GET", `/api/v1/contacts/${old}`, asAdmin);
      expect(moved.status).toBe(308);
      expect(moved.headers.get("location")).toBe(`/api/v1/contacts/${third}`);
    }
  });

  it("refuses a merge into itself (422), of a contact gone or not the caller's (404), changing nothing", async () => {
    const a = await contact({ name: "A" });
    expect(
      (await call("POST", "/api/v1/contacts/merge", asAdmin, { survivorId: a, mergedId: a })).status,
    ).toBe(422);
    expect(
      (await call("POST", "/api/v1/contacts/merge", asAdmin, { survivorId: a, mergedId: merged })).status,
    ).toBe(404);
    const rep = await createUser(t.db, { role: "rep" });
    const mine = await contact({ name: "Mine", ownerId: rep.id });
    const repHeaders = (await sessionFor(t.db, rep)).headers;
    const refused = await call("POST", "/api/v1/contacts/merge", repHeaders, {
      survivorId: mine,
      mergedId: a,
    });
    expect(refused.status).toBe(404);
    expect(refused.trips).toBe(1);
    const [live] = await t.db.all<{ n: number }>(
      sql`select count(*) as n from contacts where id in (${a}, ${mine}) and deleted_at is null`,
    );
    expect(live?.n).toBe(2);
    // A rep's GET of a merged id they cannot see the survivor of is a plain 404.
    expect((await call("GET", `/api/v1/contacts/${merged}`, repHeaders)).status).toBe(404);
  });
});

it("merges companies: contacts and deals move, the merged domain may be kept, the merged id redirects", async () => {
  const now = Date.now();
  const [keep, drop] = [newId(), newId()];
  await t.db.insert(companies).values([
    { id: keep, name: "Công ty An Phát", ownerId: adminId, createdAt: now, updatedAt: now },
    {
      id: drop,
      name: "An Phat JSC",
      domain: "anphat.vn",
      industry: "Logistics",
      ownerId: adminId,
      createdAt: now,
      updatedAt: now,
    },
  ]);
  const person = await contact({ name: "Worker", companyId: drop });
  const merged = await call("POST", "/api/v1/companies/merge", asAdmin, { survivorId: keep, mergedId: drop });
  expect(merged.status, merged.text).toBe(200);
  expect(merged.body).toMatchObject({
    id: keep,
    name: "Công ty An Phát",
    domain: "anphat.vn",
    industry: "Logistics",
  });
  const [row] = await t.db.all<{ company: string }>(
    sql`select company_id as company from contacts where id = ${person}`,
  );
  expect(row?.company).toBe(keep);
  const moved = await call("GET", `/api/v1/companies/${drop}`, asAdmin);
  expect(moved.status).toBe(308);
  expect(moved.headers.get("location")).toBe(`/api/v1/companies/${keep}`);
});
