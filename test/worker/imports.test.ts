// Imports: a dry run reports each bad row with its reasons and writes nothing; the import then makes the good
// rows, updates matched ones (by email, by phone), refuses the bad ones (downloadable as CSV with reasons), and
// can be undone; a chunk delivered twice is applied once; the API refuses what it should, changing nothing.
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { insertDefinitionStatement } from "../../db/custom-fields.ts";
import { newId } from "../../db/ids.ts";
import { contacts } from "../../db/schema/index.ts";
import type { Headers } from "./forms-support.ts";
import { importsTest } from "./imports-support.ts";

const { t, events, call, admin, upload, drive } = importsTest();
let headers: Headers;
const EXISTING = newId();

beforeAll(async () => {
  headers = await admin();
  await insertDefinitionStatement(
    t.db,
    { object: "contact", key: "tier", label: "Tier", type: "select", options: ["gold", "silver"] },
    Date.now(),
  );
  const now = Date.now();
  await t.db.insert(contacts).values({
    id: EXISTING,
    name: "Trần Thị Old",
    email: "old@example.com",
    emails: '["old@example.com"]',
    jobTitle: "Intern",
    createdAt: now,
    updatedAt: now,
  });
  await t.db.insert(contacts).values({
    id: newId(),
    name: "By Phone",
    phone: "+84912345678",
    phones: '["+84912345678"]',
    createdAt: now,
    updatedAt: now,
  });
});

// Row 2 updates the existing contact by email; row 4 the one known by its phone; rows 3, 5, 6, 7 are bad.
const CSV = [
  "Email;Name;Phone;Title;Tier;Stage",
  "new1@example.com;Lê Văn Một;;Sales;gold;lead",
  "OLD@example.com;;;Head of Sales;silver;customer",
  "not-an-email;Bad Email;;;;",
  ";Phoned In;0912 345 678;Buyer;;",
  "bad-tier@example.com;Bad Tier;;;platinum;",
  "bad-stage@example.com;Bad Stage;;;;wizard",
  '"unterminated@example.com;Broken',
].join("\n");
const MAPPING = {
  Email: "email",
  Name: "name",
  Phone: "phone",
  Title: "jobTitle",
  Tier: "custom.tier",
  Stage: "lifecycleStage",
};

async function view(id: string) {
  return (await call("GET", `/api/v1/imports/${id}`, headers)).body as Record<string, unknown>;
}

