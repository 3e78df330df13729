import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { loginThrottle } from "../../../db/schema/index.ts";
import {
  clearFailuresStatement,
  lockStatus,
  pruneLoginThrottle,
  readThrottleStatements,
  recordFailureStatements,
  THROTTLE_POLICY,
  throttleKeys,
} from "../../../db/throttle.ts";
import { useTestDatabase } from "../support.ts";

const t = useTestDatabase();
const MINUTE = 60_000;
const { account, ip } = THROTTLE_POLICY;
let unique = 0;

/** Each test its own email and address, as the database is shared by the file. */
function fresh() {
  unique += 1;
  return { email: `user${unique}@example.com`, ip: `198.51.100.${unique}` };
}

/** As the login does it: the read and the failure's writes in one batch. */
async function fail(email: string, from: string | null, now: number) {
  const keys = throttleKeys(email, from);
  await t.db.batch([readThrottleStatements(t.db, keys), ...recordFailureStatements(t.db, keys, now)]);
}

async function status(email: string, from: string | null, now: number) {
  return lockStatus(await readThrottleStatements(t.db, throttleKeys(email, from)), now);
}

async function row(key: string) {
  const [found] = await t.db.select().from(loginThrottle).where(eq(loginThrottle.key, key));
  return found;
}

describe("throttle keys", () => {
  it("keys the account by its lower-cased email, and the IP when known", () => {
    expect(throttleKeys(" Ada@Example.COM", "203.0.113.9")).toEqual([
      "account:ada@example.com",
      "ip:203.0.113.9",
    ]);
    expect(throttleKeys("ada@example.com", null)).toEqual(["account:ada@example.com"]);
  });

  it("keys IPv6 by its /64, so a client cannot step through its own addresses", () => {
    const [, a] = throttleKeys("x@example.com", "2001:db8:aa:1::1");
    const [, b] = throttleKeys("x@example.com", "2001:0DB8:00AA:0001:ffff:1:2:3");
    const [, c] = throttleKeys("x@example.com", "2001:db8:aa:2::1");
    expect(a).toBe("ip:2001:db8:aa:1::/64");
    expect(b).toBe(a);
    expect(c).not.toBe(a);
    expect(throttleKeys("x@example.com", "::1")[1]).toBe("ip:0:0:0:0::/64");
    expect(throttleKeys("x@example.com", "::ffff:192.0.2.7")[1]).toBe("ip:192.0.2.7");
  });
});

describe("account lockout", () => {
  it(`locks after ${account.maxFailures} failures within the window, for ${account.lockMs / MINUTE} minutes`, async () => {
    const { email } = fresh();
    const start = Date.UTC(2026, 10, 22, 9, 0);
    // Each from another address, as a distributed guesser would.
    for (let i = 0; i < account.maxFailures - 1; i++) {
      await fail(email, `192.0.2.${i}`, start + i * MINUTE);
    }
    const lastAt = start + (account.maxFailures - 1) * MINUTE;
    expect(await status(email, "192.0.2.200", lastAt)).toEqual({ locked: false });

    await fail(email, "192.0.2.99", lastAt);
    expect(await status(email, "192.0.2.200", lastAt)).toEqual({
      locked: true,
      retryAfterSeconds: account.lockMs / 1000,
      scope: "account",
    });
    expect(await status(email, null, lastAt + 61_500)).toEqual({
      locked: true,
      retryAfterSeconds: account.lockMs / 1000 - 61,
      scope: "account",
    });
    expect(await status(email, null, lastAt + account.lockMs - 1)).toMatchObject({ retryAfterSeconds: 1 });
    expect(await status(email, null, lastAt + account.lockMs)).toEqual({ locked: false });
  });

  it("counts only failures within one window: an expired window starts again at one", async () => {
    const { email } = fresh();
    const start = Date.UTC(2026, 10, 22, 10, 0);
    for (let i = 0; i < account.maxFailures - 1; i++) await fail(email, null, start + i * MINUTE);
    expect(await row(`account:${email}`)).toMatchObject({
      windowStart: start,
      failures: account.maxFailures - 1,
    });

    const later = start + account.windowMs;
    await fail(email, null, later);
    expect(await row(`account:${email}`)).toMatchObject({
      windowStart: later,
      failures: 1,
      lockedUntil: null,
    });
    for (let i = 1; i < account.maxFailures - 1; i++) await fail(email, null, later + i * MINUTE);
    expect(await status(email, null, later + 5 * MINUTE)).toEqual({ locked: false });
    await fail(email, null, later + 5 * MINUTE);
    expect(await status(email, null, later + 5 * MINUTE)).toMatchObject({ locked: true, scope: "account" });
  });

  it("does not extend a lock when failures go on during it", async () => {
    const { email } = fresh();
    const start = Date.UTC(2026, 10, 22, 11, 0);
    for (let i = 0; i < account.maxFailures; i++) await fail(email, null, start);
    const lockedUntil = start + account.lockMs;
    expect((await row(`account:${email}`))?.lockedUntil).toBe(lockedUntil);
    await fail(email, null, start + 10 * MINUTE);
    expect((await row(`account:${email}`))?.lockedUntil).toBe(lockedUntil);
    expect(await status(email, null, lockedUntil)).toEqual({ locked: false });

    // After the lock, the window has ended too: the next failure is the first of a new one.
    await fail(email, null, lockedUntil);
    expect(await row(`account:${email}`)).toMatchObject({
      windowStart: lockedUntil,
      failures: 1,
      lockedUntil: null,
    });
  });

  it("starts the account's count again after a successful login, but not the IP's", async () => {
    const { email, ip: from } = fresh();
    const start = Date.UTC(2026, 10, 22, 12, 0);
    for (let i = 0; i < account.maxFailures - 1; i++) await fail(email, from, start);
    const [accountKey, ipKey = ""] = throttleKeys(email, from);
    await t.db.batch([clearFailuresStatement(t.db, accountKey)]);
    expect(await row(accountKey)).toBeUndefined();
    expect(await row(ipKey)).toMatchObject({ failures: account.maxFailures - 1 });

    for (let i = 0; i < account.maxFailures - 1; i++) await fail(email, from, start + MINUTE);
    expect(await status(email, from, start + MINUTE)).toEqual({ locked: false });
  });
});

