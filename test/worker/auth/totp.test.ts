import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { recoveryCodes, users } from "../../../db/schema/index.ts";
import {
  countUnusedRecoveryCodes,
  disableTotp,
  enableTotp,
  recordTotpStep,
  storeTotpSecret,
  useRecoveryCode,
} from "../../../db/two-factor.ts";
import {
  generateRecoveryCodes,
  generateTotpSecret,
  hashRecoveryCode,
  totpEnrolment,
  verifyTotp,
} from "../../../functions/auth/totp.ts";
import { createUser } from "../factories.ts";
import { useTestDatabase } from "../support.ts";

const t = useTestDatabase();

// RFC 6238, appendix B: the SHA-1 secret "12345678901234567890" (base32 below) and its codes, cut to 6 digits.
const RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const STEP = 37_037_036; // T = 1111111109 s
const CODE = "081804";
const NEXT_CODE = "050471"; // step 37037037, T = 1111111111 s
const stepStart = (step: number) => step * 30_000;

async function userRow(id: string) {
  const [row] = await t.db.select().from(users).where(eq(users.id, id));
  if (!row) throw new Error(`no user ${id}`);
  return row;
}

describe("enrolment", () => {
  it("makes a 160-bit base32 secret, a new one each time", () => {
    const secret = generateTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(generateTotpSecret()).not.toBe(secret);
  });

  it("gives the otpauth:// URI authenticator apps read: SHA1, 6 digits, 30 s, issuer in label and parameter", () => {
    const { secret, uri } = totpEnrolment(RFC_SECRET, "ada@example.com");
    expect(secret).toBe(RFC_SECRET);
    expect(uri).toBe(
      `otpauth://totp/Edge%20CRM:ada%40example.com?issuer=Edge%20CRM&secret=${RFC_SECRET}&algorithm=SHA1&digits=6&period=30`,
    );
    expect(totpEnrolment(RFC_SECRET, "ada@example.com", "Acme").uri).toMatch(
      /^otpauth:\/\/totp\/Acme:ada%40example\.com\?issuer=Acme&/,
    );
  });

  it("draws the URI as a square SVG QR code", () => {
    const { qrSvg } = totpEnrolment(RFC_SECRET, "ada@example.com");
    const viewBox = /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 (\d+) (\d+)">/.exec(qrSvg);
    expect(viewBox?.[1]).toBeDefined();
    expect(viewBox?.[1]).toBe(viewBox?.[2]);
    // A ~110-character URI needs at least version 6 (41 modules) plus the 4-module quiet zone each side.
    expect(Number(viewBox?.[1]) / 10).toBeGreaterThanOrEqual(41 + 8);
    expect(qrSvg).toMatch(/<path fill="black" d="(M\d+,\d+h10v10h-10z)+"\/><\/svg>$/);
    expect(totpEnrolment(generateTotpSecret(), "ada@example.com").qrSvg).not.toBe(qrSvg);
  });
});

describe("verifyTotp", () => {
  it("accepts the RFC 6238 codes at their time, and returns the step", () => {
    expect(verifyTotp(RFC_SECRET, CODE, null, 1_111_111_109_000)).toEqual({ ok: true, step: STEP });
    expect(verifyTotp(RFC_SECRET, "287082", null, 59_000)).toEqual({ ok: true, step: 1 });
    expect(verifyTotp(RFC_SECRET, "279037", null, 2_000_000_000_000)).toEqual({ ok: true, step: 66_666_666 });
  });

  it("accepts a code one step early or late, and refuses it two steps away", () => {
    expect(verifyTotp(RFC_SECRET, CODE, null, stepStart(STEP + 1))).toEqual({ ok: true, step: STEP });
    expect(verifyTotp(RFC_SECRET, CODE, null, stepStart(STEP - 1))).toEqual({ ok: true, step: STEP });
    expect(verifyTotp(RFC_SECRET, CODE, null, stepStart(STEP + 2))).toEqual({ ok: false, reason: "invalid" });
    expect(verifyTotp(RFC_SECRET, CODE, null, stepStart(STEP - 1) - 1)).toEqual({
      ok: false,
      reason: "invalid",
    });
  });

  it("tolerates spaces, and refuses anything but the six right digits", () => {
    const now = 1_111_111_109_000;
    expect(verifyTotp(RFC_SECRET, "081 804", null, now)).toEqual({ ok: true, step: STEP });
    expect(verifyTotp(RFC_SECRET, " 08 18 04\n", null, now)).toEqual({ ok: true, step: STEP });
    for (const code of ["081805", "81804", "07081804", "08180a", "", "081-804"]) {
      expect(verifyTotp(RFC_SECRET, code, null, now), code).toEqual({ ok: false, reason: "invalid" });
    }
  });

  it("refuses a code whose step was used, and an older code once a newer one was used", () => {
    const now = stepStart(STEP + 1);
    expect(verifyTotp(RFC_SECRET, CODE, STEP - 1, now)).toEqual({ ok: true, step: STEP });
    expect(verifyTotp(RFC_SECRET, CODE, STEP, now)).toEqual({ ok: false, reason: "replayed" });
    expect(verifyTotp(RFC_SECRET, CODE, STEP + 1, now)).toEqual({ ok: false, reason: "replayed" });
    expect(verifyTotp(RFC_SECRET, NEXT_CODE, STEP, now)).toEqual({ ok: true, step: STEP + 1 });
    // A wrong code stays "invalid" whatever was used before, so a replay is told apart from a typo.
    expect(verifyTotp(RFC_SECRET, "000000", STEP + 1, now)).toEqual({ ok: false, reason: "invalid" });
  });
});

