// The readiness query: proves the database answers and is migrated, and reports when a cron job last ran.
import { max } from "drizzle-orm";
import type { Database } from "./client.ts";
import { isDatabaseUnavailable } from "./errors.ts";
import { jobRuns } from "./schema/index.ts";

export type DatabaseHealth =
  | { db: "ok"; lastCronRunAt: number | null }
  | { db: "unreachable" | "not_migrated" | "error"; error: string };

export async function readHealth(db: Database, timeoutMs: number): Promise<DatabaseHealth> {
  const query = db.select({ lastRunAt: max(jobRuns.startedAt) }).from(jobRuns);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DOMException("health query timed out", "TimeoutError")), timeoutMs);
  });
  try {
    const [row] = await Promise.race([query, timeout]);
    return { db: "ok", lastCronRunAt: row?.lastRunAt ?? null };
  } catch (error) {
    const message = describe(error);
    if (isDatabaseUnavailable(error)) return { db: "unreachable", error: message };
    if (/no such table/i.test(message)) return { db: "not_migrated", error: message };
    return { db: "error", error: message };
  } finally {
    clearTimeout(timer);
  }
}

function describe(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e instanceof Error && parts.length < 4; e = e.cause) parts.push(e.message);
  return parts.join(": ") || String(error);
}
