// The local libSQL server answers @libsql/client/web statements like Turso: rows, affected row counts, last
// insert rowids, RETURNING, arguments, and the round-trip counters tests rely on.
import type { Client } from "@libsql/client/web";
import { describe, expect, test } from "vitest";
import { useClients, useLibsqlServer } from "./support.ts";

const server = useLibsqlServer("execute");
const open = useClients({ intMode: "bigint" });

function connect(namespace: string): Client {
  return open(server.namespaceUrl(namespace));
}

describe("execute", () => {
  test("insert, select, update and delete report rows, affected rows and the last insert rowid", async () => {
    const db = connect("crud");
    await db.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INTEGER)");

    const first = await db.execute({
      sql: "INSERT INTO people (name, age) VALUES (?, ?)",
      args: ["Ada", 36n],
    });
    expect(first.rowsAffected).toBe(1);
    expect(first.lastInsertRowid).toBe(1n);
    const many = await db.execute(
      "INSERT INTO people (name, age) VALUES ('Grace', 45), ('Linus', 28), ('Edsger', 72)",
    );
    expect(many.rowsAffected).toBe(3);
    expect(many.lastInsertRowid).toBe(4n);

    const adults = await db.execute({
      sql: "SELECT id, name, age FROM people WHERE age > ? ORDER BY id",
      args: [30n],
    });
    expect(adults.columns).toEqual(["id", "name", "age"]);
    expect(adults.columnTypes).toEqual(["INTEGER", "TEXT", "INTEGER"]);
    expect(adults.rows.map((r) => ({ ...r }))).toEqual([
      { id: 1n, name: "Ada", age: 36n },
      { id: 2n, name: "Grace", age: 45n },
      { id: 4n, name: "Edsger", age: 72n },
    ]);
    expect(adults.rows[0]?.[1]).toBe("Ada"); // rows are indexable by position too

    const updated = await db.execute("UPDATE people SET age = age + 1 WHERE age < 50");
    expect(updated.rowsAffected).toBe(3);
    const deleted = await db.execute({ sql: "DELETE FROM people WHERE name = ?", args: ["Linus"] });
    expect(deleted.rowsAffected).toBe(1);

    const rest = await db.execute("SELECT name, age FROM people ORDER BY id");
    expect(rest.rows.map((r) => [r.name, r.age])).toEqual([
      ["Ada", 37n],
      ["Grace", 46n],
      ["Edsger", 72n],
    ]);
  });

  test("RETURNING gives back what was written and still counts the affected rows", async () => {
    const db = connect("returning");
    await db.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT, qty INTEGER DEFAULT 1)");

    const inserted = await db.execute(
      "INSERT INTO items (label) VALUES ('a'), ('b') RETURNING id, label, qty",
    );
    expect(inserted.rows.map((r) => [r.id, r.label, r.qty])).toEqual([
      [1n, "a", 1n],
      [2n, "b", 1n],
    ]);
    expect(inserted.rowsAffected).toBe(2);
    expect(inserted.lastInsertRowid).toBe(2n);

    const updated = await db.execute("UPDATE items SET qty = qty * 10 RETURNING id, qty");
    expect(updated.rowsAffected).toBe(2);
    expect(updated.rows.map((r) => r.qty)).toEqual([10n, 10n]);

    const deleted = await db.execute("DELETE FROM items WHERE id = 1 RETURNING label");
    expect(deleted.rowsAffected).toBe(1);
    expect(deleted.rows.map((r) => r.label)).toEqual(["a"]);
  });

  test("statements that change nothing report zero, not the previous statement's count", async () => {
    const db = connect("zero-changes");
    await db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)");
    await db.execute("INSERT INTO t (id) VALUES (1), (2), (3)");

    const select = await db.execute("SELECT count(*) AS n FROM t");
    expect(select.rowsAffected).toBe(0);
    expect(select.lastInsertRowid).toBeUndefined();
    expect((await db.execute("CREATE INDEX t_id ON t (id)")).rowsAffected).toBe(0);
    expect((await db.execute("UPDATE t SET id = id WHERE id > 100")).rowsAffected).toBe(0);
    expect((await db.execute("INSERT OR IGNORE INTO t (id) VALUES (1)")).rowsAffected).toBe(0);
  });

  test("positional and named arguments bind; names work with or without their prefix", async () => {
    const db = connect("arguments");
    const positional = await db.execute({ sql: "SELECT ? AS a, ?2 AS b, ?1 AS c", args: ["x", "y"] });
    expect({ ...positional.rows[0] }).toEqual({ a: "x", b: "y", c: "x" });

    const named = await db.execute({
      sql: "SELECT :colon AS colon, @at AS at, $dollar AS dollar",
      args: { colon: "c", "@at": "a", $dollar: "d" },
    });
    expect({ ...named.rows[0] }).toEqual({ colon: "c", at: "a", dollar: "d" });
  });

  test("a string holding several statements is refused instead of running only the first", async () => {
    const db = connect("many-statements");
    await db.execute("CREATE TABLE t (id INTEGER)");
    await expect(db.execute("INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)")).rejects.toMatchObject({
      code: "SQL_MANY_STATEMENTS",
    });
    expect((await db.execute("SELECT count(*) AS n FROM t")).rows[0]?.n).toBe(0n);
    // A trailing semicolon or comment is still one statement.
    expect((await db.execute("INSERT INTO t VALUES (3); -- done")).rowsAffected).toBe(1);
  });

  test("a trigger whose body holds several statements is one statement", async () => {
    const db = connect("trigger");
    await db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
    await db.execute("CREATE TABLE audit (what TEXT)");
    await db.execute(`
      CREATE TRIGGER t_audit AFTER INSERT ON t BEGIN
        INSERT INTO audit VALUES ('insert; ' || new.v);
        INSERT INTO audit VALUES (CASE WHEN new.id > 1 THEN 'later' ELSE 'first' END);
      END;`);
    await db.execute("INSERT INTO t (v) VALUES ('a;b')");
    expect((await db.execute("SELECT what FROM audit")).rows.map((r) => r.what)).toEqual([
      "insert; a;b",
      "first",
    ]);
  });

  test("executeMultiple runs a whole script", async () => {
    const db = connect("script");
    await db.executeMultiple(`
      CREATE TABLE a (x INTEGER);
      CREATE TRIGGER a_double AFTER INSERT ON a BEGIN
        INSERT INTO b (y) VALUES (CASE WHEN new.x > 0 THEN new.x * 2 ELSE 0 END);
      END;
      CREATE TABLE b (y INTEGER);
      INSERT INTO a VALUES (21);
    `);
    expect((await db.execute("SELECT y FROM b")).rows.map((r) => r.y)).toEqual([42n]);
  });

  test("each client.execute is one pipeline request, and each client.batch too", async () => {
    const db = connect("round-trips");
    await db.execute("CREATE TABLE t (id INTEGER)");
    const before = server.stats("round-trips");
    expect(before.pipelines).toBe(1);

    await db.execute("INSERT INTO t VALUES (1)");
    expect(server.stats("round-trips").pipelines).toBe(2);
    await db.batch(
      ["INSERT INTO t VALUES (2)", "INSERT INTO t VALUES (3)", "SELECT count(*) FROM t"],
      "write",
    );
    const after = server.stats("round-trips");
    expect(after.pipelines).toBe(3);
    // The batch ran BEGIN, its three statements and COMMIT (its ROLLBACK step was skipped).
    expect(after.statements).toBe(before.statements + 1 + 5);
  });
});
