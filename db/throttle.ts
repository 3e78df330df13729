// Failed-login throttling, the database-backed authority: counters per account and per IP, and the lockout
// they lead to. Statements are returned unawaited so the login puts them in the batch it already makes.
import { and, eq, inArray, isNull, lte, or, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Database } from "./client.ts";
import { loginThrottle } from "./schema/index.ts";

const MINUTE = 60_000;

export interface ThrottlePolicy {
  /** This many failures within one window lock the key. */
  maxFailures: number;
  windowMs: number;
  lockMs: number;
}

export type ThrottleScope = "account" | "ip";

export const THROTTLE_POLICY: Readonly<Record<ThrottleScope, ThrottlePolicy>> = {
  // Slows guessing one account's password to a handful of tries per quarter hour, wherever they come from.
  account: { maxFailures: 5, windowMs: 15 * MINUTE, lockMs: 15 * MINUTE },
  // One address trying many accounts (password spraying); higher, as an office may share one address.
  ip: { maxFailures: 30, windowMs: 15 * MINUTE, lockMs: 15 * MINUTE },
};

export type LockStatus =
  | { locked: false }
  | { locked: true; retryAfterSeconds: number; scope: ThrottleScope };

/** The account key first (the one `clearFailuresStatement` takes), then the IP key when the IP is known. */
export function throttleKeys(email: string, ip: string | null): [string, ...string[]] {
  const account = `account:${email.trim().toLowerCase()}`;
  return ip ? [account, `ip:${ipBucket(ip)}`] : [account];
}

export function readThrottleStatements(db: Database, keys: readonly string[]) {
  return db
    .select({ key: loginThrottle.key, lockedUntil: loginThrottle.lockedUntil })
    .from(loginThrottle)
    .where(inArray(loginThrottle.key, [...keys]));
}

/** Locked when any key is; the longest lock wins, as the caller must wait for all of them. */
export function lockStatus(
  rows: readonly { key: string; lockedUntil: number | null }[],
  now: number,
): LockStatus {
  let status: LockStatus = { locked: false };
  for (const { key, lockedUntil } of rows) {
    if (lockedUntil === null || lockedUntil <= now) continue;
    const retryAfterSeconds = Math.ceil((lockedUntil - now) / 1000);
    if (!status.locked || retryAfterSeconds > status.retryAfterSeconds) {
      status = { locked: true, retryAfterSeconds, scope: scopeOf(key) };
    }
  }
  return status;
}

/**
 * One upsert per key. A failure after the window ended starts a new window; the failure that reaches the
 * limit sets the lock. A failure during a lock leaves the lock as it is: extending it would let anyone keep
 * an account locked for ever by trying a wrong password now and then.
 */
export function recordFailureStatements(
  db: Database,
  keys: readonly string[],
  now: number,
): BatchItem<"sqlite">[] {
  return keys.map((key) => {
    const { maxFailures, windowMs, lockMs } = THROTTLE_POLICY[scopeOf(key)];
    const t = loginThrottle;
    // In an upsert's SET every expression sees the row as it was, so these may refer to each other's columns.
    const expired = sql`${t.windowStart} <= ${now - windowMs}`;
    const failures = sql`case when ${expired} then 1 else ${t.failures} + 1 end`;
    return db
      .insert(loginThrottle)
      .values({ key, windowStart: now, failures: 1, lockedUntil: maxFailures <= 1 ? now + lockMs : null })
      .onConflictDoUpdate({
        target: loginThrottle.key,
        set: {
          windowStart: sql`case when ${expired} then ${now} else ${t.windowStart} end`,
          failures,
          lockedUntil: sql`case when ${t.lockedUntil} > ${now} then ${t.lockedUntil} when ${failures} >= ${maxFailures} then ${now + lockMs} else null end`,
        },
      });
  });
}

/** After a successful login: the account's count starts again. The IP's does not, or one account an attacker
 * owns would reset the count for every other account they try. */
export function clearFailuresStatement(db: Database, accountKey: string) {
  return db.delete(loginThrottle).where(eq(loginThrottle.key, accountKey));
}

/**
 * Deletes rows whose window and lock have both ended; every failed login for an unknown email adds one, so
 * without this the table grows with whatever an attacker types. Meant for the daily housekeeping job.
 */
export async function pruneLoginThrottle(db: Database, now: number): Promise<number> {
  const longestWindow = Math.max(...Object.values(THROTTLE_POLICY).map((p) => p.windowMs));
  const result = await db
    .delete(loginThrottle)
    .where(
      and(
        lte(loginThrottle.windowStart, now - longestWindow),
        or(isNull(loginThrottle.lockedUntil), lte(loginThrottle.lockedUntil, now)),
      ),
    );
  return result.rowsAffected;
}

function scopeOf(key: string): ThrottleScope {
  return key.startsWith("ip:") ? "ip" : "account";
}

/**
 * IPv4 addresses count one by one; IPv6 ones by their /64, since one subscriber is usually given a whole /64
 * and could otherwise try from a fresh address each time.
 */
function ipBucket(ip: string): string {
  const address = ip.trim().toLowerCase();
  if (!address.includes(":")) return address;
  const mappedV4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(address)?.[1];
  if (mappedV4) return mappedV4;
  const hextets = expandIpv6(address);
  if (!hextets) return address;
  return `${hextets.slice(0, 4).join(":")}::/64`;
}

/** The eight hextets of an IPv6 address without leading zeros, or null when it is not one we can read. */
function expandIpv6(address: string): string[] | null {
  const [head = "", tail, extra] = address.replace(/%.*$/, "").split("::");
  if (extra !== undefined) return null;
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? missing !== 0 : missing < 1) return null;
  const hextets = [...left, ...Array<string>(tail === undefined ? 0 : missing).fill("0"), ...right];
  if (!hextets.every((h) => /^[0-9a-f]{1,4}$/.test(h))) return null;
  return hextets.map((h) => h.replace(/^0+(?=.)/, ""));
}
