// Batches through the local server are atomic, interactive transactions commit and roll back, and an
// abandoned transaction expires without blocking the writers behind it.
import { setTimeout as sleep } from "node:timers/promises";
import { type Client, LibsqlError } from "@libsql/client/web";
import { describe, expect, test } from "vitest";
import { useClients, useLibsqlServer } from "./support.ts";

const IDLE_MS = 300;

const server = useLibsqlServer("tx", { streamIdleMs: IDLE_MS });
const open = useClients();

function connect(namespace: string): Client {
  return open(server.namespaceUrl(namespace));
}

async function count(db: Client, sql: string): Promise<unknown> {
  return (await db.execute(sql)).rows[0]?.[0];
}

describe("batch", () => {
  test("a failing step rolls back every step of the batch", async () => {
    const db = connect("batch-atomic");
    await db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)");
    await db.execute("INSERT INTO t (v) VALUES ('taken')");

    const error = await db
      .batch(
        [
          "INSERT INTO t (v) VALUES ('one')",
          "INSERT INTO t (v) VALUES ('taken')",
          "INSERT INTO t (v) VALUES ('three')",
        ],
        "write",
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LibsqlError);
    expect((error as LibsqlError).code).toBe("SQLITE_CONSTRAINT_UNIQUE");
    expect(await count(db, "SELECT count(*) FROM t")).toBe(1);
    expect(await count(db, "SELECT count(*) FROM t WHERE v IN ('one', 'three')")).toBe(0);
  });

  test("a successful batch commits every step and answers each", async () => {
    const db = connect("batch-ok");
    const results = await db.batch(
      [
        "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)",
        { sql: "INSERT INTO t (v) VALUES (?), (?)", args: ["a", "b"] },
        "UPDATE t SET v = upper(v) RETURNING v",
        "SELECT count(*) AS n FROM t",
      ],
      "write",
    );
    expect(results.map((r) => r.rowsAffected)).toEqual([0, 2, 2, 0]);
    expect(results[2]?.rows.map((r) => r.v)).toEqual(["A", "B"]);
    expect(results[3]?.rows[0]?.n).toBe(2);
  });
});

describe("interactive transactions", () => {
  test("commit makes the writes visible; other streams wait for it instead of seeing half of it", async () => {
    const db = connect("tx-commit");
    const other = connect("tx-commit");
    await db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");

    const tx = await db.transaction("write");
    await tx.execute("INSERT INTO t (v) VALUES ('a')");
    await tx.execute("INSERT INTO t (v) VALUES ('b')");
    expect(await count(tx as unknown as Client, "SELECT count(*) FROM t")).toBe(2);

    let seen: unknown;
    const read = count(other, "SELECT count(*) FROM t").then((n) => {
      seen = n;
    });
    await sleep(50);
    expect(seen).toBeUndefined(); // queued behind the open transaction
    await tx.commit();
    await read;
    expect(seen).toBe(2);
  });

  test("rollback discards the writes", async () => {
    const db = connect("tx-rollback");
    await db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
    const tx = await db.transaction("write");
    await tx.execute("INSERT INTO t (v) VALUES ('gone')");
    await tx.rollback();
    expect(await count(db, "SELECT count(*) FROM t")).toBe(0);
  });

  test("an abandoned transaction expires: it is rolled back and the writers behind it proceed", async () => {
    const db = connect("tx-expiry");
    await db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
    const abandoned = await db.transaction("write");
    await abandoned.execute("INSERT INTO t (v) VALUES ('abandoned')");

    const started = Date.now();
    await connect("tx-expiry").execute("INSERT INTO t (v) VALUES ('waiting writer')");
    expect(Date.now() - started).toBeGreaterThanOrEqual(IDLE_MS - 50);
    expect((await db.execute("SELECT v FROM t")).rows.map((r) => r.v)).toEqual(["waiting writer"]);

    await expect(abandoned.execute("SELECT 1")).rejects.toMatchObject({ code: "STREAM_EXPIRED" });
  });

  test("a request whose client gave up while waiting behind a transaction is not run", async () => {
    const db = connect("tx-abandoned-request");
    await db.execute("CREATE TABLE t (v TEXT)");
    const tx = await db.transaction("write");
    await tx.execute("INSERT INTO t VALUES ('from the transaction')");

    const impatient = open(server.namespaceUrl("tx-abandoned-request"), {
      fetch: (request: Request) => fetch(request, { signal: AbortSignal.timeout(50) }),
    });
    await expect(impatient.execute("INSERT INTO t VALUES ('gave up')")).rejects.toThrow();
    await tx.commit();
    expect((await db.execute("SELECT v FROM t")).rows.map((r) => r.v)).toEqual(["from the transaction"]);
  });
});
