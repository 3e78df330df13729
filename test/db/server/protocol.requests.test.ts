// The Hrana requests @libsql/client does not expose, spoken raw: describe, sequence, store_sql/close_sql,
// get_autocommit and the v3 cursor.
import { describe, expect, test } from "vitest";
import { execute, failed, ok, text, useHranaServer } from "./support.ts";

const { server, pipeline } = useHranaServer("requests");

describe("raw Hrana requests", () => {
  test("describe reports parameters, columns with decltypes, EXPLAIN and read-only", async () => {
    const { results } = await pipeline("setup", [
      { type: "describe", sql: "SELECT id, name AS n, ? AS p, :named AS q FROM t WHERE id = @x OR id = ?7" },
      { type: "describe", sql: "INSERT INTO t (name) VALUES ($name)" },
      { type: "describe", sql: "EXPLAIN SELECT * FROM t WHERE id = ?" },
      { type: "describe", sql: "CREATE TABLE u (x)" },
      { type: "describe", sql: "SELECT * FROM missing" },
    ]);
    expect(results[0]).toEqual(
      ok({
        type: "describe",
        result: {
          params: [
            { name: null },
            { name: ":named" },
            { name: "@x" },
            { name: null },
            { name: null },
            { name: null },
            { name: "?7" },
          ],
          cols: [
            { name: "id", decltype: "INTEGER" },
            { name: "n", decltype: "TEXT" },
            { name: "p", decltype: null },
            { name: "q", decltype: null },
          ],
          is_explain: false,
          is_readonly: true,
        },
      }),
    );
    expect(results[1]).toMatchObject(
      ok({
        type: "describe",
        result: { params: [{ name: "$name" }], cols: [], is_explain: false, is_readonly: false },
      }),
    );
    expect(results[2]).toMatchObject(
      ok({ type: "describe", result: { params: [{ name: null }], is_explain: true } }),
    );
    expect(results[3]).toMatchObject(ok({ type: "describe", result: { is_readonly: false } }));
    expect(results[4]).toEqual(failed("SQLITE_ERROR"));
  });

  test("describing a write leaves nothing behind that would block a later COMMIT", async () => {
    const { results } = await pipeline("setup", [
      { type: "describe", sql: "INSERT INTO t (name) VALUES ('described')" },
      { type: "describe", sql: "DELETE FROM t WHERE id = ?" },
      execute("BEGIN"),
      execute("INSERT INTO t (name) VALUES ('c')"),
      execute("COMMIT"),
      execute("DELETE FROM t WHERE name = 'c'"),
      { type: "close" },
    ]);
    expect(results.map((r) => (r as { type: string }).type)).toEqual([
      "ok",
      "ok",
      "ok",
      "ok",
      "ok",
      "ok",
      "ok",
    ]);
  });

  test("sequence runs every statement and stops at the first failure", async () => {
    const { results } = await pipeline("sequence", [
      { type: "sequence", sql: "CREATE TABLE s (v TEXT UNIQUE); INSERT INTO s VALUES ('one');" },
      {
        type: "sequence",
        sql: "INSERT INTO s VALUES ('two'); INSERT INTO s VALUES ('one'); INSERT INTO s VALUES ('three');",
      },
      execute("SELECT group_concat(v, ',') FROM s"),
      { type: "close" },
    ]);
    expect(results[0]).toEqual(ok({ type: "sequence" }));
    expect(results[1]).toEqual(failed("SQLITE_CONSTRAINT_UNIQUE"));
    expect(results[2]).toMatchObject(ok({ result: { rows: [[text("one,two")]] } }));
  });

  test("stored SQL is used by id across a stream's requests, is scoped to the stream, and can be closed", async () => {
    const first = await pipeline("setup", [
      { type: "store_sql", sql_id: 1, sql: "SELECT name FROM t WHERE id = ?" },
      execute("", { sql: undefined, sql_id: 1, args: [{ type: "integer", value: "2" }] }),
      { type: "batch", batch: { steps: [{ stmt: { sql_id: 1, args: [{ type: "integer", value: "1" }] } }] } },
      { type: "store_sql", sql_id: 1, sql: "SELECT 1" },
    ]);
    expect(first.results[0]).toEqual(ok({ type: "store_sql" }));
    expect(first.results[1]).toMatchObject(ok({ result: { rows: [[text("b")]] } }));
    expect(first.results[2]).toMatchObject(
      ok({ result: { step_results: [{ rows: [[text("a")]] }], step_errors: [null] } }),
    );
    expect(first.results[3]).toEqual(failed("SQL_STORE_ID_IN_USE"));

    const elsewhere = await pipeline("setup", [{ type: "execute", stmt: { sql_id: 1 } }, { type: "close" }]);
    expect(elsewhere.results[0]).toEqual(failed("SQL_NOT_FOUND"));

    const second = await pipeline(
      "setup",
      [
        { type: "describe", sql_id: 1 },
        { type: "close_sql", sql_id: 1 },
        { type: "execute", stmt: { sql_id: 1 } },
        { type: "close_sql", sql_id: 99 },
        { type: "close" },
      ],
      first.baton,
    );
    expect(second.results[0]).toMatchObject(ok({ type: "describe", result: { params: [{ name: null }] } }));
    expect(second.results.slice(1)).toEqual([
      ok({ type: "close_sql" }),
      failed("SQL_NOT_FOUND"),
      ok({ type: "close_sql" }),
      ok({ type: "close" }),
    ]);
    expect(second.baton).toBeNull();
  });

  test("get_autocommit follows BEGIN and COMMIT, and batches see is_autocommit", async () => {
    const opened = await pipeline(
      "setup",
      [
        { type: "get_autocommit" },
        execute("BEGIN"),
        { type: "get_autocommit" },
        {
          type: "batch",
          batch: {
            steps: [
              { condition: { type: "is_autocommit" }, stmt: { sql: "SELECT 'outside'" } },
              {
                condition: { type: "not", cond: { type: "is_autocommit" } },
                stmt: { sql: "SELECT 'inside'" },
              },
            ],
          },
        },
      ],
      null,
      "v3",
    );
    expect(opened.results[0]).toEqual(ok({ type: "get_autocommit", is_autocommit: true }));
    expect(opened.results[2]).toEqual(ok({ type: "get_autocommit", is_autocommit: false }));
    expect(opened.results[3]).toMatchObject(
      ok({ result: { step_results: [null, { rows: [[text("inside")]] }], step_errors: [null, null] } }),
    );
    const closed = await pipeline(
      "setup",
      [execute("COMMIT"), { type: "get_autocommit" }, { type: "close" }],
      opened.baton,
      "v3",
    );
    expect(closed.results[1]).toEqual(ok({ type: "get_autocommit", is_autocommit: true }));
  });

  test("the v3 cursor streams a batch as newline-separated entries", async () => {
    const response = await fetch(`${server.namespaceUrl("setup")}v3/cursor`, {
      method: "POST",
      body: JSON.stringify({
        baton: null,
        batch: {
          steps: [
            { stmt: { sql: "SELECT name FROM t WHERE id <= 2 ORDER BY id" } },
            { stmt: { sql: "SELECT * FROM nowhere" } },
            { condition: { type: "ok", step: 1 }, stmt: { sql: "SELECT 'skipped'" } },
          ],
        },
      }),
    });
    expect(response.status).toBe(200);
    const body = await response.text();
    expect(body.endsWith("\n")).toBe(true);
    const lines = body
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as unknown);
    expect(lines).toEqual([
      { baton: expect.any(String), base_url: null },
      { type: "step_begin", step: 0, cols: [{ name: "name", decltype: "TEXT" }] },
      { type: "row", row: [text("a")] },
      { type: "row", row: [text("b")] },
      { type: "step_end", affected_row_count: 0, last_insert_rowid: null },
      {
        type: "step_error",
        step: 1,
        error: { message: expect.stringContaining("no such table"), code: "SQLITE_ERROR" },
      },
    ]);
    const baton = (lines[0] as { baton: string }).baton;
    const closed = await pipeline("setup", [{ type: "close" }], baton, "v3");
    expect(closed.results).toEqual([ok({ type: "close" })]);
  });
});
