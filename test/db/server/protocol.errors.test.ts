// Malformed Hrana requests get a 4xx with a JSON error body, never a 500 or a crash, and execute nothing;
// a refused request on an open stream releases what that stream held.
import { request } from "node:http";
import { createClient } from "@libsql/client/web";
import { beforeAll, describe, expect, test, vi } from "vitest";
import { useLibsqlServer } from "./support.ts";

const server = useLibsqlServer("protocol-errors");

beforeAll(async () => {
  await post("/ns/errors/v2/pipeline", {
    baton: null,
    requests: [{ type: "execute", stmt: { sql: "CREATE TABLE t (v TEXT)" } }, { type: "close" }],
  });
});

async function post(
  path: string,
  body: unknown,
  init: RequestInit = {},
): Promise<{
  status: number;
  type: string | null;
  json: { message?: string; code?: string; baton?: string };
}> {
  const response = await fetch(`${server.url}${path}`, {
    method: "POST",
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...init,
  });
  return { status: response.status, type: response.headers.get("content-type"), json: await response.json() };
}

const PIPELINE = "/ns/errors/v2/pipeline";
const insert = (v: string) => ({
  type: "execute",
  stmt: { sql: "INSERT INTO t VALUES (?)", args: [{ type: "text", value: v }] },
});

async function rows(): Promise<unknown> {
  const { json } = await post(PIPELINE, {
    baton: null,
    requests: [{ type: "execute", stmt: { sql: "SELECT count(*) FROM t" } }, { type: "close" }],
  });
  return (json as unknown as { results: [{ response: { result: { rows: [[{ value: string }]] } } }] })
    .results[0].response.result.rows[0][0].value;
}

