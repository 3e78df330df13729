// Single-use, expiring tokens sent by email (invitations, password resets), stored only as hashes.
import type { Database } from "./client.ts";
import { oneTimeTokens } from "./schema/index.ts";

export const INVITE_TTL_MS = 7 * 24 * 60 * 60_000;
export const PASSWORD_RESET_TTL_MS = 60 * 60_000;

export function oneTimeTokenStatement(
  db: Database,
  token: { tokenHash: string; kind: "invite" | "password_reset"; userId: string; ttlMs: number },
  now = Date.now(),
) {
  return db.insert(oneTimeTokens).values({
    tokenHash: token.tokenHash,
    kind: token.kind,
    userId: token.userId,
    createdAt: now,
    expiresAt: now + token.ttlMs,
  });
}
