// POST /hooks/{sourceId}: an inbound delivery, verified on its raw bytes, then queue-first like a form
// submission. The source comes from what this location knows (functions/hooks/source-cache.ts), else from the
// database in the request's one round trip. A verified delivery goes on the capture queue and is answered 202
// once the send resolved; if the queue refuses it (or its body is too large for a queue message) it is written
// straight to the inbox, which costs the request's one round trip: a request that already spent it reading
// the source answers 503 with Retry-After instead, and so does one that neither the queue nor the database
// took. A delivery refused (unknown source, bad signature, stale timestamp) leaves nothing anywhere.
import type { Context } from "hono";
import { newId } from "../../db/ids.ts";
import { receivedDeliveryStatement } from "../../db/webhooks-in/inbox.ts";
import {
  type VerificationRecord,
  WEBHOOK_DELIVERY_TYPE,
  type WebhookDeliveryData,
  WebhookDeliveryDataSchema,
} from "../../queues/webhooks-in/messages.ts";
import { readPath } from "../../queues/webhooks-in/paths.ts";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../errors.ts";
import { type CacheScope, type EdgeSource, lookUpSource } from "./source-cache.ts";
import { credentialHeaders, type Verdict, verifyDelivery } from "./verification.ts";

/** How long a sender is asked to wait when the delivery could not be made durable. */
const RETRY_AFTER_S = "30";
/** Queues take messages of up to 128 KB; a larger delivery goes to the inbox and its message carries no body. */
export const QUEUE_MESSAGE_LIMIT = 120_000;
const MAX_HEADERS = 60;

// ---- deliveries this isolate already took: a repeat is answered without queueing it again ----

const SEEN_MAX = 20_000;
const seen = new Map<string, number>();

function seenKey(scope: CacheScope, sourceId: string, deliveryId: string): string {
  return `${scope.databaseUrl}|${sourceId}|${deliveryId}`;
}

function remember(key: string, now: number): void {
  seen.set(key, now);
  while (seen.size > SEEN_MAX) {
    const oldest = seen.keys().next().value;
    if (oldest === undefined) break;
    seen.delete(oldest);
  }
}

// ---- reading the request ----

function parseJson(body: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(body));
  } catch {
    return undefined;
  }
}

function bodyText(body: Uint8Array): { text: string; encoding: "utf8" | "base64" } {
  try {
    return {
      text: new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(body),
      encoding: "utf8",
    };
  } catch {
    let binary = "";
    for (const byte of body) binary += String.fromCharCode(byte);
    return { text: btoa(binary), encoding: "base64" };
  }
}

/** The headers worth keeping with the delivery: none that carries a credential. */
function keptHeaders(headers: Headers, source: EdgeSource): Record<string, string> {
  const dropped = new Set(credentialHeaders(source.verifier));
  const kept: Record<string, string> = {};
  for (const [name, value] of headers) {
    if (dropped.has(name) || Object.keys(kept).length >= MAX_HEADERS) continue;
    kept[name.slice(0, 100)] = value.slice(0, 2000);
  }
  return kept;
}

function keptQuery(url: URL, source: EdgeSource): Record<string, string> {
  const { verifier } = source;
  const token =
    verifier.kind === "token" && verifier.config.in === "query" ? String(verifier.config.name) : null;
  const kept: Record<string, string> = {};
  for (const [name, value] of url.searchParams) {
    if (name !== token && Object.keys(kept).length < MAX_HEADERS)
      kept[name.slice(0, 200)] = value.slice(0, 2000);
  }
  return kept;
}

/** A token sent in the payload is a secret: the kept body carries a mark in its place. */
function redactPayloadToken(text: string, source: EdgeSource, json: () => unknown): string {
  const { verifier } = source;
  if (verifier.kind !== "token" || verifier.config.in !== "payload") return text;
  const token = readPath(String(verifier.config.name), json());
  if (typeof token !== "string" || token === "") return text;
  return text.replaceAll(JSON.stringify(token), JSON.stringify("[redacted]"));
}

const DELIVERY_ID = /^[\x21-\x7e][\x20-\x7e]{0,199}$/;

