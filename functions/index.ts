// The Worker entry: HTTP through the Hono app, queue batches to their consumers, cron events to their jobs.
import { handleScheduled } from "../queues/cron/index.ts";
import { handleQueue } from "../queues/index.ts";
import { docsRoutes } from "./api/docs/routes.ts";
import { apiRoutes } from "./api/index.ts";
import { createApp } from "./app.ts";
import { publicCalendarRoutes } from "./calendar/routes.ts";
import type { Env } from "./env.ts";
import { publicFormRoutes } from "./forms/routes.ts";
import { healthRoutes } from "./health/routes.ts";
import { hookRoutes } from "./hooks/routes.ts";

export const app = createApp()
  .route("/", healthRoutes)
  .route("/", apiRoutes)
  .route("/", publicFormRoutes)
  .route("/", hookRoutes)
  .route("/", publicCalendarRoutes);
app.route("/", docsRoutes(app));

app.openAPIRegistry.registerComponent("securitySchemes", "session", {
  type: "apiKey",
  in: "cookie",
  name: "crm_access",
  description:
    "The web app's session (set by POST /api/v1/auth/login). Writes also need the X-CRM-Request header.",
});
app.openAPIRegistry.registerComponent("securitySchemes", "apiKey", {
  type: "http",
  scheme: "bearer",
  description: "An API key (`crm_…`), with the scopes it was granted.",
});

app.doc31("/api/openapi.json", {
  openapi: "3.1.0",
  info: {
    title: "Edge CRM API",
    version: "1",
    description: "REST API of the CRM. Errors are RFC 9457 problem+json.",
  },
});

export default {
  fetch: app.fetch,
  async queue(batch, env) {
    await handleQueue(batch, env);
  },
  async scheduled(controller, env) {
    await handleScheduled(controller, env);
  },
} satisfies ExportedHandler<Env, unknown>;
