// What the inbound-webhook admin routes share: who may call them, and how a route answers a missing source,
// refused input, and a change (remembered at this location's edge at once, so the endpoint verifies with it
// from the next delivery).
import { type SQL, sql } from "drizzle-orm";
import type { Context } from "hono";
import {
  failedSourceRules,
  type SourceRow,
  type SourceRule,
  type SourceValues,
} from "../../../db/webhooks-in/sources.ts";
import type { AppEnv } from "../../env.ts";
import { ApiError, type FieldError } from "../../errors.ts";
import { type CacheScope, rememberSource, toEdgeSource } from "../../hooks/source-cache.ts";
import { generateSecret, secretProblem } from "../../hooks/verification.ts";
import { toSourceView } from "./schemas.ts";

export const tags = ["Inbound webhooks"];
// Sources hold secrets and decide what outsiders may write; the inbox holds raw payloads: admins only.
export const WEBHOOKS_READ = { scope: "webhooks:read", roles: ["admin"] } as const;
export const WEBHOOKS_WRITE = { scope: "webhooks:write", roles: ["admin"], write: true } as const;

export function notFound(): never {
  throw new ApiError("not_found", "Not found");
}

export function invalid(errors: FieldError[]): ApiError {
  return new ApiError("validation_failed", errors.map((e) => `${e.path}: ${e.message}`).join("; "), {
    errors,
  });
}

export function ruleErrors(rules: SourceRule[], flags: Record<string, unknown> | undefined): FieldError[] {
  return failedSourceRules(rules, flags).map((rule) => ({ path: rule.path, message: rule.message }));
}

function scopeOf(c: Context<AppEnv>): CacheScope {
  const config = c.get("config");
  return {
    databaseUrl: config.LIBSQL_URL,
    selfOrigin: new URL(c.req.url).origin,
    pepper: config.PASSWORD_PEPPER,
  };
}

/** The changed source, known at this location's edge from now on. */
export async function remembered(c: Context<AppEnv>, row: SourceRow): Promise<SourceRow> {
  await rememberSource(scopeOf(c), row.id, toEdgeSource(row));
  return row;
}

export function secretOrProblem(kind: SourceValues["verification"], given: string | undefined): string {
  const secret = given ?? generateSecret(kind);
  if (secret === null) {
    throw invalid([{ path: "secret", message: "A HubSpot source needs its app's client secret." }]);
  }
  const problem = secretProblem(kind, secret);
  if (problem) throw invalid([{ path: "secret", message: problem }]);
  return secret;
}

/** Write the audit entry only when the statement before it changed the source. */
export function changedAt(id: string, now: number): SQL {
  return sql`exists (select 1 from webhook_sources where id = ${id} and updated_at = ${now})`;
}

export const view = (c: Context<AppEnv>, row: SourceRow) => toSourceView(row, new URL(c.req.url).origin);
