// The HTTP surface of the local libSQL server: routing (default namespace and /ns/<name>/), bearer-token
// auth, body limits, JSON answers and errors, and the per-request log line.

import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { stringifyJson } from "./codec.ts";
import { ProtocolError } from "./errors.ts";
import { DEFAULT_NAMESPACE, isNamespaceName, type NamespaceRegistry } from "./namespaces.ts";
import { runCursor, runPipeline } from "./pipeline.ts";
import { parseCursorBody, parsePipelineBody, peekBaton } from "./protocol.ts";
import type { StreamRegistry } from "./streams.ts";

export interface HttpContext {
  namespaces: NamespaceRegistry;
  streams: StreamRegistry;
  authToken: string | undefined;
  latencyMs: number;
  log: boolean;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const MAX_BODY_BYTES = 64 * 1024 * 1024;
// What a client builds from a namespace URL without its trailing slash: the namespace segment is lost.
const HRANA_SEGMENTS = new Set(["v2", "v3", "v3-protobuf"]);
const NAMESPACE_PATH = /^\/ns\/([^/]*)(?:\/(.*))?$/;
const STATS_PATH = /^\/_admin\/namespaces\/([^/]*)\/stats$/;

export function createRequestHandler(ctx: HttpContext): Handler {
  const tokenDigest = ctx.authToken === undefined ? undefined : sha256(ctx.authToken);
  return (req, res) => {
    const started = performance.now();
    if (ctx.log) {
      res.on("close", () => {
        const path = (req.url ?? "/").split("?")[0];
        const ms = (performance.now() - started).toFixed(1);
        const status = res.writableFinished ? res.statusCode : "aborted";
        process.stderr.write(`libsql-server ${req.method} ${path} ${status} ${ms}ms\n`);
      });
    }
    route(ctx, tokenDigest, req, res).catch((error: unknown) => sendError(res, error));
  };
}

async function route(
  ctx: HttpContext,
  tokenDigest: Buffer | undefined,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const path = pathOf(req);
  if (path === "/health") {
    expectMethod(req, "GET");
    return sendJson(res, 200, { status: "ok" });
  }
  if (tokenDigest !== undefined && !authorized(req.headers.authorization, tokenDigest)) {
    res.setHeader("www-authenticate", "Bearer");
    throw new ProtocolError(
      401,
      "Unauthorized: a valid `Authorization: Bearer <token>` header is required",
      "UNAUTHORIZED",
    );
  }

  const stats = STATS_PATH.exec(path);
  if (stats) {
    expectMethod(req, "GET");
    const name = namespaceName(stats[1] ?? "");
    return sendJson(res, 200, { namespace: name, ...ctx.namespaces.stats(name) });
  }

  let namespace = DEFAULT_NAMESPACE;
  let endpoint = path.slice(1);
  const scoped = NAMESPACE_PATH.exec(path);
  if (scoped) {
    const segment = scoped[1] ?? "";
    const rest = scoped[2];
    if (HRANA_SEGMENTS.has(segment) && (rest === undefined || rest === "pipeline" || rest === "cursor")) {
      throw new ProtocolError(
        400,
        `No namespace in ${path}: the client URL must end with a slash, e.g. http://host:port/ns/<name>/ (the client resolves "v2/pipeline" relative to it)`,
        "NAMESPACE_URL_INVALID",
      );
    }
    namespace = namespaceName(segment);
    endpoint = rest ?? "";
  }

  switch (endpoint) {
    case "v2":
    case "v3":
      expectMethod(req, "GET");
      return sendJson(res, 200, { version: endpoint });
    case "v3-protobuf":
    case "v3-protobuf/pipeline":
    case "v3-protobuf/cursor":
      throw new ProtocolError(
        404,
        "Hrana over protobuf is not supported by this server; use v2 or v3 JSON",
        "NOT_FOUND",
      );
    case "v2/pipeline":
    case "v3/pipeline":
      expectMethod(req, "POST");
      return handlePipeline(ctx, req, res, namespace);
    case "v3/cursor":
      expectMethod(req, "POST");
      return handleCursor(ctx, req, res, namespace);
    default:
      throw new ProtocolError(404, `Not found: ${path}`, "NOT_FOUND");
  }
}

async function handlePipeline(
  ctx: HttpContext,
  req: IncomingMessage,
  res: ServerResponse,
  name: string,
): Promise<void> {
  ctx.namespaces.counters(name).pipelines++;
  const json = await readRequest(ctx, req);
  const body = parseOrDiscard(ctx, json, parsePipelineBody);
  const response = await runPipeline(ctx.streams, await ctx.namespaces.get(name), body, abandoned(res));
  sendJson(res, 200, response);
}

async function handleCursor(
  ctx: HttpContext,
  req: IncomingMessage,
  res: ServerResponse,
  name: string,
): Promise<void> {
  ctx.namespaces.counters(name).pipelines++;
  const json = await readRequest(ctx, req);
  const body = parseOrDiscard(ctx, json, parseCursorBody);
  const { baton, entries } = await runCursor(
    ctx.streams,
    await ctx.namespaces.get(name),
    body,
    abandoned(res),
  );
  // One JSON document per line, each ending with a newline: the client splits on it.
  const lines = [{ baton, base_url: null }, ...entries].map((line) => `${stringifyJson(line)}\n`);
  res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
  res.end(lines.join(""));
}

/** Aborted when the connection closes before the answer was sent: the client gave up. */
function abandoned(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  if (res.closed) controller.abort();
  res.once("close", () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

/** A body that fails to parse still names its stream; the client gives that stream up, so the server does too. */
function parseOrDiscard<T>(ctx: HttpContext, json: unknown, parse: (json: unknown) => T): T {
  try {
    return parse(json);
  } catch (error) {
    const baton = peekBaton(json);
    if (baton !== undefined) ctx.streams.discard(baton);
    throw error;
  }
}

async function readRequest(ctx: HttpContext, req: IncomingMessage): Promise<unknown> {
  // The configured latency stands in for the distance between an edge location and the primary.
  if (ctx.latencyMs > 0) await sleep(ctx.latencyMs);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size <= MAX_BODY_BYTES) chunks.push(buffer);
  }
  if (size > MAX_BODY_BYTES) throw new ProtocolError(413, `Request body exceeds ${MAX_BODY_BYTES} bytes`);
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch (error) {
    throw new ProtocolError(
      400,
      `Request body is not valid JSON: ${error instanceof Error ? error.message : error}`,
    );
  }
}

function pathOf(req: IncomingMessage): string {
  try {
    return new URL(req.url ?? "/", "http://localhost").pathname;
  } catch {
    throw new ProtocolError(400, "Malformed request URL");
  }
}

function namespaceName(segment: string): string {
  if (!isNamespaceName(segment)) {
    throw new ProtocolError(
      400,
      `Invalid namespace name "${segment}": use 1 to 64 of A-Z a-z 0-9 _ -`,
      "NAMESPACE_INVALID",
    );
  }
  return segment;
}

function expectMethod(req: IncomingMessage, method: "GET" | "POST"): void {
  if (req.method !== method)
    throw new ProtocolError(405, `Method ${req.method} not allowed; use ${method}`, "METHOD_NOT_ALLOWED");
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/** Compares digests, which have equal lengths, so the time taken says nothing about the token. */
function authorized(header: string | undefined, tokenDigest: Buffer): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return match?.[1] !== undefined && timingSafeEqual(sha256(match[1]), tokenDigest);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = stringifyJson(body);
  // Exactly "application/json": the client only reads error bodies whose content type is exactly that.
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, error: unknown): void {
  // The client went away while its body was arriving (a timeout, a closed connection): no one to answer.
  if (res.req.destroyed && res.req.readableAborted) {
    res.destroy();
    return;
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error instanceof ProtocolError) {
    sendJson(res, error.status, { message: error.message, code: error.code });
    return;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`libsql-server internal error: ${error instanceof Error ? error.stack : message}\n`);
  sendJson(res, 500, { message: `Internal server error: ${message}`, code: "INTERNAL_ERROR" });
}