describe("recording the step", () => {
  it("lets exactly one of two concurrent requests with the same code through", async () => {
    const userId = (await createUser(t.db)).id;
    expect(await storeTotpSecret(t.db, userId, RFC_SECRET)).toBe(true);
    expect(await enableTotp(t.db, userId, STEP - 5, [], Date.now())).toBe(true);

    const results = await Promise.all([
      recordTotpStep(t.db, userId, STEP),
      recordTotpStep(t.db, userId, STEP),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await userRow(userId)).totpLastStep).toBe(STEP);

    expect(await recordTotpStep(t.db, userId, STEP)).toBe(false);
    expect(await recordTotpStep(t.db, userId, STEP - 1)).toBe(false);
    expect(await recordTotpStep(t.db, userId, STEP + 1)).toBe(true);
    expect((await userRow(userId)).totpLastStep).toBe(STEP + 1);
  });

  it("records the enrolment code's step, so that code cannot log in afterwards", async () => {
    const userId = (await createUser(t.db)).id;
    await storeTotpSecret(t.db, userId, RFC_SECRET);
    await enableTotp(t.db, userId, STEP, [], Date.now());
    const { totpLastStep } = await userRow(userId);
    expect(verifyTotp(RFC_SECRET, CODE, totpLastStep, stepStart(STEP))).toEqual({
      ok: false,
      reason: "replayed",
    });
    expect(await recordTotpStep(t.db, userId, STEP)).toBe(false);
  });
});

describe("enrolment in the database", () => {
  it("stores a pending secret, enables it with a step and its codes, and disables it completely", async () => {
    const userId = (await createUser(t.db)).id;
    const enabledAt = Date.UTC(2026, 10, 22, 9, 0);
    expect(await storeTotpSecret(t.db, userId, RFC_SECRET)).toBe(true);
    expect(await userRow(userId)).toMatchObject({
      totpSecret: RFC_SECRET,
      totpEnabledAt: null,
      totpLastStep: null,
    });

    const hashes = await Promise.all(generateRecoveryCodes().map(hashRecoveryCode));
    expect(await enableTotp(t.db, userId, STEP, hashes, enabledAt)).toBe(true);
    expect(await userRow(userId)).toMatchObject({
      totpSecret: RFC_SECRET,
      totpEnabledAt: enabledAt,
      totpLastStep: STEP,
    });
    expect(await countUnusedRecoveryCodes(t.db, userId)).toBe(10);

    await disableTotp(t.db, userId);
    expect(await userRow(userId)).toMatchObject({
      totpSecret: null,
      totpEnabledAt: null,
      totpLastStep: null,
    });
    expect(await t.db.select().from(recoveryCodes).where(eq(recoveryCodes.userId, userId))).toEqual([]);
  });

  it("refuses to replace the secret while TOTP is enabled, so a session alone cannot switch it off", async () => {
    const userId = (await createUser(t.db)).id;
    await storeTotpSecret(t.db, userId, RFC_SECRET);
    await enableTotp(t.db, userId, STEP, [], 1);
    expect(await storeTotpSecret(t.db, userId, generateTotpSecret())).toBe(false);
    expect(await userRow(userId)).toMatchObject({ totpSecret: RFC_SECRET, totpEnabledAt: 1 });

    // A restarted enrolment (not yet enabled) may replace its pending secret.
    await disableTotp(t.db, userId);
    const other = generateTotpSecret();
    expect(await storeTotpSecret(t.db, userId, RFC_SECRET)).toBe(true);
    expect(await storeTotpSecret(t.db, userId, other)).toBe(true);
    expect((await userRow(userId)).totpSecret).toBe(other);
    expect(await storeTotpSecret(t.db, "no-such-user", other)).toBe(false);
  });

  it("does not enable TOTP without a pending secret", async () => {
    const userId = (await createUser(t.db)).id;
    expect(await enableTotp(t.db, userId, STEP, [], 1)).toBe(false);
    expect((await userRow(userId)).totpEnabledAt).toBeNull();
  });
});

