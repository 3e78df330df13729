import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Client, createClient } from "@libsql/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateDatabase } from "../../db/migrate.ts";
import { type LibsqlServer, startLibsqlServer } from "../../db/server/index.ts";
import { seed } from "../../scripts/seed/run.ts";

let server: LibsqlServer;
let dataDir: string;
const clients: Client[] = [];
const NOW = Date.UTC(2026, 5, 1);

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "crm-seed-"));
  server = await startLibsqlServer({ dataDir, port: 0 });
});

afterAll(async () => {
  for (const client of clients) client.close();
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function freshDatabase(): Promise<Client> {
  const url = `${server.url}/ns/seed-${crypto.randomUUID()}/`;
  await migrateDatabase({ url });
  const client = createClient({ url });
  clients.push(client);
  return client;
}

async function count(client: Client, sql: string): Promise<number> {
  const result = await client.execute(sql);
  return Number(result.rows[0]?.[0]);
}

async function snapshot(client: Client) {
  const rows = async (sql: string) => (await client.execute(sql)).rows.map((r) => JSON.stringify(r));
  return {
    contacts: await rows("select * from contacts order by id"),
    deals: await rows("select * from deals order by id"),
    activities: await rows("select * from activities order by id"),
  };
}

describe("npm run seed", () => {
  it("fills an empty database: users in two teams, a pipeline, and contacts with everything around them", async () => {
    const client = await freshDatabase();
    const progress: number[] = [];
    const result = await seed(client, {
      contacts: 450,
      seed: 3,
      now: NOW,
      chunk: 200,
      onProgress: (d) => progress.push(d),
    });
    expect(progress).toEqual([200, 400, 450]);
    expect(result.contacts).toBe(450);
    expect(await count(client, "select count(*) from contacts")).toBe(450);
    expect(await count(client, "select count(*) from companies")).toBe(result.companies);
    expect(result.companies).toBeGreaterThan(40);
    expect(await count(client, "select count(*) from deals")).toBe(result.deals);
    expect(result.deals).toBeGreaterThan(50);
    expect(await count(client, "select count(*) from tasks")).toBe(result.tasks);
    expect(await count(client, "select count(*) from activities")).toBe(result.activities);
    expect(await count(client, "select count(*) from users where active = 1")).toBe(6);
    expect(await count(client, "select count(*) from teams")).toBe(2);
    // Every record is owned by a demo user; every deal sits on a stage of the default pipeline.
    expect(
      await count(client, "select count(*) from contacts where owner_id not in (select id from users)"),
    ).toBe(0);
    expect(
      await count(
        client,
        "select count(*) from deals d join stages s on s.id = d.stage_id and s.pipeline_id = d.pipeline_id",
      ),
    ).toBe(result.deals);
    expect(await count(client, "select count(distinct stage_id) from deals")).toBeGreaterThan(4);
    expect(await count(client, "select count(*) from deal_stage_history")).toBe(result.deals);
    // Vietnamese names with their diacritics, found by the accent-insensitive search.
    expect(await count(client, "select count(*) from contacts where name like 'Nguyễn %'")).toBeGreaterThan(
      0,
    );
    expect(
      await count(client, "select count(*) from contacts_fts where contacts_fts match 'nguyen'"),
    ).toBeGreaterThan(0);
    expect(
      await count(client, "select count(*) from contacts where email is null or phone not like '+%'"),
    ).toBe(0);
  });

  it("makes the same data from the same seed, and a second run changes nothing", async () => {
    const a = await freshDatabase();
    const b = await freshDatabase();
    await seed(a, { contacts: 300, seed: 11, now: NOW });
    await seed(b, { contacts: 300, seed: 11, now: NOW });
    const first = await snapshot(a);
    expect(await snapshot(b)).toEqual(first);
    await seed(a, { contacts: 300, seed: 11, now: NOW });
    expect(await snapshot(a)).toEqual(first);
  });

  it("adds up runs with other seeds, and spreads owners over users already there", async () => {
    const client = await freshDatabase();
    await seed(client, { contacts: 200, seed: 1, now: NOW });
    await seed(client, { contacts: 200, seed: 2, now: NOW });
    expect(await count(client, "select count(*) from contacts")).toBe(400);
    expect(await count(client, "select count(*) from pipelines")).toBe(1);
    expect(await count(client, "select count(*) from users")).toBe(6);
    expect(await count(client, "select count(distinct owner_id) from contacts")).toBe(6);
  });
});
