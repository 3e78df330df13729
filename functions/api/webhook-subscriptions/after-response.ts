// Work a response asks for but need not wait on (a queue message asking for a delivery pass): it runs after
// the answer through waitUntil, and on its own where there is no execution context (app.request in tests).
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";

export function afterResponse(c: Context<AppEnv>, work: Promise<unknown>): void {
  try {
    c.executionCtx.waitUntil(work);
  } catch {
    // No execution context: the promise runs to its end on its own.
  }
}
