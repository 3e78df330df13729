// Idempotency-Key on the API's POSTs: a retry with the same key and body gets the first response again and
// the handler does not run twice; the same key with another body is a 422. Keys belong to the caller (user
// or API key) and last a day.
//
// Round trips. Without the header nothing here touches the database. With it, the key is claimed inside the
// handler's own batch: this middleware prepares the claim (scope, key, method, path, body hash) and puts it
// on the context, and the first authorizedWrite/authorizedRead (functions/access.ts) puts the claim's INSERT
// at the head of its db.batch. When the key is already held, the INSERT is refused and the whole batch aborts,
// so none of the handler's work happens; this middleware then reads what holds the key in a second round trip
// and answers: the stored response again (replay), 422 for another body, 409 while the first still runs.
// So: a first use costs the request's one round trip, and its response is stored after it was sent
// (waitUntil); a replay, a mismatch or an in-progress answer costs two; an error costs what the request costs
// without a key, plus giving the key back after the answer when its batch had committed (see below).
//
// Which routes claim in their batch is known before the handler runs, from the route table (access.ts
// `claimsInBatch`): a route declared for callers (not public) reaches the database only through
// authorizedRead/authorizedWrite, where its caller is checked. Any other keyed POST (public, or not declared
// through defineRoute) makes no such batch, so its key is claimed in a round trip of its own first, which
// also answers a held key before the handler runs.
//
// Guarantees. The claim commits no later than the handler's work, in the same transaction: no record is ever
// created twice, and a retry while the handler runs, or before its response is stored, hears 409 "in
// progress". If the store itself fails the key stays claimed (409) until it expires, which costs the caller a
// new key, never a duplicate record; a batch whose outcome is unknown (the database did not answer) leaves
// its claim alone for the same reason.
//
// Only successful (2xx) responses are kept. An error changed nothing, so its claim is given back and a retry
// runs the handler again (after the caller fixed the body, got the role, or the conflict went away). Mostly
// that is free: input refused before the batch never claimed, and a refused batch (forbidden, a guard, a
// constraint) rolled its claim back with it. Only an error answered after its batch committed (e.g. a write
// that matched no row) gives the claim back after the response (waitUntil).
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import {
  type BatchClaim,
  type Claim,
  claimIdempotencyKey,
  readHeldKey,
  releaseIdempotencyKey,
  storeIdempotentResponse,
} from "../../db/idempotency.ts";
import { claimsInBatch, isKeyedPath } from "../access.ts";
import { CSRF_HEADER } from "../auth/middleware.ts";
import { sha256Hex } from "../auth/secrets.ts";
import type { AppEnv } from "../env.ts";
import { ApiError, problemResponse } from "../errors.ts";

export const IDEMPOTENCY_HEADER = "Idempotency-Key";
/** Set on a response that is a replay of the first one. */
export const REPLAYED_HEADER = "Idempotent-Replayed";
/** The headers of the first response that a replay repeats. */
const KEPT_HEADERS = ["content-type", "location", "etag"] as const;

export const idempotency = createMiddleware<AppEnv>(async (c, next) => {
  c.set("idempotencyClaim", null);
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
  const claim: BatchClaim = {
    request: { scope, key, method: "POST", path, bodyHash },
    now: Date.now(),
    state: "ready",
  };
  if (!claimsInBatch(path)) {
    const explicit = await claimIdempotencyKey(db, claim.request, claim.now);
    if (explicit.kind !== "claimed") return answerHeld(c, explicit);
    claim.state = "taken";
  }
  c.set("idempotencyClaim", claim);

  try {
    await next();
  } catch (error) {
    if (claim.state === "taken") later(c, releaseIdempotencyKey(db, scope, key));
    throw error;
  }
  // The handler's batch found the key held and did nothing: its stand-in answer gives way to the real one.
  if (claim.state === "held") return answerHeld(c, await readHeldKey(db, claim.request));
  const response = c.res;
  const ok = response.status >= 200 && response.status <= 299;
  if (claim.state !== "taken") {
    // Nothing committed under the key. A success without it means the route broke the rule above.
    if (ok) report(c, "a keyed request succeeded without its claim", new Error(`POST ${path}`));
    return;
  }
  if (!ok) {
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

/**
 * Answers a request whose key another request holds, before the handler or after it, in place of its
 * stand-in answer. Answered here rather than thrown: the answer is about the caller's own key, so app.ts
 * must not first check the caller against the route as it does for refused input.
 */
function answerHeld(c: Context<AppEnv>, claim: Exclude<Claim, { kind: "claimed" }>): Response {
  // Drops the stand-in answer, so that none of its headers carry over to this one.
  c.res = undefined;
  if (claim.kind === "replay") {
    const stored = claim.response;
    const headers = { ...stored.headers, [REPLAYED_HEADER]: "true" };
    c.res = c.newResponse(stored.body, claim.status as 200, headers);
    // The stand-in's problem+json type may linger among the prepared headers; the first answer had none.
    if (stored.headers["content-type"] === undefined) c.res.headers.delete("content-type");
  } else {
    c.res = problemResponse(
      c,
      claim.kind === "mismatch"
        ? new ApiError(
            "validation_failed",
            `This ${IDEMPOTENCY_HEADER} was used for a different request (another body or path). Use a new key for a new request.`,
          )
        : new ApiError(
            "conflict",
            `A request with this ${IDEMPOTENCY_HEADER} is still being processed. Retry shortly to get its response.`,
            { headers: { "Retry-After": "1" } },
          ),
    );
  }
  return c.res;
}

/** Runs bookkeeping after the response is sent; it must not fail the request it belongs to. */
function later(c: Context<AppEnv>, work: Promise<unknown>): void {
  const logged = work.catch((error: unknown) => report(c, "idempotency bookkeeping failed", error));
  try {
    c.executionCtx.waitUntil(logged);
  } catch {
    // No execution context (app.request in a script): the promise still runs to its end on its own.
  }
}

function report(c: Context<AppEnv>, message: string, error: unknown): void {
  console.error(
    JSON.stringify({
      level: "error",
      requestId: c.get("requestId"),
      message,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    }),
  );
}
