// How an inbound delivery proves where it comes from, per source: Standard Webhooks, HubSpot's v3 signature,
// a generic HMAC-SHA256 of the raw body in a header, a shared token (header, query or payload), or HTTP
// Basic. Always on the raw bytes, in constant time (WebCrypto's HMAC verify; tokens compared as digests), with
// each of the source's one or two secrets (two during a rotation). Schemes with a timestamp refuse one more
// than five minutes away from now.
import { z } from "@hono/zod-openapi";
import type { WebhookVerification } from "../../db/schema/index.ts";
import { HeaderName } from "../../queues/webhooks-in/mapping.ts";
import { pathProblem, readPath } from "../../queues/webhooks-in/paths.ts";
import { constantTimeEqual } from "../auth/secrets.ts";

export const TOLERANCE_MS = 5 * 60_000;

export const VerificationSchema = z
  .discriminatedUnion("kind", [
    z.strictObject({ kind: z.literal("standard_webhooks") }).openapi({
      description: "webhook-id, webhook-timestamp and webhook-signature (`v1,<base64>`); secrets `whsec_…`.",
    }),
    z
      .strictObject({
        kind: z.literal("hubspot_v3"),
        url: z
          .url({ protocol: /^https?$/ })
          .max(2000)
          .optional()
          .openapi({
            description: "The URL HubSpot posts to, when it is not what this Worker sees (a proxy in front).",
          }),
      })
      .openapi({
        description: "X-HubSpot-Signature-v3 and X-HubSpot-Request-Timestamp; the app's client secret.",
      }),
    z
      .strictObject({
        kind: z.literal("hmac_sha256"),
        header: HeaderName,
        encoding: z.enum(["hex", "base64"]),
        prefix: z
          .string()
          .max(50)
          .optional()
          .openapi({ description: "Text before the signature in the header, e.g. `sha256=`." }),
      })
      .openapi({ description: "HMAC-SHA256 of the raw body, in a header of your choice." }),
    z
      .strictObject({
        kind: z.literal("token"),
        in: z.enum(["header", "query", "payload"]),
        name: z.string().min(1).max(300).openapi({
          description: "The header, the query parameter, or the payload path holding the token.",
        }),
        prefix: z
          .string()
          .max(50)
          .optional()
          .openapi({ description: "e.g. `Bearer ` before a header's token." }),
      })
      .superRefine((value, ctx) => {
        const problem =
          value.in === "header"
            ? HeaderName.safeParse(value.name).success
              ? null
              : "Not an HTTP header name."
            : value.in === "payload"
              ? pathProblem(value.name)
              : null;
        if (problem) ctx.addIssue({ code: "custom", path: ["name"], message: problem });
      })
      .openapi({ description: "A shared token the sender repeats with every delivery." }),
    z
      .strictObject({
        kind: z.literal("basic"),
        username: z
          .string()
          .min(1)
          .max(200)
          .regex(/^[^:]*$/, "A username has no colon."),
      })
      .openapi({ description: "HTTP Basic: this username, and the secret as its password." }),
  ])
  .openapi("InboundWebhookVerification");
export type VerificationInput = z.infer<typeof VerificationSchema>;

/** What the edge knows of a source to verify its deliveries. */
export interface Verifier {
  kind: WebhookVerification;
  config: Record<string, unknown>;
  secrets: readonly string[];
}

export interface DeliveryRequest {
  method: string;
  url: string;
  headers: Headers;
  body: Uint8Array;
  /** The body as JSON, read only when a scheme needs it (a token in the payload). */
  json(): unknown;
  now: number;
}

export type Verdict =
  | { ok: true; secret: 1 | 2; timestamp: number | null; id: string | null }
  | { ok: false; status: 400 | 401; reason: string };

const encoder = new TextEncoder();

// ---- secrets ----

export const STANDARD_PREFIX = "whsec_";

function decodeBase64(text: string): Uint8Array | null {
  try {
    const normal = text.replaceAll("-", "+").replaceAll("_", "/");
    const binary = atob(normal + "=".repeat((4 - (normal.length % 4)) % 4));
    return Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
  } catch {
    return null;
  }
}

function decodeHex(text: string): Uint8Array | null {
  if (!/^(?:[0-9a-f]{2})+$/i.test(text)) return null;
  return Uint8Array.from(text.match(/../g) ?? [], (pair) => Number.parseInt(pair, 16));
}

/** The key bytes of a Standard Webhooks secret (`whsec_` and base64), or null when it is not one. */
export function standardSecretBytes(secret: string): Uint8Array | null {
  const bytes = decodeBase64(
    secret.startsWith(STANDARD_PREFIX) ? secret.slice(STANDARD_PREFIX.length) : secret,
  );
  return bytes && bytes.length >= 16 && bytes.length <= 128 ? bytes : null;
}

