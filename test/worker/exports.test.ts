// Exports: any filtered list as CSV, streamed page after page (more than one round trip for more than one
// page, the documented exception), with custom fields, audited; refused for reps, 404 for an unknown list,
// 422 for a filter the list does not take.
import { sql } from "drizzle-orm";
import { beforeAll, expect, it } from "vitest";
import { insertDefinitionStatement } from "../../db/custom-fields.ts";
import { createUser, sessionFor } from "./factories.ts";
import type { Headers as RequestHeaders } from "./forms-support.ts";
import { importsTest } from "./imports-support.ts";

const { t, call } = importsTest();
const COUNT = 1200;
let asAdmin: RequestHeaders;

beforeAll(async () => {
  const admin = await createUser(t.db, { role: "admin" });
  asAdmin = (await sessionFor(t.db, admin)).headers;
  await insertDefinitionStatement(
    t.db,
    { object: "contact", key: "region", label: "Region", type: "text" },
    Date.now(),
  );
  await t.db.run(sql`with recursive n(i) as (select 1 union all select i + 1 from n where i < ${COUNT})
    insert into contacts (id, name, email, emails, lifecycle_stage, custom, owner_id, created_at, updated_at)
    select printf('01900000-0000-7000-8000-%012d', i), 'Khách ' || i, 'k' || i || '@example.com', json_array('k' || i || '@example.com'),
      case when i % 3 = 0 then 'customer' else 'lead' end, json_object('region', case when i % 2 = 0 then 'north' else '=SUM(A1)' end),
      ${admin.id}, 1700000000000 + i, 1700000000000 + i from n`);
});

function parse(text: string): string[][] {
  return text
    .trim()
    .split("\r\n")
    .map((line) => line.split(","));
}

it("streams every contact, page after page, with custom fields; the export is audited", async () => {
  let text = "";
  let response: Response | undefined;
  // Counted until the whole body is read: the stream reads each page when the previous one was taken.
  const trips = await t.roundTrips(async () => {
    response = await t.fetch("/api/v1/exports/contacts", { headers: asAdmin });
    text = await response.text();
  });
  const got = { status: response?.status, headers: response?.headers ?? new Headers(), text };
  expect(got.status).toBe(200);
  expect(got.headers.get("content-type")).toContain("text/csv");
  // Pages of 500: three pages, a round trip each.
  expect(trips).toBe(3);
  const rows = parse(got.text);
  expect(rows[0]?.slice(0, 5)).toEqual(["id", "name", "firstName", "lastName", "email"]);
  expect(rows[0]?.at(-1)).toBe("custom.region");
  expect(rows).toHaveLength(COUNT + 1);
  expect(new Set(rows.slice(1).map((r) => r[0])).size).toBe(COUNT);
  // A cell a spreadsheet would run as a formula is defused.
  expect(got.text).toContain("'=SUM(A1)");
  const [audit] = await t.db.all<{ changes: string }>(
    sql`select changes from audit_log where action = 'export.created'`,
  );
  expect(JSON.parse(audit?.changes ?? "{}")).toEqual({ object: "contacts", filter: {} });
});

it("exports only what the filters keep", async () => {
  const got = await call(
    "GET",
    "/api/v1/exports/contacts?lifecycleStage=customer&custom.region=north&sort=-createdAt",
    asAdmin,
  );
  expect(got.status).toBe(200);
  expect(got.trips).toBe(1);
  const rows = parse(got.text).slice(1);
  expect(rows).toHaveLength(COUNT / 6);
  expect(rows[0]?.[1]).toBe(`Khách ${COUNT}`);
});

it("exports companies, deals and tasks too", async () => {
  for (const list of ["companies", "deals", "tasks"]) {
    const got = await call("GET", `/api/v1/exports/${list}`, asAdmin);
    expect(got.status, got.text).toBe(200);
    expect(got.text.split("\r\n")[0]).toMatch(/^id,/);
  }
});

it("refuses reps (403), an unknown list (404) and a filter the list does not take (422)", async () => {
  const rep = (await sessionFor(t.db, await createUser(t.db, { role: "rep" }))).headers;
  expect((await call("GET", "/api/v1/exports/contacts", rep)).status).toBe(403);
  expect((await call("GET", "/api/v1/exports/invoices", asAdmin)).status).toBe(404);
  const bad = await call("GET", "/api/v1/exports/deals?status=maybe", asAdmin);
  expect(bad.status).toBe(422);
  expect(bad.headers.get("content-type")).toContain("application/problem+json");
  const [audits] = await t.db.all<{ n: number }>(
    sql`select count(*) as n from audit_log where action = 'export.created'`,
  );
  expect(audits?.n).toBe(5);
});
