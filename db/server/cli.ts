// `npx node db/server/cli.ts --data .data --port 8080 [--token T] [--latency-ms N] [--log]`: runs the local
// libSQL server until SIGINT or SIGTERM. Flags fall back to LIBSQL_SERVER_* environment variables.

import { parseArgs } from "node:util";
import { startLibsqlServer } from "./index.ts";

const USAGE = `Usage: node db/server/cli.ts [options]
  --data <dir>             database directory (LIBSQL_SERVER_DATA, default .data)
  --host <host>            listen address (LIBSQL_SERVER_HOST, default 127.0.0.1)
  --port <n>               port, 0 for any free one (LIBSQL_SERVER_PORT, default 8080)
  --token <t>              require Authorization: Bearer <t> (LIBSQL_SERVER_TOKEN)
  --latency-ms <n>         delay added to each pipeline request (LIBSQL_SERVER_LATENCY_MS)
  --stream-idle-ms <n>     close idle streams after this long (LIBSQL_SERVER_STREAM_IDLE_MS, default 10000)
  --template <namespace>   new namespaces start as a copy of this one (LIBSQL_SERVER_TEMPLATE)
  --log                    one line per request to stderr (LIBSQL_SERVER_LOG=1)`;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

function integer(name: string, text: string | undefined): number | undefined {
  if (text === undefined || text === "") return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0)
    fail(`${name} must be a non-negative integer, got "${text}"\n${USAGE}`);
  return value;
}

function parseCli() {
  try {
    return parseArgs({
      options: {
        data: { type: "string" },
        host: { type: "string" },
        port: { type: "string" },
        token: { type: "string" },
        "latency-ms": { type: "string" },
        "stream-idle-ms": { type: "string" },
        template: { type: "string" },
        log: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    });
  } catch (error) {
    return fail(`${error instanceof Error ? error.message : error}\n${USAGE}`);
  }
}

const { values } = parseCli();
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const env = process.env;
const dataDir = values.data ?? env.LIBSQL_SERVER_DATA ?? ".data";
const token = values.token ?? env.LIBSQL_SERVER_TOKEN;
const templateNamespace = values.template ?? env.LIBSQL_SERVER_TEMPLATE;
const options = {
  dataDir,
  host: values.host ?? env.LIBSQL_SERVER_HOST ?? "127.0.0.1",
  port: integer("--port", values.port ?? env.LIBSQL_SERVER_PORT) ?? 8080,
  latencyMs: integer("--latency-ms", values["latency-ms"] ?? env.LIBSQL_SERVER_LATENCY_MS) ?? 0,
  log: values.log ?? env.LIBSQL_SERVER_LOG === "1",
  ...(token ? { authToken: token } : {}),
  ...(templateNamespace ? { templateNamespace } : {}),
};
const streamIdleMs = integer(
  "--stream-idle-ms",
  values["stream-idle-ms"] ?? env.LIBSQL_SERVER_STREAM_IDLE_MS,
);

try {
  const server = await startLibsqlServer(streamIdleMs === undefined ? options : { ...options, streamIdleMs });
  process.stdout.write(`libSQL server listening on ${server.url} (data: ${dataDir})\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    server.close().then(
      () => process.exit(0),
      (error: unknown) => fail(`Error while stopping: ${error instanceof Error ? error.message : error}`),
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
