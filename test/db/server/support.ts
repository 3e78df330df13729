// Setup the local server's tests share: a server of the test file's own on a temporary data directory, clients
// closed after each test, and raw Hrana pipeline requests with builders for their entries.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Client, type Config, createClient } from "@libsql/client/web";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { type LibsqlServer, type LibsqlServerOptions, startLibsqlServer } from "../../../db/server/index.ts";

export interface TestServer extends LibsqlServer {
  /** Where the server keeps its namespaces, one <namespace>.db file each. */
  readonly dataDir: string;
}

/**
 * A server for this test file on a temporary data directory (any free port): started before the file's tests,
 * closed and its data deleted after them. The object answers for the running server, so use it in tests and
 * hooks; hooks the file registers later run after the start and before the stop.
 */
export function useLibsqlServer(
  name: string,
  options: Omit<LibsqlServerOptions, "dataDir" | "port"> = {},
): TestServer {
  let server: LibsqlServer | undefined;
  let dataDir: string | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), `libsql-server-${name}-`));
    server = await startLibsqlServer({ ...options, dataDir, port: 0 });
  });

  afterAll(async () => {
    await server?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const running = (): LibsqlServer => {
    if (!server) throw new Error("The test server starts in beforeAll: use it in tests and hooks.");
    return server;
  };
  return {
    get dataDir() {
      if (!dataDir) throw new Error("The test server starts in beforeAll: use it in tests and hooks.");
      return dataDir;
    },
    get url() {
      return running().url;
    },
    get port() {
      return running().port;
    },
    namespaceUrl: (name) => running().namespaceUrl(name),
    stats: (name) => running().stats(name),
    setTemplateNamespace: (name) => running().setTemplateNamespace(name),
    close: () => running().close(),
  };
}

type ClientOptions = Omit<Config, "url">;

/** Opens clients (on a namespace's URL, say) with `defaults`; each is closed after the test that opened it. */
export function useClients(defaults: ClientOptions = {}): (url: string, options?: ClientOptions) => Client {
  const clients: Client[] = [];
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });
  return (url, options = {}) => {
    const client = createClient({ ...defaults, ...options, url });
    clients.push(client);
    return client;
  };
}

export interface PipelineResponse {
  baton: string | null;
  base_url: string | null;
  results: unknown[];
}

/**
 * A server for Hrana spoken raw, whose namespace "setup" holds table t (id, name unique) with the rows 'a'
 * and 'b'; `pipeline` posts requests to a namespace and expects a 200.
 */
export function useHranaServer(name: string) {
  const server = useLibsqlServer(name);

  async function pipeline(
    namespace: string,
    requests: unknown[],
    baton: string | null = null,
    version = "v2",
  ): Promise<PipelineResponse> {
    const response = await fetch(`${server.namespaceUrl(namespace)}${version}/pipeline`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ baton, requests }),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as PipelineResponse;
  }

  beforeAll(async () => {
    await pipeline("setup", [
      {
        type: "sequence",
        sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE); INSERT INTO t (name) VALUES ('a'), ('b');",
      },
    ]);
  });

  return { server, pipeline };
}

/** An execute request, and the shapes of what a pipeline answers: a text value, an ok result, an error. */
export const execute = (sql: string, stmt: Record<string, unknown> = {}) => ({
  type: "execute",
  stmt: { sql, ...stmt },
});
export const text = (value: string) => ({ type: "text", value });
export const ok = (response: unknown) => ({ type: "ok", response });
export const failed = (code: string) => ({ type: "error", error: { message: expect.any(String), code } });