describe("a file with good and bad rows", () => {
  let id: string;

  it("dry-runs: per-row errors and counts of what would happen, nothing written", async () => {
    expect((await call("PATCH", "/api/v1/settings", headers, { defaultPhoneRegion: "VN" })).status).toBe(200);
    id = await upload(headers, CSV, { partBytes: 40 });
    expect(await view(id)).toMatchObject({
      status: "uploading",
      columns: Object.keys(MAPPING),
      suggestedMapping: MAPPING,
    });
    const before = await t.db.all(sql`select * from contacts order by id`);
    const dry = await call("POST", `/api/v1/imports/${id}/dry-run`, headers, { mapping: MAPPING });
    expect(dry.status, dry.text).toBe(202);
    await drive();
    expect(await view(id)).toMatchObject({
      status: "checked",
      dryRun: true,
      rowsDone: 7,
      created: 1,
      updated: 2,
      errors: 4,
    });
    expect(await t.db.all(sql`select * from contacts order by id`)).toEqual(before);
    const issues = await call("GET", `/api/v1/imports/${id}/issues`, headers);
    expect(issues.trips).toBe(1);
    const rows = issues.body.items as { row: number; reasons: { path: string; message: string }[] }[];
    expect(rows.map((r) => [r.row, r.reasons[0]?.path])).toEqual([
      [3, "email"],
      [5, "custom.tier"],
      [6, "lifecycleStage"],
      [7, "row"],
    ]);
    expect(rows[1]?.reasons[0]?.message).toContain("gold, silver");
  });

  it("imports the good rows, updates the matched ones, and reports the bad ones as CSV with reasons", async () => {
    const run = await call("POST", `/api/v1/imports/${id}/start`, headers, { mapping: MAPPING });
    expect(run.status, run.text).toBe(202);
    await drive();
    expect(await view(id)).toMatchObject({
      status: "done",
      dryRun: false,
      rowsDone: 7,
      created: 1,
      updated: 2,
      errors: 4,
    });
    const [made] = await t.db.all<{ name: string; job: string; custom: string; stage: string }>(
      sql`select name, job_title as job, custom, lifecycle_stage as stage from contacts where email = 'new1@example.com'`,
    );
    expect(made).toEqual({ name: "Lê Văn Một", job: "Sales", custom: '{"tier":"gold"}', stage: "lead" });
    const [old] = await t.db.all<{ name: string; job: string; stage: string }>(
      sql`select name, job_title as job, lifecycle_stage as stage from contacts where id = ${EXISTING}`,
    );
    expect(old).toEqual({ name: "Trần Thị Old", job: "Head of Sales", stage: "customer" });
    const [phoned] = await t.db.all<{ job: string; n: number }>(
      sql`select job_title as job, (select count(*) from contacts where phone = '+84912345678') as n from contacts where phone = '+84912345678'`,
    );
    expect(phoned).toEqual({ job: "Buyer", n: 1 });

    const csv = await call("GET", `/api/v1/imports/${id}/rejected.csv`, headers);
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toContain("text/csv");
    const lines = csv.text.trim().split("\r\n");
    expect(lines[0]).toBe("Email,Name,Phone,Title,Tier,Stage,row,issue,reasons");
    expect(lines).toHaveLength(5);
    expect(lines[1]).toContain(
      'not-an-email,Bad Email,,,,,3,error,"email: ""not-an-email"" is not an email address."',
    );
  });

  it("undoes: the contact it made is deleted, what it changed is put back (unless changed since)", async () => {
    // Someone edits the title after the import: undo leaves that column alone.
    await t.db.run(sql`update contacts set job_title = 'Buyer (edited)' where phone = '+84912345678'`);
    const undo = await call("POST", `/api/v1/imports/${id}/undo`, headers);
    expect(undo.status, undo.text).toBe(202);
    expect(undo.trips).toBe(1);
    await drive();
    expect(await view(id)).toMatchObject({ status: "undone", undo: { reverted: 2, removed: 1 } });
    const [made] = await t.db.all<{ deleted: number | null }>(
      sql`select deleted_at as deleted from contacts where email = 'new1@example.com'`,
    );
    expect(made?.deleted).not.toBeNull();
    const [old] = await t.db.all<{ job: string; stage: string; custom: string }>(
      sql`select job_title as job, lifecycle_stage as stage, custom from contacts where id = ${EXISTING}`,
    );
    expect(old).toEqual({ job: "Intern", stage: "lead", custom: "{}" });
    const [phoned] = await t.db.all<{ job: string }>(
      sql`select job_title as job from contacts where phone = '+84912345678'`,
    );
    expect(phoned?.job).toBe("Buyer (edited)");
    // Undone once: asking again is a conflict.
    expect((await call("POST", `/api/v1/imports/${id}/undo`, headers)).status).toBe(409);
  });
});

it("applies a chunk delivered twice once", async () => {
  const id = await upload(headers, "email,name\ntwice@example.com,Twice\n", { source: "Twice" });
  expect(
    (
      await call("POST", `/api/v1/imports/${id}/start`, headers, {
        mapping: { email: "email", name: "name" },
      })
    ).status,
  ).toBe(202);
  const chunk = events.sent.filter((m) => m.type === "import.chunk");
  expect(chunk).toHaveLength(1);
  await t.queue("crm-events", [...chunk, ...chunk]);
  await t.queue("crm-events", chunk);
  expect(await view(id)).toMatchObject({ status: "done", rowsDone: 1, created: 1 });
  const [count] = await t.db.all<{ n: number; changes: number }>(sql`select
    (select count(*) from contacts where email = 'twice@example.com') as n,
    (select count(*) from import_changes where import_id = ${id}) as changes`);
  expect(count).toEqual({ n: 1, changes: 1 });
});