/** The delivery's own id: where the mapping says, else the scheme's (webhook-id), else a hash of the body. */
async function deliveryIdOf(
  source: EdgeSource,
  verdict: Extract<Verdict, { ok: true }>,
  headers: Headers,
  json: () => unknown,
  body: Uint8Array,
): Promise<string> {
  const where = source.deliveryId;
  let id: unknown = null;
  if (where && "header" in where) id = headers.get(where.header);
  else if (where && "path" in where) id = readPath(where.path, json());
  if (typeof id === "number") id = String(id);
  if (typeof id !== "string" || !DELIVERY_ID.test(id.trim())) id = verdict.id;
  if (typeof id === "string" && DELIVERY_ID.test(id.trim())) return id.trim();
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body));
  return `sha256:${[...digest].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

// ---- the handler ----

function notFound(): ApiError {
  return new ApiError("not_found", "No such webhook source, or it is archived.");
}

function unavailable(detail: string): ApiError {
  return new ApiError("unavailable", detail, { headers: { "Retry-After": RETRY_AFTER_S } });
}

export async function receiveDelivery(c: Context<AppEnv>, sourceId: string): Promise<Response> {
  const now = Date.now();
  const config = c.get("config");
  const url = new URL(c.req.url);
  const scope: CacheScope = {
    databaseUrl: config.LIBSQL_URL,
    selfOrigin: url.origin,
    pepper: config.PASSWORD_PEPPER,
  };
  // The whole body, within the app's 1 MB limit: verification needs every byte as it came.
  const body = new Uint8Array(await c.req.arrayBuffer());
  const lookup = await lookUpSource(c.get("db"), scope, sourceId, now);
  if (lookup.found === undefined) {
    throw unavailable("The source could not be read just now. Retry shortly: nothing was kept.");
  }
  const source = lookup.found;
  if (!source || source.archived) throw notFound();

  let parsed: { value: unknown } | null = null;
  const json = () => {
    parsed ??= { value: parseJson(body) };
    return parsed.value;
  };
  const headers = c.req.raw.headers;
  const verdict = await verifyDelivery(source.verifier, {
    method: c.req.method,
    url: c.req.url,
    headers,
    body,
    json,
    now,
  });
  if (!verdict.ok) {
    throw new ApiError(verdict.status === 401 ? "unauthorized" : "bad_request", verdict.reason);
  }

  const deliveryId = await deliveryIdOf(source, verdict, headers, json, body);
  const key = seenKey(scope, sourceId, deliveryId);
  if (seen.has(key)) return c.json({ deliveryId, status: "duplicate" as const }, 200);

  const { text, encoding } = bodyText(body);
  const verification: VerificationRecord = {
    kind: source.verifier.kind,
    secret: verdict.secret,
    timestamp: verdict.timestamp,
    verifiedAt: now,
  };
  const data: WebhookDeliveryData & { body: string } = {
    v: 1,
    inboxId: newId(),
    sourceId,
    deliveryId,
    receivedAt: now,
    contentType: c.req.header("Content-Type")?.slice(0, 200) ?? null,
    headers: keptHeaders(headers, source),
    query: keptQuery(url, source),
    body: encoding === "utf8" ? redactPayloadToken(text, source, json) : text,
    bodyEncoding: encoding,
    verification,
    replay: false,
  };
  // What is accepted must be readable by the consumer, or it would end as a dead letter after a 2xx.
  if (!WebhookDeliveryDataSchema.safeParse(data).success) {
    throw new ApiError("bad_request", "The delivery could not be read.");
  }
  await makeDurable(c, data, lookup.trips);
  remember(key, now);
  return c.json({ id: data.inboxId, deliveryId, status: "accepted" as const }, 202);
}

function envelope(data: WebhookDeliveryData) {
  return { id: data.inboxId, type: WEBHOOK_DELIVERY_TYPE, createdAt: data.receivedAt, data };
}

/** The queue, else the inbox (the request's one round trip, if still unspent), else 503. */
async function makeDurable(
  c: Context<AppEnv>,
  data: WebhookDeliveryData & { body: string },
  tripsSpent: number,
): Promise<void> {
  const queue = c.env.CAPTURE_QUEUE;
  const message = envelope(data);
  const small = new TextEncoder().encode(JSON.stringify(message)).length <= QUEUE_MESSAGE_LIMIT;
  if (small) {
    try {
      await queue.send(message);
      return;
    } catch (error) {
      log(c, "warn", "capture queue refused a webhook delivery", error, data);
    }
  }
  if (tripsSpent > 0) {
    throw unavailable("The delivery could not be stored just now. Retry shortly: nothing was kept.");
  }
  try {
    await receivedDeliveryStatement(c.get("db"), data);
  } catch (error) {
    log(c, "error", "neither the capture queue nor the database took a webhook delivery", error, data);
    throw unavailable("The delivery could not be stored just now. Retry shortly: nothing was kept.");
  }
  if (!small) {
    // The body waits in the inbox; the message only says so. Should it not go, the sweep finds the row.
    try {
      await queue.send(envelope({ ...data, body: null }));
    } catch (error) {
      log(c, "warn", "a large webhook delivery waits for the sweep", error, data);
    }
  }
}

function log(
  c: Context<AppEnv>,
  level: "warn" | "error",
  message: string,
  error: unknown,
  data: WebhookDeliveryData,
) {
  console[level](
    JSON.stringify({
      level,
      requestId: c.get("requestId"),
      message,
      sourceId: data.sourceId,
      deliveryId: data.deliveryId,
      error: rootCause(error),
    }),
  );
}

/** The innermost cause, briefly: a failed query's message carries its parameters (the payload). */
function rootCause(error: unknown): string {
  let e = error;
  for (let depth = 0; e instanceof Error && e.cause !== undefined && depth < 6; depth++) e = e.cause;
  return e instanceof Error ? `${e.name}: ${e.message.slice(0, 200)}` : String(e).slice(0, 200);
}
