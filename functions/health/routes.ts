// Health: readiness checked with a real query on our schema, and a liveness probe that needs no database.
import { createRoute, z } from "@hono/zod-openapi";
import { readHealth } from "../../db/health.ts";
import pkg from "../../package.json" with { type: "json" };
import { createRouter } from "../app.ts";
import { json } from "../openapi.ts";

const HealthSchema = z
  .object({
    status: z.enum(["ok", "unavailable"]),
    db: z.enum(["ok", "unreachable", "not_migrated", "error"]),
    version: z.string(),
    cron: z.object({ lastRunAt: z.number().int().nullable() }).optional(),
  })
  .openapi("Health");

const health = createRoute({
  method: "get",
  path: "/health",
  summary: "Readiness: the Worker and its database",
  tags: ["System"],
  responses: {
    200: json(HealthSchema, "Ready"),
    503: json(HealthSchema, "The database is not usable"),
  },
});

const live = createRoute({
  method: "get",
  path: "/health/live",
  summary: "Liveness: the Worker answers, without touching the database",
  tags: ["System"],
  responses: {
    200: json(z.object({ status: z.literal("ok"), version: z.string() }), "Alive"),
  },
});

// The health check must answer promptly even when the database hangs.
const HEALTH_TIMEOUT_MS = 2_000;

export const healthRoutes = createRouter()
  .openapi(health, async (c) => {
    const result = await readHealth(c.get("db"), HEALTH_TIMEOUT_MS);
    c.header("Cache-Control", "no-store");
    if (result.db === "ok") {
      return c.json(
        {
          status: "ok" as const,
          db: result.db,
          version: pkg.version,
          cron: { lastRunAt: result.lastCronRunAt },
        },
        200,
      );
    }
    console.warn(JSON.stringify({ level: "warn", requestId: c.get("requestId"), health: result }));
    c.header("Retry-After", "5");
    return c.json({ status: "unavailable" as const, db: result.db, version: pkg.version }, 503);
  })
  .openapi(live, (c) => c.json({ status: "ok" as const, version: pkg.version }, 200));