it("fails the import whose chunk failed every retry, saying what to do, and lets it be started again", async () => {
  const id = await upload(headers, "email,name\nstuck@example.com,Stuck\n", { source: "Stuck" });
  const mapping = { email: "email", name: "name" };
  expect((await call("POST", `/api/v1/imports/${id}/start`, headers, { mapping })).status).toBe(202);
  const chunk = events.sent.filter((m) => m.type === "import.chunk" && m.id.includes(id));
  expect(chunk).toHaveLength(1);
  // Every retry spent: the queue hands the message to its dead-letter queue.
  expect((await t.queue("crm-events-dlq", chunk, 4)).retryMessages).toEqual([]);
  const failed = await view(id);
  expect(failed).toMatchObject({ status: "failed", rowsDone: 0 });
  expect(String(failed.failure)).toMatch(/failed every retry.*start the import again/s);
  const [letter] = await t.db.all<{ n: number }>(
    sql`select count(*) as n from dead_letters where queue = 'crm-events' and type = 'import.chunk' and message_id like ${`%${id}%`}`,
  );
  expect(letter?.n).toBe(1);

  // Started again, it runs to the end; the same chunk arriving late from the dead run changes nothing.
  events.sent.splice(0);
  expect((await call("POST", `/api/v1/imports/${id}/start`, headers, { mapping })).status).toBe(202);
  const again = events.sent.filter((m) => m.type === "import.chunk");
  await t.queue("crm-events", [...chunk, ...again]);
  expect(await view(id)).toMatchObject({ status: "done", rowsDone: 1, created: 1, failure: null });
  expect(await t.db.all(sql`select id from contacts where email = 'stuck@example.com'`)).toHaveLength(1);
});

describe("refusals change nothing", () => {
  it("refuses a mapping with unknown targets, columns or custom fields (422), and a run before the upload (409)", async () => {
    const made = await call("POST", "/api/v1/imports", headers, { object: "contact", sourceName: "Empty" });
    expect(made.status).toBe(201);
    const empty = made.body.id as string;
    expect((await call("POST", `/api/v1/imports/${empty}/start`, headers, { mapping: {} })).status).toBe(422);
    const early = await call("POST", `/api/v1/imports/${empty}/start`, headers, { mapping: { x: "email" } });
    expect(early.status).toBe(422);

    const id = await upload(headers, "email,name\na@example.com,A\n", { source: "Refusals" });
    const cases: [unknown, string][] = [
      [{ email: "emial" }, "mapping.email"],
      [{ email: "email", nope: "name" }, "mapping.nope"],
      [{ email: "email", name: "custom.missing" }, "mapping"],
      [{ email: "email", name: "email" }, "mapping.name"],
    ];
    for (const [mapping, path] of cases) {
      const refused = await call("POST", `/api/v1/imports/${id}/start`, headers, { mapping });
      expect(refused.status, JSON.stringify(mapping)).toBe(422);
      expect(refused.headers.get("content-type")).toContain("application/problem+json");
      expect((refused.body.errors as { path: string }[]).map((e) => e.path)).toContain(path);
      expect(refused.trips).toBeLessThanOrEqual(1);
    }
    expect(await view(id)).toMatchObject({ status: "uploading", run: 0 });

    expect(
      (await call("POST", `/api/v1/imports/${id}/start`, headers, { mapping: { email: "email" } })).status,
    ).toBe(202);
    // The file cannot change once a run started, nor can a second run start.
    const late = await call(
      "PUT",
      `/api/v1/imports/${id}/parts?part=1`,
      headers,
      "x@example.com,X\n",
      "text/csv",
    );
    expect(late.status).toBe(409);
    expect(
      (await call("POST", `/api/v1/imports/${id}/start`, headers, { mapping: { email: "email" } })).status,
    ).toBe(409);
    const [parts] = await t.db.all<{ n: number }>(
      sql`select count(*) as n from import_parts where import_id = ${id}`,
    );
    expect(parts?.n).toBe(1);
  });

  it("refuses a part without a header, a missing part, and a rep", async () => {
    const made = await call("POST", "/api/v1/imports", headers, { object: "company", sourceName: "Gaps" });
    const id = made.body.id as string;
    expect(
      (await call("PUT", `/api/v1/imports/${id}/parts?part=0`, headers, "\n\n", "text/csv")).status,
    ).toBe(422);
    expect(
      (
        await call(
          "PUT",
          `/api/v1/imports/${id}/parts?part=0`,
          headers,
          "name,domain\nAcme,acme.com\n",
          "text/csv",
        )
      ).status,
    ).toBe(200);
    expect(
      (await call("PUT", `/api/v1/imports/${id}/parts?part=2`, headers, "Beta,beta.com\n", "text/csv"))
        .status,
    ).toBe(200);
    const gap = await call("POST", `/api/v1/imports/${id}/start`, headers, {
      mapping: { name: "name", domain: "domain" },
    });
    expect(gap.status).toBe(409);
    expect(gap.body.detail).toContain("missing");
    const rep = (await import("./factories.ts")).createUser(t.db, { role: "rep" });
    const repHeaders = (await (await import("./factories.ts")).sessionFor(t.db, await rep)).headers;
    expect((await call("GET", `/api/v1/imports/${id}`, repHeaders)).status).toBe(403);
  });
});

