// `npm run db:backup` copies the local database while the server runs and writes go on; `npm run db:restore`
// refuses while the server answers, then puts the copy back: the same queries give the same results as at the
// moment of the backup, and the database it replaced is kept.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Client, createClient } from "@libsql/client";
import { afterAll, expect, it } from "vitest";
import { migrateDatabase } from "../../db/migrate.ts";
import { type LibsqlServer, startLibsqlServer } from "../../db/server/index.ts";
import { backupDatabase } from "../../scripts/db-backup.ts";
import { restoreDatabase } from "../../scripts/db-restore.ts";
import { seed } from "../../scripts/seed/run.ts";

const dataDir = mkdtempSync(join(tmpdir(), "crm-backup-"));
const servers: LibsqlServer[] = [];
const clients: Client[] = [];

afterAll(async () => {
  for (const client of clients) client.close();
  for (const server of servers) await server.close().catch(() => undefined);
  rmSync(dataDir, { recursive: true, force: true });
});

async function start() {
  const server = await startLibsqlServer({ dataDir: join(dataDir, "db"), port: 0 });
  servers.push(server);
  const client = createClient({ url: server.url });
  clients.push(client);
  return { server, client };
}

const QUERIES = [
  "select * from contacts order by id",
  "select * from deals order by id",
  "select * from activities order by id",
  "select * from contacts_fts where contacts_fts match 'nguyen' order by rowid",
  "select stage_id, count(*), sum(amount) from deals group by stage_id order by stage_id",
];

async function results(client: Client) {
  const out: string[][] = [];
  for (const query of QUERIES) out.push((await client.execute(query)).rows.map((row) => JSON.stringify(row)));
  return out;
}

it("backs up while the server runs, and restores to identical query results", async () => {
  const first = await start();
  await migrateDatabase({ url: first.server.url });
  await seed(first.client, { contacts: 300, seed: 7, now: Date.UTC(2026, 5, 1), chunk: 150 });
  const before = await results(first.client);
  expect(before[0]?.length).toBe(300);

  // Writes keep arriving while the copy is made; the copy holds one moment.
  const writing = first.client.execute("update contacts set job_title = 'During backup' where rowid % 2 = 0");
  const backup = backupDatabase({ dataDir, out: join(dataDir, "backups", "one.db") });
  await writing;
  expect(backup.migrations).toBeGreaterThan(20);
  expect(existsSync(backup.file)).toBe(true);

  // Later changes, which the restore is to take away again.
  await first.client.execute("update contacts set job_title = 'After backup'");
  await first.client.execute("delete from activities");
  const port = Number(new URL(first.server.url).port);
  await expect(restoreDatabase({ from: backup.file, dataDir, port })).rejects.toThrow(/stop `npm start`/);

  first.client.close();
  await first.server.close();
  const restored = await restoreDatabase({ from: backup.file, dataDir, port });
  expect(restored.previous && existsSync(restored.previous)).toBe(true);

  const second = await start();
  const after = await results(second.client);
  const jobTitles = new Set(
    (await second.client.execute("select job_title from contacts")).rows.map((r) => r[0]),
  );
  expect(jobTitles.has("After backup")).toBe(false);
  // The copy is the database either before or after the concurrent update, never half of it.
  if (jobTitles.has("During backup")) {
    const [count] = (
      await second.client.execute("select count(*) from contacts where job_title = 'During backup'")
    ).rows;
    expect(Number(count?.[0])).toBe(150);
    expect(after.slice(1)).toEqual(before.slice(1));
  } else {
    expect(after).toEqual(before);
  }
});

it("refuses a file that is not a CRM database", async () => {
  const file = join(dataDir, "not-a-db.db");
  const { writeFileSync } = await import("node:fs");
  writeFileSync(file, "hello");
  await expect(restoreDatabase({ from: file, dataDir, port: 1 })).rejects.toThrow();
});