/** A new secret for a source of this kind (HubSpot's is the app's client secret: HubSpot makes it). */
export function generateSecret(kind: WebhookVerification): string | null {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const base64 = btoa(String.fromCharCode(...bytes));
  if (kind === "hubspot_v3") return null;
  if (kind === "standard_webhooks") return STANDARD_PREFIX + base64;
  return base64.replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Why a secret cannot serve this kind of source, or null when it can. */
export function secretProblem(kind: WebhookVerification, secret: string): string | null {
  if (kind === "standard_webhooks") {
    return standardSecretBytes(secret)
      ? null
      : "A Standard Webhooks secret is `whsec_` and the base64 of 16 to 128 random bytes.";
  }
  if (secret.length < 8 || secret.length > 500) return "A secret has 8 to 500 characters.";
  if (!/^[\x20-\x7e]+$/.test(secret)) return "A secret is printable ASCII.";
  return null;
}

// ---- primitives ----

const keyCache = new Map<string, Promise<CryptoKey>>();

function hmacKey(raw: Uint8Array, cacheKey: string): Promise<CryptoKey> {
  let key = keyCache.get(cacheKey);
  if (!key) {
    key = crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
    // A few secrets are live at a time; the cache only saves importing them again for every delivery.
    if (keyCache.size > 200) keyCache.clear();
    keyCache.set(cacheKey, key);
  }
  return key;
}

/** Whether any of `signatures` is the HMAC of `data` under any secret: the index of that secret (1 or 2). */
async function hmacMatch(
  secrets: readonly Uint8Array[],
  signatures: readonly Uint8Array[],
  data: Uint8Array,
): Promise<1 | 2 | null> {
  for (const [i, secret] of secrets.entries()) {
    const key = await hmacKey(secret, `${i}:${btoa(String.fromCharCode(...secret))}`);
    for (const signature of signatures) {
      if (signature.length !== 32) continue;
      if (await crypto.subtle.verify("HMAC", key, signature, data)) return i === 0 ? 1 : 2;
    }
  }
  return null;
}

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

/** Compares two texts in constant time, their lengths included (as digests of equal length). */
async function sameText(a: string, b: string): Promise<boolean> {
  return constantTimeEqual(await digest(a), await digest(b));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

const refuse = (status: 400 | 401, reason: string): Verdict => ({ ok: false, status, reason });

function stale(timestampMs: number, now: number): boolean {
  return Math.abs(now - timestampMs) > TOLERANCE_MS;
}

// ---- the schemes ----

async function standardWebhooks(verifier: Verifier, request: DeliveryRequest): Promise<Verdict> {
  const id = request.headers.get("webhook-id");
  const timestamp = request.headers.get("webhook-timestamp");
  const header = request.headers.get("webhook-signature");
  if (!id || !timestamp || !header) {
    return refuse(401, "Missing webhook-id, webhook-timestamp or webhook-signature.");
  }
  if (!/^\d{1,12}$/.test(timestamp)) return refuse(400, "webhook-timestamp is not epoch seconds.");
  const signatures = header
    .split(" ")
    .filter((part) => part.startsWith("v1,"))
    .map((part) => decodeBase64(part.slice(3)))
    .filter((bytes): bytes is Uint8Array => bytes !== null);
  const secrets = verifier.secrets
    .map(standardSecretBytes)
    .filter((bytes): bytes is Uint8Array => bytes !== null);
  const signed = concat(encoder.encode(`${id}.${timestamp}.`), request.body);
  const secret = await hmacMatch(secrets, signatures, signed);
  if (secret === null)
    return refuse(401, "No webhook-signature matches the body under the source's secrets.");
  const at = Number(timestamp) * 1000;
  if (stale(at, request.now)) return refuse(400, "webhook-timestamp is more than 5 minutes from now.");
  return { ok: true, secret, timestamp: at, id };
}

/** HubSpot decodes these in the URI before signing (its v3 documentation lists them); the rest stay encoded. */
const HUBSPOT_DECODED: Record<string, string> = {
  "%3A": ":",
  "%2F": "/",
  "%3F": "?",
  "%40": "@",
  "%21": "!",
  "%24": "$",
  "%27": "'",
  "%28": "(",
  "%29": ")",
  "%2A": "*",
  "%2C": ",",
  "%3B": ";",
};

export function hubspotUri(url: string): string {
  return url.replace(
    /%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi,
    (match) => HUBSPOT_DECODED[match.toUpperCase()] ?? match,
  );
}

async function hubspotV3(verifier: Verifier, request: DeliveryRequest): Promise<Verdict> {
  const header = request.headers.get("x-hubspot-signature-v3");
  const timestamp = request.headers.get("x-hubspot-request-timestamp");
  if (!header || !timestamp)
    return refuse(401, "Missing X-HubSpot-Signature-v3 or X-HubSpot-Request-Timestamp.");
  if (!/^\d{1,15}$/.test(timestamp))
    return refuse(400, "X-HubSpot-Request-Timestamp is not epoch milliseconds.");
  const signature = decodeBase64(header.trim());
  const url = typeof verifier.config.url === "string" ? verifier.config.url : request.url;
  // method + URI + body + timestamp, as one UTF-8 string: the body's own bytes sit in the middle unchanged.
  const signed = concat(
    encoder.encode(`${request.method.toUpperCase()}${hubspotUri(url)}`),
    request.body,
    encoder.encode(timestamp),
  );
  const secrets = verifier.secrets.map((s) => encoder.encode(s));
  const secret = signature ? await hmacMatch(secrets, [signature], signed) : null;
  if (secret === null)
    return refuse(401, "X-HubSpot-Signature-v3 does not match under the source's secrets.");
  const at = Number(timestamp);
  if (stale(at, request.now))
    return refuse(400, "X-HubSpot-Request-Timestamp is more than 5 minutes from now.");
  return { ok: true, secret, timestamp: at, id: null };
}

async function hmacSha256(verifier: Verifier, request: DeliveryRequest): Promise<Verdict> {
  const name = String(verifier.config.header);
  const prefix = typeof verifier.config.prefix === "string" ? verifier.config.prefix : "";
  const header = request.headers.get(name);
  if (!header) return refuse(401, `Missing the ${name} header.`);
  const text = header.trim();
  const value =
    prefix && text.toLowerCase().startsWith(prefix.toLowerCase()) ? text.slice(prefix.length) : text;
  const signature = verifier.config.encoding === "hex" ? decodeHex(value.trim()) : decodeBase64(value.trim());
  const secrets = verifier.secrets.map((s) => encoder.encode(s));
  const secret = signature ? await hmacMatch(secrets, [signature], request.body) : null;
  if (secret === null) return refuse(401, `The ${name} signature does not match under the source's secrets.`);
  return { ok: true, secret, timestamp: null, id: null };
}

function presentedToken(verifier: Verifier, request: DeliveryRequest): string | null {
  const name = String(verifier.config.name);
  if (verifier.config.in === "query") return new URL(request.url).searchParams.get(name);
  if (verifier.config.in === "payload") {
    const value = readPath(name, request.json());
    return typeof value === "string" || typeof value === "number" ? String(value) : null;
  }
  const header = request.headers.get(name);
  const prefix = typeof verifier.config.prefix === "string" ? verifier.config.prefix : "";
  if (header === null) return null;
  return prefix && header.toLowerCase().startsWith(prefix.toLowerCase())
    ? header.slice(prefix.length)
    : header;
}

async function matchSecret(verifier: Verifier, presented: string): Promise<1 | 2 | null> {
  let found: 1 | 2 | null = null;
  // Every secret is compared, whichever matches, so the time taken says nothing of which one did.
  for (const [i, secret] of verifier.secrets.entries()) {
    if ((await sameText(presented, secret)) && found === null) found = i === 0 ? 1 : 2;
  }
  return found;
}

async function token(verifier: Verifier, request: DeliveryRequest): Promise<Verdict> {
  const presented = presentedToken(verifier, request);
  if (presented === null || presented === "") return refuse(401, "Missing the source's token.");
  const secret = await matchSecret(verifier, presented.trim());
  if (secret === null) return refuse(401, "The token does not match.");
  return { ok: true, secret, timestamp: null, id: null };
}

async function basic(verifier: Verifier, request: DeliveryRequest): Promise<Verdict> {
  const header = request.headers.get("authorization") ?? "";
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  const decoded = match?.[1] ? decodeBase64(match[1]) : null;
  if (!decoded) return refuse(401, "Missing HTTP Basic credentials.");
  const text = new TextDecoder().decode(decoded);
  const colon = text.indexOf(":");
  if (colon < 0) return refuse(401, "Malformed HTTP Basic credentials.");
  const userOk = await sameText(text.slice(0, colon), String(verifier.config.username));
  const secret = await matchSecret(verifier, text.slice(colon + 1));
  if (!userOk || secret === null) return refuse(401, "The HTTP Basic credentials do not match.");
  return { ok: true, secret, timestamp: null, id: null };
}

const SCHEMES: Record<WebhookVerification, (v: Verifier, r: DeliveryRequest) => Promise<Verdict>> = {
  standard_webhooks: standardWebhooks,
  hubspot_v3: hubspotV3,
  hmac_sha256: hmacSha256,
  token,
  basic,
};

export function verifyDelivery(verifier: Verifier, request: DeliveryRequest): Promise<Verdict> {
  return SCHEMES[verifier.kind](verifier, request);
}

/** Headers that carry credentials, never kept with a delivery. */
export function credentialHeaders(verifier: Verifier): string[] {
  const names = ["authorization", "proxy-authorization", "cookie"];
  if (verifier.kind === "token" && verifier.config.in === "header")
    names.push(String(verifier.config.name).toLowerCase());
  return names;
}
