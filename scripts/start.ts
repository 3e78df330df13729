// `npm start`: the whole CRM on this machine. Builds the web assets, starts the local libSQL server on .data/,
// migrates, serves the Worker with `wrangler dev` (queues run locally) and fires the cron triggers on schedule.
import { resolve } from "node:path";
import { createClient } from "@libsql/client/web";
import { readCrons, startCronRunner } from "./lib/cron-runner.ts";
import { projectBin, startChild } from "./lib/processes.ts";
import { type LocalStack, startLocalStack } from "./lib/stack.ts";

const port = Number(process.env.PORT ?? 8787);
const dbPort = Number(process.env.LIBSQL_PORT ?? 8080);
const dataDir = resolve(process.env.CRM_DATA_DIR ?? ".data");

function log(message: string): void {
  console.log(`[start] ${message}`);
}

let stack: LocalStack | undefined;

/** Tells a newcomer how to log in: the first admin is created at its first login while there are no users. */
async function announceAdmin(running: LocalStack): Promise<void> {
  const client = createClient({ url: running.server.url });
  try {
    const { rows } = await client.execute("select count(*) as n from users");
    if (Number(rows[0]?.n) > 0) return;
    const fromEnv = Boolean(process.env.CRM_ADMIN_PASSWORD);
    log(
      `first login: ${running.admin.email} with ${fromEnv ? "the password in CRM_ADMIN_PASSWORD" : `password ${running.admin.password} (kept in ${dataDir}/secrets.json; set CRM_ADMIN_EMAIL and CRM_ADMIN_PASSWORD to choose your own)`}`,
    );
  } finally {
    client.close();
  }
}
let cron: { stop(): void } | undefined;
let shuttingDown = false;

async function shutdown(code: number): Promise<never> {
  if (!shuttingDown) {
    shuttingDown = true;
    log("stopping…");
    cron?.stop();
    await stack?.stop();
  }
  process.exit(code);
}

process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

try {
  if (process.env.SKIP_WEB_BUILD !== "1") {
    log("building web assets…");
    const build = startChild(projectBin("vite"), [
      "build",
      "--config",
      "web/vite.config.ts",
      "--logLevel",
      "warn",
    ]);
    if ((await build.exited) !== 0) throw new Error("The web build failed (see the messages above).");
  }

  stack = await startLocalStack({ port, dbPort, dataDir });
  log(`libSQL server on ${stack.server.url}, data in ${dataDir}; database migrated`);
  void stack.wrangler.exited.then((code) => {
    if (!shuttingDown) {
      console.error(`[start] wrangler dev exited (code ${code}); stopping.`);
      void shutdown(code || 1);
    }
  });

  const crons = readCrons();
  cron = startCronRunner({
    workerUrl: stack.workerUrl,
    crons,
    onFire: (fire) =>
      log(
        `cron "${fire.cron}" for ${new Date(fire.scheduledTime).toISOString()}: ${fire.ok ? "ran" : `failed: ${fire.detail}`}`,
      ),
  });
  log(`crons scheduled: ${crons.map((c) => `"${c}"`).join(", ")}`);
  await announceAdmin(stack);
  log(`CRM ready on ${stack.workerUrl}  (health: ${stack.workerUrl}/health). Ctrl-C stops everything.`);
} catch (error) {
  console.error(`[start] ${error instanceof Error ? error.message : String(error)}`);
  await shutdown(1);
}
