// Where a request came from, as the audit log records it.
import type { Context } from "hono";
import type { RequestOrigin } from "../db/audit.ts";
import type { AppEnv } from "./env.ts";

export function requestOrigin(c: Context<AppEnv>): RequestOrigin {
  return {
    ip: c.req.header("CF-Connecting-IP") ?? null,
    userAgent: c.req.header("User-Agent") ?? null,
    requestId: c.get("requestId") ?? null,
  };
}
