// Worker-test helpers: a fresh database namespace per test file, requests through the Worker's own handlers,
// and a count of the database round trips a request made.
import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  getQueueResult,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env as baseEnv } from "cloudflare:workers";
import { expect } from "vitest";
import { createDb, type Database } from "../../db/client.ts";
import type { Env } from "../../functions/env.ts";
import worker from "../../functions/index.ts";

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_LIBSQL_SERVER: string;
    }
  }
}

const serverUrl = (baseEnv as unknown as { TEST_LIBSQL_SERVER: string }).TEST_LIBSQL_SERVER;

export interface TestDatabase {
  namespace: string;
  env: Env;
  db: Database;
  fetch(path: string, init?: RequestInit): Promise<Response>;
  queue(queue: string, bodies: unknown[], attempts?: number): ReturnType<typeof getQueueResult>;
  scheduled(cron: string, scheduledTime: number): Promise<void>;
  /** How many pipeline requests (round trips) the database received while `fn` ran. */
  roundTrips(fn: () => Promise<unknown>): Promise<number>;
}

/** A namespace of its own for this test file, created on first use as a copy of the migrated template. */
export function useTestDatabase(overrides: Partial<Env> = {}): TestDatabase {
  const namespace = `t-${crypto.randomUUID()}`;
  const env = { ...(baseEnv as unknown as Env), LIBSQL_URL: `${serverUrl}/ns/${namespace}/`, ...overrides };
  let db: Database | undefined;

  async function pipelines(): Promise<number> {
    const response = await fetch(`${serverUrl}/_admin/namespaces/${namespace}/stats`);
    expect(response.status).toBe(200);
    const stats = (await response.json()) as { pipelines: number };
    return stats.pipelines;
  }

  return {
    namespace,
    env,
    get db() {
      db ??= createDb({ url: env.LIBSQL_URL ?? "" });
      return db;
    },
    async fetch(path, init) {
      const ctx = createExecutionContext();
      const response = await worker.fetch(new Request(new URL(path, "http://crm.test"), init), env, ctx);
      await waitOnExecutionContext(ctx);
      return response;
    },
    async queue(queue, bodies, attempts = 1) {
      const batch = createMessageBatch(
        queue,
        bodies.map((body, i) => ({ id: `msg-${i}`, timestamp: Date.now(), attempts, body })),
      );
      const ctx = createExecutionContext();
      await worker.queue(batch, env);
      return getQueueResult(batch, ctx);
    },
    async scheduled(cron, scheduledTime) {
      await worker.scheduled(createScheduledController({ cron, scheduledTime }), env);
    },
    async roundTrips(fn) {
      const before = await pipelines();
      await fn();
      return (await pipelines()) - before;
    },
  };
}
