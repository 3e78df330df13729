import { describe, expect, it } from "vitest";
import {
  hashPassword,
  MAX_PBKDF2_ITERATIONS,
  PBKDF2_ITERATIONS,
  verifyPassword,
} from "../../../functions/auth/passwords.ts";

const PEPPER = "a-pepper-for-this-test-only";

describe("password hashing", () => {
  it("stores PBKDF2-SHA256 with its parameters, and verifies", async () => {
    const stored = await hashPassword("correct horse battery", PEPPER);
    expect(stored).toMatch(/^pbkdf2-sha256\$100000\$[\w-]{22}\$[\w-]{43}$/);
    expect(await verifyPassword("correct horse battery", stored, PEPPER)).toEqual({
      ok: true,
      needsRehash: false,
    });
    expect((await verifyPassword("correct horse batterY", stored, PEPPER)).ok).toBe(false);
  });

  it("depends on the pepper: a stolen database alone does not verify", async () => {
    const stored = await hashPassword("correct horse battery", PEPPER);
    expect((await verifyPassword("correct horse battery", stored, "another-pepper-value")).ok).toBe(false);
  });

  it("asks for a rehash when the stored parameters are not today's", async () => {
    const old = await hashPassword("correct horse battery", PEPPER, 50_000);
    expect(await verifyPassword("correct horse battery", old, PEPPER)).toEqual({
      ok: true,
      needsRehash: true,
    });
  });

  it("never asks WebCrypto for more than the production maximum of 100,000 iterations", async () => {
    expect(PBKDF2_ITERATIONS).toBeLessThanOrEqual(MAX_PBKDF2_ITERATIONS);
    expect(MAX_PBKDF2_ITERATIONS).toBe(100_000);
    await expect(hashPassword("x", PEPPER, 100_001)).rejects.toThrow(/100000/);
    // A stored hash claiming more iterations is refused rather than computed.
    const forged = (await hashPassword("x", PEPPER)).replace("$100000$", "$600000$");
    expect((await verifyPassword("x", forged, PEPPER)).ok).toBe(false);
  });

  it("runs where the test runtime refuses PBKDF2 above 100,000 iterations, as production does", async () => {
    const key = await crypto.subtle.importKey("raw", new TextEncoder().encode("pw"), "PBKDF2", false, [
      "deriveBits",
    ]);
    const params = { name: "PBKDF2", hash: "SHA-256", salt: new Uint8Array(16) };
    await expect(crypto.subtle.deriveBits({ ...params, iterations: 100_001 }, key, 256)).rejects.toThrow(
      /not supported in production/,
    );
    await expect(
      crypto.subtle.deriveBits({ ...params, iterations: 100_000 }, key, 256),
    ).resolves.toBeInstanceOf(ArrayBuffer);
  });
});
