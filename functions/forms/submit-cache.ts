// The form definitions the public routes know without asking the database: kept in this isolate's memory and
// in the location's Workers cache once a page, a definition or a CORS preflight has read them (one round trip).
// The submit path only ever looks here, never in the database; the consumer re-checks against the database,
// which stays the authority. An entry lives a minute at most, so an admin's change reaches the edge quickly.

import type { Database } from "../../db/client.ts";
import { type FormRow, formQuery } from "../../db/forms/definitions.ts";
import { type StoredDefinition, toPublicForm } from "./definition.ts";
import type { PublicForm } from "./field-rules.ts";

export interface EdgeForm {
  id: string;
  version: number;
  archived: boolean;
  form: PublicForm;
  allowedOrigins: string[];
  /**
   * Only in isolate memory, never in the shared cache: null when the form has no Turnstile keys, or when the
   * entry came from the shared cache (the consumer then verifies the token).
   */
  turnstileSecret: string | null;
  hasTurnstile: boolean;
}

/** What is known of a form id: the form, that there is no such form (null), or nothing yet (undefined). */
export type Known = EdgeForm | null | undefined;

const MEMORY_TTL_MS = 30_000;
const CACHE_TTL_S = 60;
const MAX_ENTRIES = 1000;
const memory = new Map<string, { at: number; form: EdgeForm | null }>();

export function toEdgeForm(row: FormRow): EdgeForm {
  const definition = JSON.parse(row.definition) as StoredDefinition;
  return {
    id: row.id,
    version: row.version,
    archived: row.archivedAt !== null,
    form: toPublicForm({ id: row.id, name: row.name, definition }),
    allowedOrigins: definition.allowedOrigins,
    turnstileSecret: row.turnstileSecret,
    hasTurnstile: definition.spam.turnstile !== null,
  };
}

/** One database per Worker in production; tests point the same isolate at many, so the key names it. */
async function databaseKey(databaseUrl: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(databaseUrl));
  return [...new Uint8Array(digest).slice(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function cacheRequest(databaseUrl: string, selfOrigin: string, id: string): Promise<Request> {
  return new Request(
    `${selfOrigin}/__form-cache/${await databaseKey(databaseUrl)}/${encodeURIComponent(id)}`,
  );
}

async function sharedCache(): Promise<Cache | null> {
  try {
    return await caches.open("forms");
  } catch {
    return null;
  }
}

/** What this location knows of the form, without the database. */
export async function knownForm(databaseUrl: string, selfOrigin: string, id: string): Promise<Known> {
  const key = `${databaseUrl}|${id}`;
  const held = memory.get(key);
  if (held && Date.now() - held.at < MEMORY_TTL_MS) return held.form;
  try {
    const cache = await sharedCache();
    const hit = await cache?.match(await cacheRequest(databaseUrl, selfOrigin, id));
    if (!hit) return undefined;
    const form = (await hit.json()) as EdgeForm | null;
    memory.set(key, { at: Date.now(), form });
    return form;
  } catch {
    return undefined;
  }
}

/** Keeps what the database said about the form, here and in the location's cache. */
export async function rememberForm(
  databaseUrl: string,
  selfOrigin: string,
  id: string,
  form: EdgeForm | null,
): Promise<void> {
  const key = `${databaseUrl}|${id}`;
  memory.delete(key);
  memory.set(key, { at: Date.now(), form });
  while (memory.size > MAX_ENTRIES) {
    const oldest = memory.keys().next().value;
    if (oldest === undefined) break;
    memory.delete(oldest);
  }
  try {
    const cache = await sharedCache();
    const shared = form ? { ...form, turnstileSecret: null } : null;
    await cache?.put(
      await cacheRequest(databaseUrl, selfOrigin, id),
      new Response(JSON.stringify(shared), {
        headers: { "Content-Type": "application/json", "Cache-Control": `max-age=${CACHE_TTL_S}` },
      }),
    );
  } catch {
    // The shared cache is an optimisation (and absent on workers.dev): memory still holds the entry.
  }
}

/** Drops the form from this isolate and location, after an admin changed it here. */
export async function forgetForm(databaseUrl: string, selfOrigin: string, id: string): Promise<void> {
  memory.delete(`${databaseUrl}|${id}`);
  try {
    const cache = await sharedCache();
    await cache?.delete(await cacheRequest(databaseUrl, selfOrigin, id));
  } catch {
    // As above: nothing to undo where there is no shared cache.
  }
}

/**
 * The form for a page, a definition or a preflight: from what is known here, else from the database (one round
 * trip), remembered for the submit that usually follows. Null when there is no such form.
 */
export async function loadEdgeForm(
  db: Database,
  databaseUrl: string,
  selfOrigin: string,
  id: string,
): Promise<EdgeForm | null> {
  const known = await knownForm(databaseUrl, selfOrigin, id);
  if (known !== undefined) return known;
  const [row] = await formQuery(db, id);
  const form = row ? toEdgeForm(row) : null;
  await rememberForm(databaseUrl, selfOrigin, id, form);
  return form;
}