it("imports companies (matched by domain) and deals (stage by name, amount in the currency's notation)", async () => {
  const companies = await upload(
    headers,
    "Name,Website\nAcme Việt Nam,https://www.acme.vn/about\nAcme again,acme.vn\n",
    {
      object: "company",
      source: "Companies",
    },
  );
  expect(
    (
      await call("POST", `/api/v1/imports/${companies}/start`, headers, {
        mapping: { Name: "name", Website: "domain" },
      })
    ).status,
  ).toBe(202);
  await drive();
  expect(await view(companies)).toMatchObject({ status: "done", created: 1, updated: 1 });
  const [company] = await t.db.all<{ id: string; name: string }>(
    sql`select id, name from companies where domain = 'acme.vn'`,
  );
  expect(company?.name).toBe("Acme again");

  const deals = await upload(
    headers,
    'Deal,Value,Currency,Stage,Company\nWebsite,"1.500.000",VND,Proposal,acme.vn\nApp,"12,500.50",USD,,acme.vn\nBad,abc,USD,,\n',
    { object: "deal", source: "Deals" },
  );
  const mapping = { Deal: "name", Value: "amount", Currency: "currency", Stage: "stage", Company: "company" };
  expect((await call("POST", `/api/v1/imports/${deals}/start`, headers, { mapping })).status).toBe(202);
  await drive();
  expect(await view(deals)).toMatchObject({ status: "done", created: 2, errors: 1 });
  const rows = await t.db.all<{
    name: string;
    amount: number;
    currency: string;
    stage: string;
    company: string;
    history: number;
  }>(
    sql`select d.name, d.amount, d.currency, s.name as stage, d.company_id as company,
      (select count(*) from deal_stage_history h where h.deal_id = d.id) as history
    from deals d join stages s on s.id = d.stage_id where d.name in ('Website', 'App') order by d.name`,
  );
  expect(rows).toEqual([
    {
      name: "App",
      amount: 1250050,
      currency: "USD",
      stage: expect.any(String),
      company: company?.id,
      history: 1,
    },
    {
      name: "Website",
      amount: 1500000,
      currency: "VND",
      stage: "Proposal",
      company: company?.id,
      history: 1,
    },
  ]);
});
