// Duplicate detection: the same email once normalised (case, +tag, Gmail dots), a shared phone, or the same
// name within a company (accents and word order aside) make a pair on the review list: found by the full scan
// for records already there, and as records change through their domain events. A dismissed pair stays out.
import { sql } from "drizzle-orm";
import { beforeAll, expect, it } from "vitest";
import { newId } from "../../db/ids.ts";
import { companies, contacts } from "../../db/schema/index.ts";
import { dispatchDomainEvents } from "../../queues/domain-events/dispatch.ts";
import { createServices } from "../../queues/index.ts";
import { createUser, sessionFor } from "./factories.ts";
import type { Headers } from "./forms-support.ts";
import { importsTest } from "./imports-support.ts";

const { t, events, call } = importsTest();
let asAdmin: Headers;
let adminId: string;
const ids: Record<string, string> = {};

beforeAll(async () => {
  const admin = await createUser(t.db, { role: "admin" });
  adminId = admin.id;
  asAdmin = (await sessionFor(t.db, admin)).headers;
  const now = Date.now();
  const company = newId();
  await t.db.insert(companies).values([
    { id: company, name: "Công ty Bình Minh", createdAt: now, updatedAt: now },
    { id: newId(), name: "Binh Minh Co., Ltd", createdAt: now, updatedAt: now },
  ]);
  const people: [string, Partial<typeof contacts.$inferInsert>][] = [
    [
      "an1",
      { name: "Nguyễn Văn An", companyId: company, email: "an@binhminh.vn", emails: '["an@binhminh.vn"]' },
    ],
    ["an2", { name: "an nguyen van", companyId: company }],
    ["an3", { name: "Nguyễn Văn An" }],
    ["mail1", { name: "Mai", email: "mai.tran+crm@gmail.com", emails: '["mai.tran+crm@gmail.com"]' }],
    ["mail2", { name: "Trần Mai", email: "maitran@gmail.com", emails: '["maitran@gmail.com"]' }],
    ["phone1", { name: "Phone One", phone: "+84912333444", phones: '["+84912333444"]' }],
    ["phone2", { name: "Phone Two", phones: '["+84900000000", "+84912333444"]' }],
  ];
  for (const [key, values] of people) {
    ids[key] = newId();
    await t.db
      .insert(contacts)
      .values({ id: ids[key], name: "", ownerId: adminId, createdAt: now, updatedAt: now, ...values });
  }
});

async function drain() {
  for (;;) {
    const pending = events.sent.filter((m) => m.type === "duplicates.scan" || m.type.includes("."));
    events.sent.splice(0);
    if (pending.length === 0) return;
    expect((await t.queue("crm-events", pending)).retryMessages).toEqual([]);
  }
}

async function pairs(type = "contact") {
  const got = await call("GET", `/api/v1/duplicates?type=${type}`, asAdmin);
  expect(got.status).toBe(200);
  expect(got.trips).toBe(1);
  return got.body.items as { id: string; reasons: string[]; records: { id: string }[] }[];
}

const key = (p: { records: { id: string }[] }) =>
  p.records
    .map((r) => r.id)
    .sort()
    .join();
const of = (a: string, b: string) => [ids[a], ids[b]].sort().join();

it("finds existing duplicates with the full scan, by email, phone and name within a company", async () => {
  const scan = await call("POST", "/api/v1/duplicates/scan", asAdmin);
  expect(scan.status).toBe(202);
  await drain();
  const found = await pairs();
  expect(found.map((p) => [key(p), p.reasons]).sort()).toEqual(
    [
      [of("an1", "an2"), ["name"]],
      [of("mail1", "mail2"), ["email"]],
      [of("phone1", "phone2"), ["phone"]],
    ].sort(),
  );
  const firms = await pairs("company");
  expect(firms).toHaveLength(1);
  expect(firms[0]?.reasons).toEqual(["name"]);
});

it("finds a new duplicate as it is made, and a dismissed pair stays out", async () => {
  const made = await call("POST", "/api/v1/contacts", asAdmin, {
    name: "Someone New",
    phones: ["+84 912 333 444"],
  });
  expect(made.status, made.text).toBe(201);
  await dispatchDomainEvents(createServices(t.env), Date.now());
  await drain();
  const found = await pairs();
  const fresh = found.filter((p) => p.records.some((r) => r.id === made.body.id));
  expect(fresh.map((p) => p.reasons)).toEqual([["phone"], ["phone"]]);

  const target = found.find((p) => key(p) === of("mail1", "mail2"));
  const dismissed = await call("POST", `/api/v1/duplicates/${target?.id}/dismiss`, asAdmin);
  expect(dismissed.status).toBe(200);
  expect(dismissed.body).toMatchObject({ status: "dismissed" });
  await call("POST", "/api/v1/duplicates/scan", asAdmin);
  await drain();
  expect((await pairs()).some((p) => key(p) === of("mail1", "mail2"))).toBe(false);
});

it("settles a pair when its records are merged", async () => {
  const pair = (await pairs()).find((p) => key(p) === of("an1", "an2"));
  expect(
    (await call("POST", "/api/v1/contacts/merge", asAdmin, { survivorId: ids.an1, mergedId: ids.an2 }))
      .status,
  ).toBe(200);
  const [row] = await t.db.all<{ status: string }>(
    sql`select status from duplicate_pairs where id = ${pair?.id}`,
  );
  expect(row?.status).toBe("merged");
  expect((await pairs()).some((p) => p.id === pair?.id)).toBe(false);
});
