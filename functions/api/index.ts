// The REST API under /api/v1: every resource router, mounted at the root (routes carry their full paths, so
// the route table and the OpenAPI document show the paths callers use).
import { createRouter } from "../app.ts";
import { authRoutes } from "./auth/routes.ts";

export const apiRoutes = createRouter().route("/", authRoutes);