describe("protocol errors", () => {
  test("a body that is not JSON is a 400 with a JSON message", async () => {
    const { status, type, json } = await post(PIPELINE, "{not json");
    expect(status).toBe(400);
    expect(type).toBe("application/json");
    expect(json.message).toMatch(/not valid JSON/);
  });

  test("malformed bodies, requests and values are 400s, never 500s", async () => {
    const bodies: unknown[] = [
      null,
      [],
      42,
      {},
      { requests: "nope" },
      { baton: 7, requests: [] },
      { baton: null, requests: [null] },
      { baton: null, requests: [{}] },
      { baton: null, requests: [{ type: "execute" }] },
      { baton: null, requests: [{ type: "execute", stmt: {} }] },
      { baton: null, requests: [{ type: "execute", stmt: { sql: "SELECT 1", sql_id: 1 } }] },
      { baton: null, requests: [{ type: "execute", stmt: { sql: 1 } }] },
      {
        baton: null,
        requests: [{ type: "execute", stmt: { sql: "SELECT ?", args: [{ type: "integer", value: "12x" }] } }],
      },
      {
        baton: null,
        requests: [
          {
            type: "execute",
            stmt: { sql: "SELECT ?", args: [{ type: "integer", value: "9223372036854775808" }] },
          },
        ],
      },
      {
        baton: null,
        requests: [{ type: "execute", stmt: { sql: "SELECT ?", args: [{ type: "blob", base64: "@@" }] } }],
      },
      { baton: null, requests: [{ type: "execute", stmt: { sql: "SELECT ?", args: [{ type: "date" }] } }] },
      {
        baton: null,
        requests: [{ type: "execute", stmt: { sql: "SELECT ?", args: [{ type: "float", value: "1" }] } }],
      },
      {
        baton: null,
        requests: [{ type: "execute", stmt: { sql: "SELECT ?", named_args: [{ value: { type: "null" } }] } }],
      },
      { baton: null, requests: [{ type: "execute", stmt: { sql: "SELECT 1", want_rows: "yes" } }] },
      {
        baton: null,
        requests: [
          {
            type: "batch",
            batch: { steps: [{ stmt: { sql: "SELECT 1" }, condition: { type: "ok", step: 0 } }] },
          },
        ],
      },
      {
        baton: null,
        requests: [
          { type: "batch", batch: { steps: [{ stmt: { sql: "SELECT 1" }, condition: { type: "maybe" } }] } },
        ],
      },
      { baton: null, requests: [{ type: "store_sql", sql_id: 1.5, sql: "SELECT 1" }] },
      { baton: null, requests: [{ type: "sequence" }] },
    ];
    for (const body of bodies) {
      const { status, json } = await post(PIPELINE, body);
      expect(status, JSON.stringify(body)).toBe(400);
      expect(json.message, JSON.stringify(body)).toEqual(expect.any(String));
    }
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  test("an unknown request type refuses the whole pipeline before anything in it runs", async () => {
    const { status, json } = await post(PIPELINE, {
      baton: null,
      requests: [insert("must not persist"), { type: "vacuum" }],
    });
    expect(status).toBe(400);
    expect(json.message).toMatch(/not a known request type: "vacuum"/);
    expect(await rows()).toBe("0");
  });

  test("an unknown baton is a 400, and so is a baton already used", async () => {
    const forged = await post(PIPELINE, { baton: "forged", requests: [] });
    expect(forged.status).toBe(400);
    expect(forged.json.code).toBe("BATON_INVALID");

    const opened = await post(PIPELINE, { baton: null, requests: [] });
    const baton = opened.json.baton;
    expect(baton).toEqual(expect.any(String));
    expect((await post(PIPELINE, { baton, requests: [] })).status).toBe(200);
    expect((await post(PIPELINE, { baton, requests: [] })).json.code).toBe("BATON_INVALID");
  });

  test("a baton is only valid in the namespace of its stream", async () => {
    const opened = await post(PIPELINE, { baton: null, requests: [] });
    const elsewhere = await post("/ns/other/v2/pipeline", { baton: opened.json.baton, requests: [] });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.json.code).toBe("BATON_INVALID");
  });

  test("a refused request on a stream in a transaction rolls it back and frees the namespace", async () => {
    const opened = await post(PIPELINE, {
      baton: null,
      requests: [{ type: "execute", stmt: { sql: "BEGIN" } }, insert("in tx")],
    });
    expect(opened.status).toBe(200);
    const refused = await post(PIPELINE, { baton: opened.json.baton, requests: [{ type: "nonsense" }] });
    expect(refused.status).toBe(400);
    // Without the rollback this read would wait for the stream to expire (10 s by default).
    const timeout = new Promise((resolve) => setTimeout(resolve, 1000, "still waiting"));
    expect(await Promise.race([rows(), timeout])).toBe("0");
  });

  test("Hrana over protobuf is not offered, so the client falls back to JSON", async () => {
    for (const path of ["/v3-protobuf", "/ns/errors/v3-protobuf"]) {
      expect((await fetch(`${server.url}${path}`)).status, path).toBe(404);
    }
    expect((await post("/v3-protobuf/pipeline", {})).status).toBe(404);
  });

  test("a namespace URL without its trailing slash gets a 400 that says so", async () => {
    const { status, json } = await post("/ns/v2/pipeline", { baton: null, requests: [] });
    expect(status).toBe(400);
    expect(json.message).toMatch(/must end with a slash/);

    const client = createClient({ url: `${server.url}/ns/errors` });
    try {
      await expect(client.execute("SELECT 1")).rejects.toThrow(/must end with a slash/);
    } finally {
      client.close();
    }
  });

  test("invalid namespace names, unknown paths and wrong methods", async () => {
    expect((await post("/ns/has.dot/v2/pipeline", {})).json.code).toBe("NAMESPACE_INVALID");
    expect((await post(`/ns/${"x".repeat(65)}/v2/pipeline`, {})).status).toBe(400);
    expect((await post("/v9/pipeline", {})).status).toBe(404);
    expect((await fetch(`${server.url}/v2/pipeline`)).status).toBe(405);
    expect((await post("/health", {})).status).toBe(405);
  });
});

describe("a client that goes away", () => {
  test("mid-body is no server error, and the server goes on answering", async () => {
    const stderr = vi.spyOn(process.stderr, "write");
    try {
      const url = new URL(`${server.url}${PIPELINE}`);
      await new Promise<void>((resolve) => {
        const req = request(url, { method: "POST", headers: { "content-length": "100000" } });
        req.on("error", () => resolve());
        req.write('{"baton":null,"requests":[');
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 50);
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const written = stderr.mock.calls.map(([chunk]) => String(chunk)).join("");
      expect(written).not.toContain("internal error");
      expect((await post(PIPELINE, { baton: null, requests: [{ type: "close" }] })).status).toBe(200);
    } finally {
      stderr.mockRestore();
    }
  });
});
