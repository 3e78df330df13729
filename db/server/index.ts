// The local libSQL server: the real libSQL engine behind Hrana over HTTP, so the Worker and Node tools talk
// to it with @libsql/client/web exactly as they talk to Turso. Start it with startLibsqlServer().

import { mkdirSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { createRequestHandler } from "./http.ts";
import { isNamespaceName, NamespaceRegistry } from "./namespaces.ts";
import { StreamRegistry } from "./streams.ts";

export interface LibsqlServerOptions {
  /** One database file per namespace: <dataDir>/<namespace>.db (the directory is created if missing). */
  dataDir: string;
  /** Default "127.0.0.1". */
  host?: string;
  /** Default 8080; 0 picks any free port. */
  port?: number;
  /** When set, every request except GET /health needs `Authorization: Bearer <token>`. */
  authToken?: string;
  /** Added before answering each pipeline request (stands in for the edge-to-primary distance). */
  latencyMs?: number;
  /** One line per request to stderr. */
  log?: boolean;
  /** Idle streams are closed, and their open transaction rolled back, after this long. Default 10 000. */
  streamIdleMs?: number;
  /** A namespace created on first use starts as a copy of this namespace's database. */
  templateNamespace?: string;
}

export interface LibsqlServer {
  /** The default namespace, e.g. http://127.0.0.1:8080 */
  url: string;
  port: number;
  /** The URL a client should use for a namespace, with the trailing slash the client needs. */
  namespaceUrl(name: string): string;
  stats(name: string): { pipelines: number; statements: number };
  setTemplateNamespace(name: string | undefined): void;
  /** Closes the HTTP server, the streams (rolling back their transactions) and the databases. */
  close(): Promise<void>;
}

const DEFAULT_STREAM_IDLE_MS = 10_000;

export async function startLibsqlServer(options: LibsqlServerOptions): Promise<LibsqlServer> {
  const host = options.host ?? "127.0.0.1";
  const streamIdleMs = options.streamIdleMs ?? DEFAULT_STREAM_IDLE_MS;
  if (!(streamIdleMs > 0)) {
    throw new Error(`streamIdleMs must be a positive number of milliseconds, got ${streamIdleMs}`);
  }
  if (options.authToken === "") throw new Error("authToken is empty: omit it to run without a token");
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const namespaces = new NamespaceRegistry(dataDir, options.templateNamespace);
  const streams = new StreamRegistry(streamIdleMs);
  const server = createServer(
    createRequestHandler({
      namespaces,
      streams,
      authToken: options.authToken,
      latencyMs: options.latencyMs ?? 0,
      log: options.log ?? false,
    }),
  );
  const port = await listen(server, host, options.port ?? 8080);
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;

  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    const stopped = new Promise<void>((done) => server.close(() => done()));
    server.closeAllConnections();
    await stopped;
    streams.closeAll();
    await namespaces.close();
  };

  return {
    url,
    port,
    namespaceUrl(name) {
      if (!isNamespaceName(name))
        throw new Error(`Invalid namespace name "${name}": use 1 to 64 of A-Z a-z 0-9 _ -`);
      return `${url}/ns/${name}/`;
    },
    stats: (name) => namespaces.stats(name),
    setTemplateNamespace: (name) => namespaces.setTemplate(name),
    close() {
      closing ??= close();
      return closing;
    },
  };
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((done, fail) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      if (error.code === "EADDRINUSE") {
        fail(
          new Error(
            `Port ${port} on ${host} is already in use. Stop whatever listens there, or choose another port ` +
              "(--port <n> or LIBSQL_SERVER_PORT=<n> for the CLI, `port` in the options; 0 picks any free port).",
          ),
        );
      } else {
        fail(error);
      }
    };
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      done((server.address() as AddressInfo).port);
    });
  });
}