describe("IP lockout", () => {
  it(`locks an address after ${ip.maxFailures} failures across accounts, and only that address`, async () => {
    const { ip: from } = fresh();
    const other = fresh();
    const start = Date.UTC(2026, 10, 22, 13, 0);
    // Password spraying: one or two tries at each of many accounts, none of them locked by itself.
    for (let i = 0; i < ip.maxFailures; i++) await fail(`spray${i % 15}@example.com`, from, start + i * 1000);
    const at = start + (ip.maxFailures - 1) * 1000;
    expect(await status("spray0@example.com", null, at)).toEqual({ locked: false });

    expect(await status("someone@example.com", from, at)).toEqual({
      locked: true,
      retryAfterSeconds: ip.lockMs / 1000,
      scope: "ip",
    });
    expect(await status("spray0@example.com", other.ip, at)).toEqual({ locked: false });
    expect(await status(other.email, other.ip, at)).toEqual({ locked: false });
  });

  it("reports the longer of two locks, as both must end before a try", () => {
    const now = 1_000_000;
    expect(
      lockStatus(
        [
          { key: "account:a@example.com", lockedUntil: now + 5_000 },
          { key: "ip:192.0.2.1", lockedUntil: now + 9_001 },
          { key: "ip:192.0.2.2", lockedUntil: null },
        ],
        now,
      ),
    ).toEqual({ locked: true, retryAfterSeconds: 10, scope: "ip" });
    expect(lockStatus([{ key: "account:a@example.com", lockedUntil: now }], now)).toEqual({ locked: false });
  });
});

describe("throttle in the login's round trip", () => {
  it("reads and records a failure in one database round trip", async () => {
    const { email, ip: from } = fresh();
    const trips = await t.roundTrips(() => fail(email, from, Date.UTC(2026, 10, 22, 14, 0)));
    expect(trips).toBe(1);
    expect(await row(`account:${email}`)).toMatchObject({ failures: 1 });
    expect(await row(`ip:${from}`)).toMatchObject({ failures: 1 });
  });

  it("prunes rows whose window and lock have both ended", async () => {
    const { email } = fresh();
    const locked = fresh();
    const start = Date.UTC(2026, 10, 23, 9, 0);
    await fail(email, null, start);
    for (let i = 0; i < account.maxFailures; i++)
      await fail(locked.email, null, start + account.windowMs - 1);

    await pruneLoginThrottle(t.db, start + account.windowMs - 1);
    expect(await row(`account:${email}`)).toBeDefined();
    expect(await pruneLoginThrottle(t.db, start + account.windowMs)).toBeGreaterThanOrEqual(1);
    expect(await row(`account:${email}`)).toBeUndefined();
    expect(await row(`account:${locked.email}`)).toBeDefined();
  });
});
