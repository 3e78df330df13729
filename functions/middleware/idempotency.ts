// Idempotency-Key on the API's POSTs: a retry with the same key and body gets the first response again and
// the handler does not run twice; the same key with another body is a 422. Keys belong to the caller (user
// or API key) and last a day.
//
// Round trips. Without the header nothing here touches the database. With it: one round trip claims the key
// (or finds it held), the handler makes its own, and the response is stored after it was sent (waitUntil).
// Storing late loses nothing: the claim is already durable before the handler runs, so a retry in between
// hears 409 "in progress" and never runs the handler again; if the store itself fails the key stays claimed
// (409) until it expires, which costs the caller a new key, never a duplicate record. A replay is one round trip.
//
// Only successful (2xx) responses are kept. An error changed nothing, so its claim is given back and a retry
// runs the handler again (after the caller fixed the body, got the role, or the conflict went away).
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import {
  type Claim,
  claimIdempotencyKey,
  releaseIdempotencyKey,
  type StoredResponse,
  storeIdempotentResponse,
} from "../../db/idempotency.ts";
import { CSRF_HEADER } from "../auth/middleware.ts";
import { sha256Hex } from "../auth/secrets.ts";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../errors.ts";

export const IDEMPOTENCY_HEADER = "Idempotency-Key";
/** Set on a response that is a replay of the first one. */
export const REPLAYED_HEADER = "Idempotent-Replayed";
/** The headers of the first response that a replay repeats. */
const KEPT_HEADERS = ["content-type", "location", "etag"] as const;

/**
 * POSTs that are not keyed: the session routes (login, refresh, logout, password reset, 2FA) create no
 * resource and must run every time; an API key's secret is shown once and must not be kept in a second table.
 */
export function isKeyedPath(path: string): boolean {
  if (!path.startsWith("/api/v1/")) return false;
  if (path.startsWith("/api/v1/auth/")) return false;
  return path !== "/api/v1/api-keys";
}

export const idempotency = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header(IDEMPOTENCY_HEADER);
  if (header === undefined || c.req.method !== "POST" || !isKeyedPath(c.req.path)) return next();
  const credentials = c.get("credentials");
  // Anonymous POSTs are not keyed (the route answers 401), and a cookie write without the CSRF header is
  // refused by the route before anything is stored for it.
  if (!credentials || (c.get("viaCookie") && !c.req.header(CSRF_HEADER))) return next();

  const key = parseKey(header);
  const scope =
    credentials.kind === "session" ? `user:${credentials.userId}` : `api_key:${credentials.keyHash}`;
  const path = new URL(c.req.url).pathname;
  const bodyHash = await sha256Hex(await c.req.text());
  const db = c.get("db");
  const claim = await claimIdempotencyKey(db, { scope, key, method: "POST", path, bodyHash }, Date.now());
  if (claim.kind !== "claimed") return answerHeld(c, claim);

  try {
    await next();
  } catch (error) {
    later(c, releaseIdempotencyKey(db, scope, key));
    throw error;
  }
  const response = c.res;
  if (response.status < 200 || response.status > 299) {
    later(c, releaseIdempotencyKey(db, scope, key));
    return;
  }
  const copy = response.clone();
  later(
    c,
    copy.text().then((body) => {
      const headers: Record<string, string> = {};
      for (const name of KEPT_HEADERS) {
        const value = copy.headers.get(name);
        if (value !== null) headers[name] = value;
      }
      return storeIdempotentResponse(db, scope, key, copy.status, { headers, body });
    }),
  );
});

/** A key is 1–255 visible ASCII characters; the structured-field form `"…"` is accepted too. */
function parseKey(header: string): string {
  const trimmed = header.trim();
  const key = /^"[^"]*"$/.test(trimmed) ? trimmed.slice(1, -1) : trimmed;
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw new ApiError(
      "bad_request",
      `${IDEMPOTENCY_HEADER} must be 1 to 255 visible ASCII characters, e.g. a UUID generated for the request.`,
    );
  }
  return key;
}

function answerHeld(c: Context<AppEnv>, claim: Exclude<Claim, { kind: "claimed" }>): Response {
  if (claim.kind === "mismatch") {
    throw new ApiError(
      "validation_failed",
      `This ${IDEMPOTENCY_HEADER} was used for a different request (another body or path). Use a new key for a new request.`,
    );
  }
  if (claim.kind === "pending") {
    throw new ApiError(
      "conflict",
      `A request with this ${IDEMPOTENCY_HEADER} is still being processed. Retry shortly to get its response.`,
      { headers: { "Retry-After": "1" } },
    );
  }
  return replay(c, claim.status, claim.response);
}

function replay(c: Context<AppEnv>, status: number, stored: StoredResponse): Response {
  for (const [name, value] of Object.entries(stored.headers)) c.header(name, value);
  c.header(REPLAYED_HEADER, "true");
  return c.body(stored.body, status as 200);
}

/** Runs bookkeeping after the response is sent; it must not fail the request it belongs to. */
function later(c: Context<AppEnv>, work: Promise<unknown>): void {
  const logged = work.catch((error: unknown) => {
    console.error(
      JSON.stringify({
        level: "error",
        requestId: c.get("requestId"),
        message: "idempotency bookkeeping failed",
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      }),
    );
  });
  try {
    c.executionCtx.waitUntil(logged);
  } catch {
    // No execution context (app.request in a script): the promise still runs to its end on its own.
  }
}
