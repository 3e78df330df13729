// Failing statements surface through @libsql/client as LibsqlError carrying the SQLite error code, and the
// connection-level foreign_keys setting behaves per stream, as on sqld.
import { type Client, createClient, LibsqlError } from "@libsql/client/web";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { useLibsqlServer } from "./support.ts";

const server = useLibsqlServer("errors");
let db: Client;

beforeAll(async () => {
  db = createClient({ url: server.namespaceUrl("errors") });
  await db.executeMultiple(`
    CREATE TABLE teams (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
    CREATE TABLE members (
      id INTEGER PRIMARY KEY,
      team_id INTEGER NOT NULL REFERENCES teams (id),
      email TEXT NOT NULL,
      score INTEGER CHECK (score >= 0)
    );
    INSERT INTO teams (id, name) VALUES (1, 'red');
  `);
});

afterAll(async () => {
  db?.close();
});

async function failure(sql: string): Promise<LibsqlError> {
  const error = await db.execute(sql).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LibsqlError);
  return error as LibsqlError;
}

describe("constraint violations", () => {
  test("UNIQUE", async () => {
    const error = await failure("INSERT INTO teams (name) VALUES ('red')");
    expect(error.code).toBe("SQLITE_CONSTRAINT_UNIQUE");
    expect(error.message).toContain("UNIQUE constraint failed: teams.name");
  });

  test("PRIMARY KEY", async () => {
    expect((await failure("INSERT INTO teams (id, name) VALUES (1, 'blue')")).code).toBe(
      "SQLITE_CONSTRAINT_PRIMARYKEY",
    );
  });

  test("NOT NULL", async () => {
    const error = await failure("INSERT INTO members (team_id, email) VALUES (1, NULL)");
    expect(error.code).toBe("SQLITE_CONSTRAINT_NOTNULL");
    expect(error.message).toContain("members.email");
  });

  test("CHECK", async () => {
    const error = await failure("INSERT INTO members (team_id, email, score) VALUES (1, 'a@x', -1)");
    expect(error.code).toBe("SQLITE_CONSTRAINT_CHECK");
  });

  test("FOREIGN KEY, with foreign_keys on (the libSQL default)", async () => {
    expect((await db.execute("PRAGMA foreign_keys")).rows[0]?.[0]).toBe(1);
    const error = await failure("INSERT INTO members (team_id, email) VALUES (99, 'a@x')");
    expect(error.code).toBe("SQLITE_CONSTRAINT_FOREIGNKEY");
    expect((await db.execute("SELECT count(*) FROM members")).rows[0]?.[0]).toBe(0);
  });

  test("foreign_keys switched off in one stream does not leak into the next", async () => {
    // One stream: the pragma and the orphan insert travel together, as a script.
    await db.executeMultiple(
      "PRAGMA foreign_keys = OFF; INSERT INTO members (team_id, email) VALUES (77, 'orphan@x');",
    );
    expect((await db.execute("SELECT count(*) FROM members WHERE team_id = 77")).rows[0]?.[0]).toBe(1);
    expect((await db.execute("PRAGMA foreign_keys")).rows[0]?.[0]).toBe(1);
    expect((await failure("INSERT INTO members (team_id, email) VALUES (78, 'b@x')")).code).toBe(
      "SQLITE_CONSTRAINT_FOREIGNKEY",
    );
    await db.execute("DELETE FROM members WHERE team_id = 77");
  });
});

describe("other errors", () => {
  test("syntax errors and unknown tables are SQLITE_ERROR with SQLite's message", async () => {
    const syntax = await failure("SELEC 1");
    expect(syntax.code).toBe("SQLITE_ERROR");
    expect(syntax.message).toContain('near "SELEC": syntax error');
    const missing = await failure("SELECT * FROM nowhere");
    expect(missing.code).toBe("SQLITE_ERROR");
    expect(missing.message).toContain("no such table: nowhere");
  });

  test("a failed statement leaves the stream and the data usable", async () => {
    const tx = await db.transaction("write");
    try {
      await tx.execute("INSERT INTO teams (name) VALUES ('green')");
      await expect(tx.execute("INSERT INTO teams (name) VALUES ('green')")).rejects.toMatchObject({
        code: "SQLITE_CONSTRAINT_UNIQUE",
      });
      await tx.execute("INSERT INTO teams (name) VALUES ('blue')");
      await tx.commit();
    } finally {
      tx.close();
    }
    const names = await db.execute("SELECT name FROM teams ORDER BY id");
    expect(names.rows.map((r) => r.name)).toEqual(["red", "green", "blue"]);
  });
});
