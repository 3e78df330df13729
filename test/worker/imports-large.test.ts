// A 100,000-row CSV imports through the API (uploaded in 1 MB parts cut anywhere, even inside a row or a
// Vietnamese letter) and the events queue, with progress readable to completion; the same file imported again
// updates the same contacts instead of making duplicates.
import { sql } from "drizzle-orm";
import { beforeAll, expect, it } from "vitest";
import type { Headers } from "./forms-support.ts";
import { importsTest } from "./imports-support.ts";

const { t, call, admin, upload, drive } = importsTest();
const ROWS = 100_000;
let headers: Headers;
let csv: Uint8Array;

beforeAll(async () => {
  headers = await admin();
  const lines = ["E-mail,Họ,Tên,Điện thoại,Lifecycle"];
  for (let i = 0; i < ROWS; i++) {
    lines.push(
      `person${i}@example.com,Nguyễn,Văn ${i},+8491${String(i).padStart(7, "0")},${i % 2 ? "lead" : "customer"}`,
    );
  }
  csv = new TextEncoder().encode(`${lines.join("\r\n")}\r\n`);
});

const MAPPING = {
  "E-mail": "email",
  Họ: "lastName",
  Tên: "firstName",
  "Điện thoại": "phone",
  Lifecycle: "lifecycleStage",
};

async function progress(id: string) {
  const got = await call("GET", `/api/v1/imports/${id}`, headers);
  expect(got.status).toBe(200);
  expect(got.trips).toBe(1);
  return got.body as Record<string, unknown> & { progress: number; rowsDone: number; status: string };
}

it("imports 100,000 rows through the queue with progress to completion, then the same file again updates them", async () => {
  const started = Date.now();
  const id = await upload(headers, csv);
  const uploaded = await progress(id);
  expect(uploaded.parts).toBe(Math.ceil(csv.length / 1_000_000));
  expect(uploaded.columns).toEqual(Object.keys(MAPPING));

  const run = await call("POST", `/api/v1/imports/${id}/start`, headers, { mapping: MAPPING });
  expect(run.status, run.text).toBe(202);
  expect(run.trips).toBe(1);

  const seen: number[] = [];
  await drive(async () => {
    seen.push((await progress(id)).progress);
  });
  // Progress only grows, reaching 1 when the run is done.
  expect(seen.length).toBeGreaterThan(10);
  expect([...seen].sort((a, b) => a - b)).toEqual(seen);
  expect(await progress(id)).toMatchObject({
    status: "done",
    progress: 1,
    rowsDone: ROWS,
    created: ROWS,
    updated: 0,
    errors: 0,
    skipped: 0,
  });
  const [first] = await t.db.all<{ n: number; named: number; phones: number }>(sql`select count(*) as n,
    sum(name = 'Văn 7 Nguyễn' or name like 'Văn % Nguyễn') as named, count(distinct phone) as phones from contacts`);
  expect(first).toEqual({ n: ROWS, named: ROWS, phones: ROWS });
  const firstDone = Date.now();

  // The same file from the same source: the remembered mapping is suggested, and every row updates.
  const again = await upload(headers, csv);
  expect((await call("GET", `/api/v1/imports/${again}`, headers)).body.suggestedMapping).toEqual(MAPPING);
  expect((await call("POST", `/api/v1/imports/${again}/start`, headers, { mapping: MAPPING })).status).toBe(
    202,
  );
  await drive();
  expect(await progress(again)).toMatchObject({
    status: "done",
    rowsDone: ROWS,
    created: 0,
    updated: ROWS,
    errors: 0,
  });
  const [second] = await t.db.all<{ n: number }>(
    sql`select count(*) as n from contacts where deleted_at is null`,
  );
  expect(second?.n).toBe(ROWS);
  console.log(
    JSON.stringify({
      rows: ROWS,
      firstImportMs: firstDone - started,
      secondImportMs: Date.now() - firstDone,
    }),
  );
}, 240_000);
