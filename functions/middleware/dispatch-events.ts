// After a write answered, ask for the domain events it recorded to be dispatched (queues/domain-events/), so
// workflows and webhooks hear of it within seconds. It costs no database trip and never delays the response;
// a lost ask is made good by the minute cron.
import { createMiddleware } from "hono/factory";
import { requestDispatch } from "../../queues/domain-events/dispatch.ts";
import type { AppEnv } from "../env.ts";

const WRITES = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export const dispatchEvents = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  if (!WRITES.has(c.req.method) || c.res.status >= 400 || !c.req.path.startsWith("/api/")) return;
  const queue = c.env.EVENTS_QUEUE;
  if (!queue) return;
  const asked = requestDispatch(queue).catch((error: unknown) => {
    console.error(
      JSON.stringify({
        level: "warn",
        requestId: c.get("requestId"),
        message: "could not ask for event dispatch; the minute cron will",
        error: error instanceof Error ? error.message : String(error),
      }),
    );
  });
  try {
    c.executionCtx.waitUntil(asked);
  } catch {
    // No execution context (app.request in a test or script): the promise runs to its end on its own.
  }
});
