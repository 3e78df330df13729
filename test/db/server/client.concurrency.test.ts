// Concurrent writers through the local server, via interactive transactions and via batches, neither lose
// updates nor deadlock: the final counts are exact and every request completes.
import type { Client } from "@libsql/client/web";
import { describe, expect, test } from "vitest";
import { useClients, useLibsqlServer } from "./support.ts";

const server = useLibsqlServer("concurrency");
const open = useClients();

function connect(namespace: string): Client {
  return open(server.namespaceUrl(namespace));
}

async function count(db: Client, sql: string): Promise<unknown> {
  return (await db.execute(sql)).rows[0]?.[0];
}

describe("concurrent writers", () => {
  const CLIENTS = 20;
  const INCREMENTS = 25;
  // Each interactive transaction holds the namespace for three round trips, so they run one after another;
  // fewer of them prove the same and keep the suite fast.
  const TRANSACTIONS = 10;

  test("increments through interactive transactions, racing batches on the same row, are exact", async () => {
    const setup = connect("concurrent-tx");
    await setup.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)");
    await setup.execute("INSERT INTO counter (id, n) VALUES (1, 0)");

    const transaction = async (db: Client): Promise<void> => {
      // Read, then write what was read plus one: a lost update would show in the total.
      const tx = await db.transaction("write");
      try {
        const n = Number((await tx.execute("SELECT n FROM counter WHERE id = 1")).rows[0]?.n);
        await tx.execute({ sql: "UPDATE counter SET n = ? WHERE id = 1", args: [n + 1] });
        await tx.commit();
      } finally {
        tx.close();
      }
    };
    const batch = async (db: Client): Promise<void> => {
      await db.batch(["UPDATE counter SET n = n + 1 WHERE id = 1"], "write");
    };
    await Promise.all(
      Array.from({ length: CLIENTS }, () => {
        const db = connect("concurrent-tx");
        const work = Array.from({ length: TRANSACTIONS }, () => [transaction(db), batch(db)]);
        return Promise.all(work.flat());
      }),
    );
    expect(await count(setup, "SELECT n FROM counter WHERE id = 1")).toBe(CLIENTS * TRANSACTIONS * 2);
  });

  test("increments and inserts through batches are exact", async () => {
    const setup = connect("concurrent-batch");
    await setup.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)");
    await setup.execute("CREATE TABLE log (id INTEGER PRIMARY KEY, client INTEGER)");
    await setup.execute("INSERT INTO counter (id, n) VALUES (1, 0)");

    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, client) => {
        const db = connect("concurrent-batch");
        await Promise.all(
          Array.from({ length: INCREMENTS }, () =>
            db.batch(
              [
                "UPDATE counter SET n = n + 1 WHERE id = 1",
                { sql: "INSERT INTO log (client) VALUES (?)", args: [client] },
              ],
              "write",
            ),
          ),
        );
      }),
    );
    expect(await count(setup, "SELECT n FROM counter WHERE id = 1")).toBe(CLIENTS * INCREMENTS);
    expect(await count(setup, "SELECT count(*) FROM log")).toBe(CLIENTS * INCREMENTS);
    expect(await count(setup, "SELECT count(DISTINCT client) FROM log")).toBe(CLIENTS);
  });
});
