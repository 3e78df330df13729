// The REST API under /api/v1: every resource router, mounted at the root (routes carry their full paths, so
// the route table and the OpenAPI document show the paths callers use).
import { createRouter } from "../app.ts";
import { apiKeyRoutes } from "./api-keys/routes.ts";
import { auditLogRoutes } from "./audit-log/routes.ts";
import { authRoutes } from "./auth/routes.ts";
import { twoFactorRoutes } from "./auth/two-factor-routes.ts";
import { outboxRoutes } from "./outbox/routes.ts";
import { settingsRoutes } from "./settings/routes.ts";
import { teamRoutes } from "./teams/routes.ts";
import { userRoutes } from "./users/routes.ts";

export const apiRoutes = createRouter()
  .route("/", authRoutes)
  .route("/", twoFactorRoutes)
  .route("/", apiKeyRoutes)
  .route("/", auditLogRoutes)
  .route("/", settingsRoutes)
  .route("/", outboxRoutes)
  .route("/", userRoutes)
  .route("/", teamRoutes);
