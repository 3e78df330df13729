// The local stack end to end: wrangler dev (workerd) over the local libSQL server, crons fired on schedule,
// and a database that goes away and comes back.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LibsqlServer, startLibsqlServer } from "../../db/server/index.ts";
import { type CronFire, readCrons, startCronRunner } from "../../scripts/lib/cron-runner.ts";
import { freePort } from "../../scripts/lib/processes.ts";
import { type LocalStack, startLocalStack } from "../../scripts/lib/stack.ts";

let stack: LocalStack;
let dataDir: string;
let dbPort: number;
let restarted: LibsqlServer | undefined;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "crm-stack-"));
  dbPort = await freePort();
  stack = await startLocalStack({ port: await freePort(), dbPort, dataDir, quiet: true });
});

afterAll(async () => {
  await stack?.stop();
  await restarted?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function health(): Promise<{
  status: number;
  body: { db: string; cron?: { lastRunAt: number | null } };
}> {
  // A hang would fail here: the health check must answer well within this.
  const response = await fetch(`${stack.workerUrl}/health`, { signal: AbortSignal.timeout(5_000) });
  return { status: response.status, body: (await response.json()) as { db: string } };
}

describe("the local stack", () => {
  it("serves /health with the database ok", async () => {
    expect(await health()).toMatchObject({ status: 200, body: { db: "ok" } });
  });

  it("fires the cron triggers on their schedule, with no manual trigger", { timeout: 90_000 }, async () => {
    const fires: CronFire[] = [];
    const runner = startCronRunner({
      workerUrl: stack.workerUrl,
      crons: readCrons(),
      onFire: (f) => fires.push(f),
    });
    try {
      // The every-minute trigger is due at the next minute boundary.
      await expect
        .poll(() => fires.find((f) => f.cron === "* * * * *"), { timeout: 75_000, interval: 500 })
        .toBeDefined();
    } finally {
      runner.stop();
    }
    const fire = fires.find((f) => f.cron === "* * * * *");
    expect(fire?.ok).toBe(true);
    // Fired for the minute it was due, which is what the job's lease is keyed on.
    expect((fire?.scheduledTime ?? 1) % 60_000).toBe(0);
    // And the Worker's scheduled handler really ran its job, for that minute: the run is in the database.
    const lastRunAt = (await health()).body.cron?.lastRunAt ?? 0;
    expect(lastRunAt).toBeGreaterThanOrEqual(fire?.scheduledTime ?? Number.POSITIVE_INFINITY);
    const db = createClient({ url: stack.server.url });
    try {
      const runs = await db.execute({
        sql: "select job from job_runs where job = 'sweep' and scheduled_at = ?",
        args: [fire?.scheduledTime ?? 0],
      });
      expect(runs.rows).toHaveLength(1);
    } finally {
      db.close();
    }
  });

  it("answers 503 promptly while the database is down, and 200 again once it is back, without a Worker restart", async () => {
    await stack.server.close();
    expect(await health()).toMatchObject({ status: 503, body: { db: "unreachable" } });

    restarted = await startLibsqlServer({ dataDir: join(dataDir, "db"), port: dbPort });
    await expect.poll(async () => (await health()).status, { timeout: 10_000 }).toBe(200);
  });
});
