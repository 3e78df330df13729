// Every route declares who may call it. The declaration guards the route, documents it in OpenAPI, and
// feeds the route table that the access-matrix test walks, so a route added later is covered by itself.
import { createRoute, type RouteConfig, z } from "@hono/zod-openapi";
import type { BatchItem, BatchResponse } from "drizzle-orm/batch";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import {
  type Access,
  accessGuard,
  decide,
  type GuardVerdict,
  guardVerdict,
  type Principal,
  principalQuery,
  toPrincipal,
} from "../db/access.ts";
import { touchApiKeyStatement } from "../db/api-keys.ts";
import type { CallerRef } from "../db/caller.ts";
import { type BatchClaim, claimStatements, isKeyHeld } from "../db/idempotency.ts";
import { csrfProtection } from "./auth/middleware.ts";
import type { AppEnv } from "./env.ts";
import { ApiError, errorResponses, problemContent } from "./errors.ts";

export type RouteAccess = Access | "public";

export interface RouteEntry {
  method: string;
  /** OpenAPI-style path, e.g. /api/v1/users/{id}. */
  path: string;
  access: RouteAccess;
  /**
   * For routes on one record, or lists of them: the kind of record, by which the access-matrix test makes
   * one that each caller may or may not see.
   */
  record?: string;
}

/** Every route defined through defineRoute, in definition order. */
export const routeTable: RouteEntry[] = [];

function requireAccess(access: RouteAccess) {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (access === "public") return next();
    if (!c.get("credentials")) throw unauthenticated(c);
    c.set("access", access);
    // Before the body is validated, so that a key is told it may not call here rather than what to send.
    if (access.sessionOnly && c.get("credentials")?.kind === "api_key") throw refuse(c, "forbidden");
    return next();
  });
}

function unauthenticated(c: Context<AppEnv>): ApiError {
  const problem = c.get("authProblem");
  return new ApiError(
    "unauthorized",
    problem === "expired"
      ? "The access token has expired: refresh the session (POST /api/v1/auth/refresh) or log in again."
      : problem === "invalid"
        ? "The credentials are not valid. Log in again, or check the API key."
        : "Log in (POST /api/v1/auth/login) or send an API key as `Authorization: Bearer <key>`.",
    { headers: { "WWW-Authenticate": 'Bearer realm="crm"' } },
  );
}

const securedResponses = {
  ...errorResponses,
  401: problemContent("Not authenticated, or the credentials are no longer valid"),
  403: problemContent("Authenticated, but not allowed: the role or the API key's scopes"),
  404: problemContent("Not found, or not visible to the caller"),
} as const;

/**
 * createRoute with an access declaration; registers the route in the route table. A route declared for
 * callers (not public) reaches the database only through authorizedRead/authorizedWrite, which check its
 * caller in the same round trip; the first of them also carries a keyed POST's claim (`claimsInBatch`).
 */
export function defineRoute<const R extends Omit<RouteConfig, "middleware">>(
  config: R & { access: RouteAccess; record?: string },
) {
  const { access, record, ...route } = config;
  routeTable.push({
    method: route.method.toUpperCase(),
    path: route.path,
    access,
    ...(record ? { record } : {}),
  });
  const description = access === "public" ? "Public." : describeAccess(access);
  // The POSTs the idempotency middleware keys (functions/middleware/idempotency.ts says why the others are not)
  // declare its optional header, lower-cased as Hono validates headers.
  const keyed = access !== "public" && route.method === "post" && isKeyedPath(route.path);
  const key = z
    .string()
    .optional()
    .openapi({
      description:
        "1 to 255 visible ASCII characters, e.g. a UUID made for this request: a retry with the same key and " +
        "body gets the first (2xx) response again, with `Idempotent-Replayed: true`; the same key with another " +
        "body is a 422, and one still in progress a 409. Keys belong to the caller and last a day.",
      example: "5f0c3c4e-8a39-4c1e-9d1b-1d2f3a4b5c6d",
    });
  const withIdempotencyKey = (headers: NonNullable<RouteConfig["request"]>["headers"]) => {
    if (headers === undefined) return z.object({ "idempotency-key": key });
    if (Array.isArray(headers))
      return [...headers, key.openapi({ param: { name: "idempotency-key", in: "header" } })];
    return headers instanceof z.ZodObject ? headers.extend({ "idempotency-key": key }) : headers;
  };
  return createRoute({
    ...route,
    ...(keyed ? { request: { ...route.request, headers: withIdempotencyKey(route.request?.headers) } } : {}),
    description: [route.description, description].filter(Boolean).join("\n\n"),
    ...(access === "public"
      ? {}
      : { security: access.sessionOnly ? [{ session: [] }] : [{ session: [] }, { apiKey: [access.scope] }] }),
    middleware: access === "public" ? [] : [csrfProtection, requireAccess(access)],
    responses: { ...securedResponses, ...route.responses },
  } as unknown as R);
}