describe("recovery codes", () => {
  it("makes ten distinct codes of 12 unambiguous symbols (60 bits)", () => {
    const codes = generateRecoveryCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes)
      expect(code).toMatch(/^[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}$/);
    // Over 1,000 codes, each of the 32 symbols turns up (a broken mapping would leave some out).
    const symbols = new Set(
      Array.from({ length: 100 }, generateRecoveryCodes).flat().join("").replaceAll("-", ""),
    );
    expect(symbols.size).toBe(32);
  });

  it("hashes the normalised code: SHA-256 hex, whatever the case, dashes, spaces, or o/i/l for 0/1", async () => {
    const expected = "ff25e0a8f930ea31f7d2fdefc87340e34d7f6849d0781d0cd87701a5301722c0"; // sha256("abcdefghjkmn")
    for (const typed of ["abcd-efgh-jkmn", "ABCD-EFGH-JKMN", " abcd efgh jkmn ", "abcdefghjkmn"]) {
      expect(await hashRecoveryCode(typed), typed).toBe(expected);
    }
    const zeroOne = "d407ad901895723f32d31e6515f5284beb4c01e70e56720d65099da4771f3193"; // sha256("0123456789ab")
    expect(await hashRecoveryCode("O123-4567-89AB")).toBe(zeroOne);
    expect(await hashRecoveryCode("0I23-4567-89ab")).toBe(zeroOne);
    expect(await hashRecoveryCode("0l23-4567-89ab")).toBe(zeroOne);
    expect(await hashRecoveryCode("abcd-efgh-jkmp")).not.toBe(expected);
  });

  it("accepts each code once, only for its own user, and a new enrolment replaces them", async () => {
    const userId = (await createUser(t.db)).id;
    const otherId = (await createUser(t.db)).id;
    const codes = generateRecoveryCodes();
    const [first, second] = codes;
    if (!first || !second) throw new Error("expected codes");
    await storeTotpSecret(t.db, userId, RFC_SECRET);
    await enableTotp(t.db, userId, STEP, await Promise.all(codes.map(hashRecoveryCode)), 1);

    const firstHash = await hashRecoveryCode(first.toUpperCase());
    expect(await useRecoveryCode(t.db, otherId, firstHash, 2)).toBe(false);
    expect(await useRecoveryCode(t.db, userId, firstHash, 2)).toBe(true);
    expect(await useRecoveryCode(t.db, userId, firstHash, 3)).toBe(false);
    expect(await useRecoveryCode(t.db, userId, await hashRecoveryCode("zzzz-zzzz-zzzz"), 3)).toBe(false);
    expect(await countUnusedRecoveryCodes(t.db, userId)).toBe(9);
    const [spent] = await t.db.select().from(recoveryCodes).where(eq(recoveryCodes.codeHash, firstHash));
    expect(spent?.usedAt).toBe(2);

    const renewed = generateRecoveryCodes();
    await enableTotp(t.db, userId, STEP + 1, await Promise.all(renewed.map(hashRecoveryCode)), 4);
    expect(await countUnusedRecoveryCodes(t.db, userId)).toBe(10);
    expect(await useRecoveryCode(t.db, userId, await hashRecoveryCode(second), 5)).toBe(false);
    expect(await useRecoveryCode(t.db, userId, await hashRecoveryCode(renewed[0] ?? ""), 5)).toBe(true);
  });

  it("lets exactly one of two concurrent requests spend the same code", async () => {
    const userId = (await createUser(t.db)).id;
    const [code = ""] = generateRecoveryCodes();
    const hash = await hashRecoveryCode(code);
    await storeTotpSecret(t.db, userId, RFC_SECRET);
    await enableTotp(t.db, userId, STEP, [hash], 1);
    const results = await Promise.all([
      useRecoveryCode(t.db, userId, hash, 2),
      useRecoveryCode(t.db, userId, hash, 2),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await countUnusedRecoveryCodes(t.db, userId)).toBe(0);
  });
});
