// What the fault tests of the public ingress share (forms-fault, hooks-fault): a real stack per phase (wrangler
// dev over the local libSQL server, cleaned up after each test), an admin session, and the fault itself: the
// database stops, requests come in, the database comes back on the same port and files, and the capture queue
// drains, with a state report that says what is missing when it does not.
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Client, createClient } from "@libsql/client";
import { afterEach, expect } from "vitest";
import { type LibsqlServer, startLibsqlServer } from "../../db/server/index.ts";
import { freePort } from "../../scripts/lib/processes.ts";
import { type LocalStack, type LocalStackOptions, startLocalStack } from "../../scripts/lib/stack.ts";

/** The Worker wrapped so that every queue message is delivered twice (test/worker/entries/). */
export const REDELIVERING_ENTRY = "test/worker/entries/redelivering-worker.ts";
const DRAIN_TIMEOUT_MS = 120_000;

export interface Phase {
  /** When wrangler dev bundled the Worker's sources (roughly: just before it started). */
  startedAt: number;
  stack: LocalStack;
  dataDir: string;
  dbPort: number;
  restarted?: LibsqlServer;
  client?: Client;
}

/** Starts a stack per test (`startPhase`), stopped and removed after it. */
export function useFaultPhases(name: string) {
  let phase: Phase | undefined;
  afterEach(async () => {
    phase?.client?.close();
    await phase?.stack.stop();
    await phase?.restarted?.close();
    if (phase) rmSync(phase.dataDir, { recursive: true, force: true });
    phase = undefined;
  });
  return async function startPhase(options: Pick<LocalStackOptions, "main" | "vars"> = {}): Promise<Phase> {
    const startedAt = Date.now();
    const dataDir = mkdtempSync(join(tmpdir(), `crm-${name}-`));
    const dbPort = await freePort();
    const stack = await startLocalStack({ port: await freePort(), dbPort, dataDir, quiet: true, ...options });
    phase = { startedAt, stack, dataDir, dbPort };
    return phase;
  };
}

export async function adminHeaders(stack: LocalStack): Promise<Record<string, string>> {
  const response = await fetch(`${stack.workerUrl}/api/v1/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: stack.admin.email, password: stack.admin.password }),
  });
  expect(response.status).toBe(200);
  const cookie = response.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  return { Cookie: cookie, "X-CRM-Request": "1", "Content-Type": "application/json" };
}

export async function rows<T>(client: Client, sql: string, args: (string | number)[] = []): Promise<T[]> {
  return (await client.execute({ sql, args })).rows as unknown as T[];
}

/** What the redelivering entry counted, per queue: messages handed over in each pass, and those acked. */
export interface Redeliveries {
  queues: Record<string, { firstPass: number; firstPassAcks: number; secondPass: number; acked: string[] }>;
  refusedSends: number;
}

export async function redeliveries(stack: LocalStack): Promise<Redeliveries> {
  const response = await fetch(`${stack.workerUrl}/api/__test/deliveries`);
  return (await response.json()) as Redeliveries;
}

/**
 * Worker sources changed since `since`. wrangler dev rebuilds and restarts the Worker when one changes, and its
 * local queues keep messages in memory only: a change during the test loses what waits for a retry.
 */
function changedSources(since: number): string[] {
  return ["functions", "queues", "db"].flatMap((dir) =>
    (readdirSync(dir, { recursive: true }) as string[])
      .map((name) => join(dir, name))
      .filter((path) => path.endsWith(".ts") && statSync(path).mtimeMs > since),
  );
}

/** Polls until `done` holds or the deadline passes; returns how long it took. */
async function waitFor(
  what: string,
  done: () => Promise<boolean>,
  state: () => Promise<string>,
): Promise<number> {
  const started = Date.now();
  while (!(await done())) {
    if (Date.now() - started > DRAIN_TIMEOUT_MS) {
      throw new Error(`${what} did not happen within ${DRAIN_TIMEOUT_MS} ms: ${await state()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return Date.now() - started;
}

/**
 * The fault: the database stops (the health check says so), `send` makes its requests, each answer must be one
 * `expected` allows, the database comes back (same port, same files), and the capture queue drains (`drained`).
 * Returns what was sent, a client on the database, and the time the sending and the draining took.
 */
export async function whileTheDatabaseIsDown<S extends { status: number; body: string }>(
  current: Phase,
  test: {
    send: () => Promise<S[]>;
    expected: (sent: S) => boolean;
    drained: (client: Client) => Promise<boolean>;
    /** The test's own counts, for the message when the queue does not drain. */
    state: (client: Client) => Promise<string>;
  },
) {
  const { stack } = current;
  await stack.server.close();
  expect((await fetch(`${stack.workerUrl}/health`)).status).toBe(503);

  const started = Date.now();
  const sent = await test.send();
  const sendSeconds = (Date.now() - started) / 1000;
  const unexpected = sent.filter((s) => !test.expected(s));
  expect(unexpected.map((s) => `${s.status} ${s.body.slice(0, 200)}`)).toEqual([]);

  current.restarted = await startLibsqlServer({ dataDir: join(current.dataDir, "db"), port: current.dbPort });
  const client = createClient({ url: current.restarted.url });
  current.client = client;
  const drainMs = await waitFor(
    "the capture queue draining",
    () => test.drained(client),
    async () => {
      // The redelivering entry's counters, when it serves this stack (acked ids reduced to how many).
      const deliveries = await fetch(`${stack.workerUrl}/api/__test/deliveries`)
        .then(async (r) =>
          JSON.stringify(await r.json(), (key, value) => (key === "acked" ? value.length : value)),
        )
        .catch(() => "none");
      const changed = changedSources(current.startedAt);
      const reload =
        changed.length > 0
          ? `; these Worker sources changed during the test, so wrangler dev restarted the Worker and its local queue lost what it held: ${changed.join(", ")}`
          : "";
      return `${await test.state(client)}; deliveries ${deliveries}${reload}`;
    },
  );
  return { sent, client, sendSeconds, drainMs };
}
