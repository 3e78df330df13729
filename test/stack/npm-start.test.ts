// `npm start` as a newcomer runs it: serves /health, Ctrl-C stops every child, a second start keeps the data,
// and a taken port gets a clear message.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@libsql/client/web";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { assertPortFree, freePort, waitForUrl } from "../../scripts/lib/processes.ts";

const ADMIN = { email: "owner@example.com", password: "an admin passphrase for the test" };
let dataDir: string;
let port: number;
let dbPort: number;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "crm-start-"));
  port = await freePort();
  dbPort = await freePort();
});

const running: Started[] = [];

// A failed assertion must not leave a stack running that holds the ports for the next test.
afterEach(async () => {
  for (const started of running.splice(0)) {
    if (started.child.exitCode === null) {
      started.child.kill("SIGINT");
      await started.exited;
    }
  }
});

afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function start(): Started {
  let output = "";
  const child = spawn(process.execPath, ["scripts/start.ts"], {
    env: {
      ...process.env,
      PORT: String(port),
      LIBSQL_PORT: String(dbPort),
      CRM_DATA_DIR: dataDir,
      SKIP_WEB_BUILD: "1",
      CRM_ADMIN_EMAIL: ADMIN.email,
      CRM_ADMIN_PASSWORD: ADMIN.password,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const started = { child, output: () => output, exited };
  running.push(started);
  return started;
}

async function stopWithCtrlC(started: Started): Promise<number | null> {
  started.child.kill("SIGINT");
  return started.exited;
}

const db = () => createClient({ url: `http://127.0.0.1:${dbPort}` });

describe("npm start", () => {
  it("serves the CRM, and Ctrl-C stops every process it started", { timeout: 120_000 }, async () => {
    const first = start();
    await waitForUrl(`http://127.0.0.1:${port}/health`, { timeoutMs: 90_000, exited: first.exited });
    await expect.poll(() => first.output(), { timeout: 30_000 }).toContain("CRM ready on");
    const health = await (await fetch(`http://127.0.0.1:${port}/health`)).json();
    expect(health).toMatchObject({ status: "ok", db: "ok" });
    expect(first.output()).toContain(`CRM ready on http://127.0.0.1:${port}`);
    expect(first.output()).toContain(`first login: ${ADMIN.email}`);

    // The admin from the environment can log in to a fresh install.
    const login = await fetch(`http://127.0.0.1:${port}/api/v1/auth/login`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(ADMIN),
    });
    expect(login.status).toBe(200);
    expect(await login.json()).toMatchObject({ user: { email: ADMIN.email, role: "admin" } });

    const client = db();
    await client.execute({
      sql: "insert into dead_letters (id, queue, message_id, body, attempts, received_at) values (?, 'crm-capture', ?, '{}', 1, ?)",
      args: ["kept-across-restarts", "kept-across-restarts", Date.now()],
    });
    client.close();

    expect(await stopWithCtrlC(first)).toBe(0);
    // Nothing left behind holding the ports: not wrangler, not workerd, not the database server.
    await assertPortFree(port, "127.0.0.1", "Worker", "PORT");
    await assertPortFree(dbPort, "127.0.0.1", "database", "LIBSQL_PORT");
  });

  it("keeps the data on a second start", { timeout: 120_000 }, async () => {
    const second = start();
    await waitForUrl(`http://127.0.0.1:${port}/health`, { timeoutMs: 90_000, exited: second.exited });
    const client = db();
    const result = await client.execute("select id from dead_letters where id = 'kept-across-restarts'");
    client.close();
    expect(result.rows).toHaveLength(1);
    expect(await stopWithCtrlC(second)).toBe(0);
  });

  it("says clearly which port is taken and how to choose another", { timeout: 60_000 }, async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, "127.0.0.1", resolve));
    try {
      const third = start();
      expect(await third.exited).toBe(1);
      expect(third.output()).toContain(`Port ${port} on 127.0.0.1 is already in use`);
      expect(third.output()).toContain("PORT=<port> npm start");
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
