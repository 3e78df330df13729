// Calls the API routers under test through an app from the Worker's own factory, on the test file's database.
import { expect } from "vitest";
import { apiKeyRoutes } from "../../../functions/api/api-keys/routes.ts";
import { auditLogRoutes } from "../../../functions/api/audit-log/routes.ts";
import { outboxRoutes } from "../../../functions/api/outbox/routes.ts";
import { settingsRoutes } from "../../../functions/api/settings/routes.ts";
import { createApp } from "../../../functions/app.ts";
import type { TestDatabase } from "../support.ts";

export const app = createApp()
  .route("/", apiKeyRoutes)
  .route("/", auditLogRoutes)
  .route("/", settingsRoutes)
  .route("/", outboxRoutes);

export type Call = (path: string, init?: RequestInit) => Promise<Response>;

export function apiCaller(t: TestDatabase): Call {
  return async (path, init) => app.request(path, init, t.env);
}

/** Request options for a JSON body sent with the given (auth) headers. */
export function sendJson(method: string, body: unknown, headers: Record<string, string>): RequestInit {
  return { method, headers: { ...headers, "Content-Type": "application/json" }, body: JSON.stringify(body) };
}

export async function problemOf(
  response: Response,
): Promise<{ code: string; detail: string; errors?: unknown }> {
  expect(response.headers.get("Content-Type")).toBe("application/problem+json");
  return (await response.json()) as { code: string; detail: string; errors?: unknown };
}
