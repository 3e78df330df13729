// What the webhook endpoint knows of a source without the database: kept in this isolate's memory and in the
// location's Workers cache once read (one round trip), so that verified deliveries still get through while
// the database is away. Fresh for a minute (an admin's change reaches the edge quickly); while the database
// cannot be reached, an entry up to a day old still verifies. The secrets never reach the shared cache in
// the clear: they are sealed with AES-GCM under a key derived from the Worker's pepper.
import type { Database } from "../../db/client.ts";
import { isDatabaseUnavailable } from "../../db/errors.ts";
import { parseSecrets, type SourceRow, sourceQuery } from "../../db/webhooks-in/sources.ts";
import type { Mapping } from "../../queues/webhooks-in/mapping.ts";
import { base64Url, fromBase64 } from "../auth/secrets.ts";
import type { Verifier } from "./verification.ts";

export interface EdgeSource {
  id: string;
  version: number;
  archived: boolean;
  verifier: Verifier;
  /** Where the mapping finds a delivery's own id, if it says. */
  deliveryId: Mapping["deliveryId"] | null;
}

interface Entry {
  at: number;
  source: EdgeSource | null;
}

export const FRESH_MS = 60_000;
/** How old an entry may be and still verify while the database is unreachable. */
export const STALE_MS = 24 * 60 * 60_000;
const MAX_ENTRIES = 1000;
const memory = new Map<string, Entry>();

export function toEdgeSource(row: SourceRow): EdgeSource {
  const mapping = JSON.parse(row.mapping) as Partial<Mapping>;
  return {
    id: row.id,
    version: row.version,
    archived: row.archivedAt !== null,
    verifier: {
      kind: row.verification,
      config: JSON.parse(row.verificationConfig) as Record<string, unknown>,
      secrets: parseSecrets(row).map((s) => s.value),
    },
    deliveryId: mapping.deliveryId ?? null,
  };
}

// ---- the shared cache, secrets sealed ----

const sealKeys = new Map<string, Promise<CryptoKey>>();

function sealKey(pepper: string): Promise<CryptoKey> {
  let key = sealKeys.get(pepper);
  if (!key) {
    key = crypto.subtle
      .digest("SHA-256", new TextEncoder().encode(`webhook-source-cache|${pepper}`))
      .then((bytes) => crypto.subtle.importKey("raw", bytes, "AES-GCM", false, ["encrypt", "decrypt"]));
    sealKeys.set(pepper, key);
  }
  return key;
}

async function seal(pepper: string, secrets: readonly string[]): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv },
    await sealKey(pepper),
    new TextEncoder().encode(JSON.stringify(secrets)),
  );
  return `${base64Url(iv)}.${base64Url(new Uint8Array(sealed))}`;
}

async function unseal(pepper: string, text: string): Promise<string[]> {
  const [iv, data] = text.split(".");
  const opened = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: fromBase64(iv ?? "") },
    await sealKey(pepper),
    fromBase64(data ?? ""),
  );
  return JSON.parse(new TextDecoder().decode(opened)) as string[];
}

/** One database per Worker in production; tests point one isolate at many, so the key names it. */
async function databaseKey(databaseUrl: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(databaseUrl));
  return [...new Uint8Array(digest).slice(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function cacheRequest(databaseUrl: string, selfOrigin: string, id: string): Promise<Request> {
  return new Request(
    `${selfOrigin}/__webhook-source-cache/${await databaseKey(databaseUrl)}/${encodeURIComponent(id)}`,
  );
}

async function sharedCache(): Promise<Cache | null> {
  try {
    return await caches.open("webhook-sources");
  } catch {
    return null;
  }
}

export interface CacheScope {
  databaseUrl: string;
  selfOrigin: string;
  pepper: string;
}

/** What this location knows of the source, however old (undefined: nothing). */
async function knownEntry(scope: CacheScope, id: string): Promise<Entry | undefined> {
  const key = `${scope.databaseUrl}|${id}`;
  const held = memory.get(key);
  if (held) return held;
  try {
    const cache = await sharedCache();
    const hit = await cache?.match(await cacheRequest(scope.databaseUrl, scope.selfOrigin, id));
    if (!hit) return undefined;
    const stored = (await hit.json()) as { at: number; source: EdgeSource | null; sealed: string | null };
    const source =
      stored.source && stored.sealed
        ? {
            ...stored.source,
            verifier: { ...stored.source.verifier, secrets: await unseal(scope.pepper, stored.sealed) },
          }
        : null;
    const entry = { at: stored.at, source };
    memory.set(key, entry);
    return entry;
  } catch {
    // Unreadable (another pepper, a changed shape): as if nothing were known.
    return undefined;
  }
}

/** Keeps what the database said about the source, here and in the location's cache. */
export async function rememberSource(
  scope: CacheScope,
  id: string,
  source: EdgeSource | null,
): Promise<void> {
  const key = `${scope.databaseUrl}|${id}`;
  const entry = { at: Date.now(), source };
  memory.delete(key);
  memory.set(key, entry);
  while (memory.size > MAX_ENTRIES) {
    const oldest = memory.keys().next().value;
    if (oldest === undefined) break;
    memory.delete(oldest);
  }
  try {
    const cache = await sharedCache();
    if (!cache) return;
    const stored = {
      at: entry.at,
      source: source ? { ...source, verifier: { ...source.verifier, secrets: [] } } : null,
      sealed: source ? await seal(scope.pepper, source.verifier.secrets) : null,
    };
    await cache.put(
      await cacheRequest(scope.databaseUrl, scope.selfOrigin, id),
      new Response(JSON.stringify(stored), {
        headers: { "Content-Type": "application/json", "Cache-Control": `max-age=${STALE_MS / 1000}` },
      }),
    );
  } catch {
    // The shared cache is an optimisation (and absent on workers.dev): memory still holds the entry.
  }
}

/** Drops the source from this isolate and location, after an admin changed it here. */
export async function forgetSource(scope: CacheScope, id: string): Promise<void> {
  memory.delete(`${scope.databaseUrl}|${id}`);
  try {
    const cache = await sharedCache();
    await cache?.delete(await cacheRequest(scope.databaseUrl, scope.selfOrigin, id));
  } catch {
    // As above.
  }
}

export type Lookup =
  | { found: EdgeSource | null; trips: 0 | 1 }
  /** Neither known here nor readable: the database is away and this location never saw the source. */
  | { found: undefined; trips: 1 };

/**
 * The source for a delivery: a fresh entry from here, else the database (one round trip) remembered for the
 * next; when the database is unreachable, what is known here up to a day old. Null: no such source.
 */
export async function lookUpSource(
  db: Database,
  scope: CacheScope,
  id: string,
  now: number,
): Promise<Lookup> {
  const entry = await knownEntry(scope, id);
  if (entry && now - entry.at < FRESH_MS) return { found: entry.source, trips: 0 };
  try {
    const [row] = await sourceQuery(db, id);
    const source = row ? toEdgeSource(row) : null;
    await rememberSource(scope, id, source);
    return { found: source, trips: 1 };
  } catch (error) {
    if (!isDatabaseUnavailable(error)) throw error;
    // A source that existed still verifies; "no such source" is not trusted past its minute.
    if (entry?.source && now - entry.at < STALE_MS) return { found: entry.source, trips: 1 };
    return { found: undefined, trips: 1 };
  }
}
