// Idempotency keys: a POST's key is claimed before its work commits (in the same batch, or in a trip of its own
// first) and holds the first response once it is known, so a retry is answered from here instead of creating
// the record twice. Kept a day.
import { and, eq, lt } from "drizzle-orm";
import type { Database } from "./client.ts";
import { idempotencyKeys } from "./schema/index.ts";

export const KEEP_IDEMPOTENCY_KEYS_MS = 24 * 60 * 60_000;

/** The status a claimed key holds while its first request runs. */
export const PENDING = 0;

export interface StoredResponse {
  headers: Record<string, string>;
  body: string;
}

export interface KeyRequest {
  scope: string;
  key: string;
  method: string;
  path: string;
  bodyHash: string;
}

export type Claim =
  | { kind: "claimed" }
  | { kind: "pending" }
  | { kind: "mismatch" }
  | { kind: "replay"; status: number; response: StoredResponse };

/**
 * A claim that rides in the request's own batch (functions/access.ts puts its statements first): `ready` until
 * a batch carries it, `taken` once one committed, `held` when that batch found the key already claimed.
 */
export interface BatchClaim {
  readonly request: KeyRequest;
  readonly now: number;
  state: "ready" | "taken" | "held";
}

/**
 * The statements that claim a key at the head of a batch. The plain INSERT is its own guard: when the key is
 * held its primary key refuses the row, which aborts the whole batch (`isKeyHeld` recognises the refusal), so
 * nothing after it runs; when the batch fails later, the claim rolls back with everything else. A row older
 * than a day counts as gone (the daily prune may not have reached it): the first statement clears it.
 */
export function claimStatements(db: Database, request: KeyRequest, now: number) {
  return [
    db
      .delete(idempotencyKeys)
      .where(
        and(
          eq(idempotencyKeys.scope, request.scope),
          eq(idempotencyKeys.key, request.key),
          lt(idempotencyKeys.createdAt, now - KEEP_IDEMPOTENCY_KEYS_MS),
        ),
      ),
    db.insert(idempotencyKeys).values({ ...request, status: PENDING, response: "", createdAt: now }),
  ] as const;
}

/** Whether a batch failed because its claim statement found the key held. */
export function isKeyHeld(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 6; e = e.cause, depth++) {
    if (/UNIQUE constraint failed: idempotency_keys\.scope, idempotency_keys\.key/.test(e.message))
      return true;
  }
  return false;
}

/**
 * Claims the key for this request, or reads what holds it, in one round trip of its own. The insert wins or
 * loses atomically, so of two requests with the same key at once exactly one runs its handler. A row older
 * than a day counts as gone and is claimed afresh.
 */
export async function claimIdempotencyKey(db: Database, request: KeyRequest, now: number): Promise<Claim> {
  const row = { ...request, status: PENDING, response: "", createdAt: now };
  const [claimed, existing] = await db.batch([
    db
      .insert(idempotencyKeys)
      .values(row)
      .onConflictDoUpdate({
        target: [idempotencyKeys.scope, idempotencyKeys.key],
        set: {
          method: row.method,
          path: row.path,
          bodyHash: row.bodyHash,
          status: PENDING,
          response: "",
          createdAt: now,
        },
        setWhere: lt(idempotencyKeys.createdAt, now - KEEP_IDEMPOTENCY_KEYS_MS),
      })
      .returning({ createdAt: idempotencyKeys.createdAt }),
    heldKeyQuery(db, request),
  ]);
  if (claimed.length > 0) return { kind: "claimed" };
  return heldBy(existing[0], request);
}

/** What holds a key that a batch found held (one round trip): the first response, or why there is none. */
export async function readHeldKey(
  db: Database,
  request: KeyRequest,
): Promise<Exclude<Claim, { kind: "claimed" }>> {
  return heldBy((await heldKeyQuery(db, request))[0], request);
}

function heldKeyQuery(db: Database, request: KeyRequest) {
  return db
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.scope, request.scope), eq(idempotencyKeys.key, request.key)));
}

function heldBy(
  held: typeof idempotencyKeys.$inferSelect | undefined,
  request: KeyRequest,
): Exclude<Claim, { kind: "claimed" }> {
  // Gone since it was found held (given back after an error, or pruned): the caller may simply retry.
  if (!held) return { kind: "pending" };
  if (held.method !== request.method || held.path !== request.path || held.bodyHash !== request.bodyHash) {
    return { kind: "mismatch" };
  }
  if (held.status === PENDING) return { kind: "pending" };
  return { kind: "replay", status: held.status, response: JSON.parse(held.response) as StoredResponse };
}

/** Keeps the first response under the key that the request claimed. */
export async function storeIdempotentResponse(
  db: Database,
  scope: string,
  key: string,
  status: number,
  response: StoredResponse,
): Promise<void> {
  await db
    .update(idempotencyKeys)
    .set({ status, response: JSON.stringify(response) })
    .where(
      and(
        eq(idempotencyKeys.scope, scope),
        eq(idempotencyKeys.key, key),
        eq(idempotencyKeys.status, PENDING),
      ),
    );
}

/** Gives a key back after a request that changed nothing (an error), so a retry runs the handler again. */
export async function releaseIdempotencyKey(db: Database, scope: string, key: string): Promise<void> {
  await db
    .delete(idempotencyKeys)
    .where(
      and(
        eq(idempotencyKeys.scope, scope),
        eq(idempotencyKeys.key, key),
        eq(idempotencyKeys.status, PENDING),
      ),
    );
}

/** Deletes keys older than `before` (epoch ms); returns how many went. */
export async function pruneIdempotencyKeys(db: Database, before: number): Promise<number> {
  const result = await db.delete(idempotencyKeys).where(lt(idempotencyKeys.createdAt, before));
  return result.rowsAffected;
}