/**
 * POSTs that are not keyed: the session routes (login, refresh, logout, password reset, 2FA) create no
 * resource and must run every time; an API key's secret is shown once and must not be kept in a second table.
 */
export function isKeyedPath(path: string): boolean {
  if (!path.startsWith("/api/v1/")) return false;
  if (path.startsWith("/api/v1/auth/")) return false;
  return path !== "/api/v1/api-keys";
}

/**
 * Whether a keyed POST to `path` claims its key in its handler's own batch: true when every POST route that
 * matches the path was declared here for callers (not public). Such a handler reaches the database only
 * through authorizedRead/authorizedWrite, where its caller is checked, and the first of them carries the
 * claim. Any other POST (public, or not declared through defineRoute) claims its key in a trip of its own first.
 */
export function claimsInBatch(path: string): boolean {
  const routes = routeTable.filter((route) => route.method === "POST" && pathPattern(route.path).test(path));
  return routes.length > 0 && routes.every((route) => route.access !== "public");
}

const pathPatterns = new Map<string, RegExp>();

/** `/api/v1/contacts/{id}/restore` as a pattern of the paths it answers. */
function pathPattern(path: string): RegExp {
  let pattern = pathPatterns.get(path);
  if (!pattern) {
    const parts = path.split(/\{[^}]+\}/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    pattern = new RegExp(`^${parts.join("[^/]+")}$`);
    pathPatterns.set(path, pattern);
  }
  return pattern;
}

function describeAccess(access: Access): string {
  const roles = access.roles ? `Roles: ${access.roles.join(", ")}.` : "Any role.";
  const keys = access.sessionOnly ? " Logged-in users only: API keys are refused." : "";
  return `Requires \`${access.scope}\`. ${roles}${access.write ? " Not for read-only users." : ""}${keys}`;
}

export const TOTP_REQUIRED =
  "Your organisation requires two-factor authentication: enrol at POST /api/v1/auth/totp/enrol";

function refuse(c: Context<AppEnv>, decision: GuardVerdict, conflict?: string): ApiError {
  if (decision === "conflict") {
    return new ApiError(
      "conflict",
      conflict ?? "The change conflicts with the current state. Reload and retry.",
    );
  }
  if (decision === "unauthenticated") return unauthenticated(c);
  if (decision === "not_found") return new ApiError("not_found", "Not found");
  if (decision === "totp_required") return new ApiError("forbidden", TOTP_REQUIRED);
  const access = c.get("access");
  const apiKey = c.get("credentials")?.kind === "api_key";
  if (apiKey && access?.sessionOnly) {
    return new ApiError(
      "forbidden",
      "Only a logged-in user can do this: API keys cannot, whatever their scopes.",
    );
  }
  return new ApiError(
    "forbidden",
    apiKey
      ? `This API key is not allowed to do this: it needs the \`${access?.scope}\` scope (or its user's role does not allow it).`
      : "Your role does not allow this. Ask an admin if you need it.",
  );
}

type Item = BatchItem<"sqlite">;

/**
 * Runs a read in one round trip: the caller's principal first, then the given queries. The principal is
 * checked against the route's access; the queries' results are returned only when it passes.
 */
export async function authorizedRead<T extends readonly Item[]>(
  c: Context<AppEnv>,
  build: (principalId: PrincipalRef) => T,
): Promise<{ principal: Principal; results: BatchResponse<T> }> {
  const { db, credentials, access, now } = requestAuth(c);
  const claim = claimToCarry(c);
  const queries = build(principalRef(credentials));
  const [rows, ...results] = await runBatch(
    c,
    claim,
    // A read that carries a claim checks the caller in SQL as well, so that a refusal rolls the claim back.
    claim ? [accessGuard(db, credentials, access, now)] : [],
    [principalQuery(db, credentials, now), ...queries, ...touch(c, now)],
  );
  const principal = toPrincipal((rows as Parameters<typeof toPrincipal>[0][])[0]);
  const decision = decide(principal, access);
  if (decision !== "ok" || !principal) throw refuse(c, decision === "ok" ? "unauthenticated" : decision);
  c.set("authorized", true);
  return { principal, results: results.slice(0, queries.length) as unknown as BatchResponse<T> };
}

