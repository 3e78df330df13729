// Hrana over HTTP spoken raw: version probes, batons, batch conditions, arguments, want_rows and the
// values on the wire.
import { describe, expect, test } from "vitest";
import { execute, failed, ok, text, useHranaServer } from "./support.ts";

const { server, pipeline } = useHranaServer("protocol");

describe("raw Hrana protocol", () => {
  test("version probes: v2 and v3 JSON are supported", async () => {
    for (const path of ["/v2", "/v3", "/ns/any/v2", "/ns/any/v3"]) {
      expect((await fetch(`${server.url}${path}`)).status, path).toBe(200);
    }
  });

  test("batch conditions: ok, error, not, and, or", async () => {
    const step = (sql: string, condition?: unknown) => ({
      stmt: { sql },
      ...(condition ? { condition } : {}),
    });
    const { results } = await pipeline("setup", [
      {
        type: "batch",
        batch: {
          steps: [
            step("SELECT 0"),
            step("INSERT INTO t (name) VALUES ('a')"), // fails: UNIQUE
            step("SELECT 2", { type: "ok", step: 0 }),
            step("SELECT 3", { type: "ok", step: 1 }),
            step("SELECT 4", { type: "error", step: 1 }),
            step("SELECT 5", { type: "not", cond: { type: "ok", step: 1 } }),
            step("SELECT 6", {
              type: "and",
              conds: [
                { type: "ok", step: 0 },
                { type: "error", step: 1 },
              ],
            }),
            step("SELECT 7", {
              type: "or",
              conds: [
                { type: "ok", step: 1 },
                { type: "error", step: 0 },
              ],
            }),
            step("SELECT 8", { type: "ok", step: 3 }), // step 3 was skipped, so not ok
          ],
        },
      },
      { type: "close" },
    ]);
    const batch = (
      results[0] as { response: { result: { step_results: unknown[]; step_errors: unknown[] } } }
    ).response.result;
    expect(batch.step_results.map((r) => r !== null)).toEqual([
      true,
      false,
      true,
      false,
      true,
      true,
      true,
      false,
      false,
    ]);
    expect(batch.step_errors.map((e) => (e as { code?: string } | null)?.code ?? null)).toEqual([
      null,
      "SQLITE_CONSTRAINT_UNIQUE",
      null,
      null,
      null,
      null,
      null,
      null,
      null,
    ]);
  });

  test("batons are fresh in every response and single-use; close ends the stream", async () => {
    const first = await pipeline("setup", [execute("SELECT 1")]);
    expect(first.baton).toEqual(expect.any(String));
    expect(first.base_url).toBeNull();
    const second = await pipeline("setup", [execute("SELECT 2")], first.baton);
    expect(second.baton).toEqual(expect.any(String));
    expect(second.baton).not.toBe(first.baton);

    const replay = await fetch(`${server.namespaceUrl("setup")}v2/pipeline`, {
      method: "POST",
      body: JSON.stringify({ baton: first.baton, requests: [execute("SELECT 3")] }),
    });
    expect(replay.status).toBe(400);

    const last = await pipeline("setup", [{ type: "close" }, execute("SELECT 4")], second.baton);
    expect(last.baton).toBeNull();
    expect(last.results).toEqual([ok({ type: "close" }), failed("STREAM_CLOSED")]);
  });

  test("positional and named arguments mix; the named one wins where both name a parameter", async () => {
    const { results } = await pipeline("setup", [
      execute("SELECT :a AS a, ?2 AS b, $c AS c", {
        args: [text("positional 1"), text("positional 2")],
        named_args: [
          { name: ":a", value: text("named a") },
          { name: "c", value: text("named c") },
        ],
      }),
      { type: "close" },
    ]);
    expect(results[0]).toMatchObject(
      ok({ result: { rows: [[text("named a"), text("positional 2"), text("named c")]] } }),
    );
  });

  test("want_rows false still runs the statement and counts its changes", async () => {
    const { results } = await pipeline("setup", [
      execute("INSERT INTO t (name) VALUES ('quiet') RETURNING id", { want_rows: false }),
      { type: "close" },
    ]);
    expect(results[0]).toMatchObject(
      ok({
        type: "execute",
        result: { rows: [], affected_row_count: 1, last_insert_rowid: expect.any(String) },
      }),
    );
  });

  test("values on the wire: integers as decimal strings, floats as numbers, blobs as base64", async () => {
    const { results } = await pipeline("setup", [
      execute("SELECT 9007199254740993, 1.0, -0.5, x'00ff10', NULL, ?", {
        args: [{ type: "integer", value: "-9223372036854775808" }],
      }),
      { type: "close" },
    ]);
    expect(results[0]).toMatchObject(
      ok({
        result: {
          rows: [
            [
              { type: "integer", value: "9007199254740993" },
              { type: "float", value: 1 },
              { type: "float", value: -0.5 },
              { type: "blob", base64: "AP8Q" },
              { type: "null" },
              { type: "integer", value: "-9223372036854775808" },
            ],
          ],
          affected_row_count: 0,
          last_insert_rowid: null,
        },
      }),
    );
  });

  test("a text argument with a NUL character is refused rather than truncated", async () => {
    const { results } = await pipeline("setup", [
      execute("SELECT ?", { args: [text("a\u0000b")] }),
      { type: "close" },
    ]);
    expect(results[0]).toEqual(failed("ARGS_INVALID"));
  });
});
