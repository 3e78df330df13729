// A local server started with a token refuses requests without it or with a wrong one, and accepts the
// right one; /health stays open for readiness checks.
import { createClient, LibsqlError } from "@libsql/client/web";
import { describe, expect, test } from "vitest";
import { useLibsqlServer } from "./support.ts";

const TOKEN = "s3cret-local-token";

const server = useLibsqlServer("auth", { authToken: TOKEN });

async function attempt(authToken: string | undefined): Promise<unknown> {
  const client = createClient({ url: server.namespaceUrl("guarded"), ...(authToken ? { authToken } : {}) });
  try {
    return (await client.execute("SELECT 42 AS answer")).rows[0]?.answer;
  } catch (error) {
    return error;
  } finally {
    client.close();
  }
}

describe("token", () => {
  test("a missing token is refused", async () => {
    const error = await attempt(undefined);
    expect(error).toBeInstanceOf(LibsqlError);
    expect((error as LibsqlError).code).toBe("UNAUTHORIZED");
  });

  test("a wrong token is refused, even one sharing the right prefix", async () => {
    for (const token of ["wrong", `${TOKEN}x`, TOKEN.slice(0, -1)]) {
      expect(await attempt(token)).toMatchObject({ code: "UNAUTHORIZED" });
    }
  });

  test("the right token is accepted", async () => {
    expect(await attempt(TOKEN)).toBe(42);
  });

  test("refused requests answer 401 and touch no database; /health needs no token", async () => {
    const refused = await fetch(`${server.url}/v2/pipeline`, {
      method: "POST",
      body: '{"baton":null,"requests":[]}',
    });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toBe("Bearer");
    const stats = await fetch(`${server.url}/_admin/namespaces/guarded/stats`);
    expect(stats.status).toBe(401);
    expect(server.stats("default")).toEqual({ pipelines: 0, statements: 0 });

    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
  });
});
