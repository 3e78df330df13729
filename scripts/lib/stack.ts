// The local stack: libSQL server on a data folder, migrated, and the Worker under `wrangler dev`.
// `npm start`, the benchmarks and the end-to-end tests all start it the same way.
import { mkdirSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { migrateDatabase } from "../../db/migrate.ts";
import { type LibsqlServer, startLibsqlServer } from "../../db/server/index.ts";
import { loadLocalSecrets } from "./local-secrets.ts";
import { assertPortFree, type Child, projectBin, startChild, waitForUrl } from "./processes.ts";

export interface LocalStackOptions {
  host?: string;
  port: number;
  dbPort: number;
  dataDir: string;
  /** Added to each database request, to stand in for the distance to a remote primary. */
  latencyMs?: number;
  /** The first admin, created at the first login when there are no users (defaults: env, then generated). */
  adminEmail?: string;
  adminPassword?: string;
  /** Where wrangler's output goes: the terminal, or nowhere (tests and benchmarks). */
  quiet?: boolean;
  /** Another Worker entry instead of wrangler.toml's `main` (a test-only wrapper around the real one). */
  main?: string;
  /** More settings for the Worker, beside the ones the stack sets (tests: switches of a test-only entry). */
  vars?: Record<string, string>;
}

export interface LocalStack {
  workerUrl: string;
  admin: { email: string; password: string };
  server: LibsqlServer;
  wrangler: Child;
  stop(): Promise<void>;
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const host = options.host ?? "127.0.0.1";
  await assertPortFree(options.port, host, "Worker (wrangler dev)", "PORT");
  if (options.dbPort !== 0) await assertPortFree(options.dbPort, host, "local libSQL server", "LIBSQL_PORT");

  const dbDir = resolve(options.dataDir, "db");
  mkdirSync(dbDir, { recursive: true });
  const server = await startLibsqlServer({
    dataDir: dbDir,
    host,
    port: options.dbPort,
    latencyMs: options.latencyMs,
  });
  try {
    await migrateDatabase({ url: server.url });
  } catch (error) {
    await server.close();
    throw error;
  }

  const secrets = loadLocalSecrets(options.dataDir);
  const admin = {
    email: options.adminEmail ?? process.env.CRM_ADMIN_EMAIL ?? "admin@example.com",
    password: options.adminPassword ?? process.env.CRM_ADMIN_PASSWORD ?? secrets.ADMIN_PASSWORD,
  };
  const envFile = resolve(options.dataDir, "worker.env");
  writeFileSync(
    envFile,
    Object.entries({
      ENVIRONMENT: "development",
      LIBSQL_URL: server.url,
      PASSWORD_PEPPER: secrets.PASSWORD_PEPPER,
      SESSION_SIGNING_KEYS: secrets.SESSION_SIGNING_KEYS,
      CRM_ADMIN_EMAIL: admin.email,
      CRM_ADMIN_PASSWORD: admin.password,
      ...passedThrough(),
      ...options.vars,
    })
      .map(([key, value]) => `${key}=${JSON.stringify(value)}\n`)
      .join(""),
    { mode: 0o600 },
  );
  const wrangler = startChild(
    projectBin("wrangler"),
    [
      "dev",
      ...(options.main ? [options.main] : []),
      "--ip",
      host,
      "--port",
      String(options.port),
      "--persist-to",
      resolve(options.dataDir, "wrangler"),
      "--test-scheduled",
      "--show-interactive-dev-session=false",
      // Settings and secrets in a file only this user can read, not on the command line.
      "--env-file",
      envFile,
    ],
    { stdio: options.quiet ? "pipe" : "inherit" },
  );
  // A piped stream nobody reads would fill up and stall wrangler.
  wrangler.process.stdout?.resume();
  wrangler.process.stderr?.resume();

  const workerUrl = `http://${host}:${options.port}`;
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      await wrangler.stop();
      await server.close();
    })();
    return stopping;
  };
  try {
    await waitForUrl(`${workerUrl}/health/live`, { timeoutMs: 120_000, exited: wrangler.exited });
  } catch (error) {
    await stop();
    throw error;
  }
  return { workerUrl, admin, server, wrangler, stop };
}

/** Settings a developer may give `npm start` in its environment, handed on to the Worker as they are. */
const PASSED_THROUGH = ["EMAIL_PROVIDER", "EMAIL_FROM", "EMAIL_API_KEY", "WEBHOOKS_ALLOW_PRIVATE_TARGETS"];

function passedThrough(): Record<string, string> {
  return Object.fromEntries(
    PASSED_THROUGH.flatMap((name) => {
      const value = process.env[name];
      return value === undefined ? [] : [[name, value]];
    }),
  );
}