/**
 * Runs writes in one round trip: the access guard first (which aborts the batch when the caller may not
 * act), then the principal (for the answer), then the given statements, all in one transaction.
 */
export async function authorizedWrite<T extends readonly Item[]>(
  c: Context<AppEnv>,
  build: (principalId: PrincipalRef) => T,
  /** What to say when a `denyUnless(…, "conflict")` guard among the statements refuses. */
  options: { conflict?: string } = {},
): Promise<{ principal: Principal; results: BatchResponse<T> }> {
  const { db, credentials, access, now } = requestAuth(c);
  const claim = claimToCarry(c);
  const statements = build(principalRef(credentials));
  const [rows, ...results] = await runBatch(
    c,
    claim,
    [accessGuard(db, credentials, { ...access, write: access.write ?? true }, now)],
    [principalQuery(db, credentials, now), ...statements, ...touch(c, now)],
    options.conflict,
  );
  const principal = toPrincipal((rows as Parameters<typeof toPrincipal>[0][])[0]);
  if (!principal) throw refuse(c, "unauthenticated");
  c.set("authorized", true);
  return { principal, results: results.slice(0, statements.length) as unknown as BatchResponse<T> };
}

/**
 * The request's Idempotency-Key claim when this batch is to carry it: the first batch of a keyed request
 * (functions/middleware/idempotency.ts), until one commits. A batch made while answering an error (app.ts
 * checks the caller of a refused request) carries none: that request failed.
 */
function claimToCarry(c: Context<AppEnv>): BatchClaim | null {
  const claim = c.get("idempotencyClaim");
  if (!claim || c.error) return null;
  // The key is held by another request: nothing may run without it.
  if (claim.state === "held") throw keyHeld();
  return claim.state === "ready" ? claim : null;
}

/**
 * One db.batch: the claim's statements (if any), then `head` (guards, whose results are dropped), then
 * `body`, whose results are returned. The batch is one transaction, so a claim commits with the work or not
 * at all; a guard's refusal becomes the answer it names.
 */
async function runBatch(
  c: Context<AppEnv>,
  claim: BatchClaim | null,
  head: Item[],
  body: Item[],
  conflict?: string,
): Promise<unknown[]> {
  const db = c.get("db");
  const claiming: Item[] = claim ? [...claimStatements(db, claim.request, claim.now)] : [];
  try {
    const results = await db.batch([...claiming, ...head, ...body] as unknown as [Item, ...Item[]]);
    if (claim) claim.state = "taken";
    return (results as unknown[]).slice(claiming.length + head.length);
  } catch (error) {
    if (claim && isKeyHeld(error)) {
      claim.state = "held";
      throw keyHeld();
    }
    const verdict = guardVerdict(error);
    if (verdict) throw refuse(c, verdict, conflict);
    throw error;
  }
}

/** What a batch that found its key held answers, until the idempotency middleware answers in its place. */
function keyHeld(): ApiError {
  return new ApiError("conflict", "A request with this Idempotency-Key is still being processed.");
}

/** Keeps an API key's last-used time current, in the same round trip (at most one write a minute per key). */
function touch(c: Context<AppEnv>, now: number): Item[] {
  const credentials = c.get("credentials");
  return credentials?.kind === "api_key" ? [touchApiKeyStatement(c.get("db"), credentials.keyHash, now)] : [];
}

/** How statements refer to the caller: a user id known from the token, or one looked up from the API key. */
export type PrincipalRef = CallerRef;

function principalRef(credentials: NonNullable<AppEnv["Variables"]["credentials"]>): PrincipalRef {
  return credentials.kind === "session"
    ? { kind: "user", userId: credentials.userId }
    : { kind: "api_key", keyHash: credentials.keyHash };
}

function requestAuth(c: Context<AppEnv>) {
  const credentials = c.get("credentials");
  const access = c.get("access");
  if (!credentials || !access) throw unauthenticated(c);
  return { db: c.get("db"), credentials, access, now: Date.now() };
}
