// Password hashing: PBKDF2-SHA256 through WebCrypto with a server-side pepper; the parameters are stored with
// each hash so they can change, and a hash made with old ones is replaced at the next login.
import { base64Url, constantTimeEqual, fromBase64 } from "./secrets.ts";

/** The most Workers in production allow; more fails there (and works locally, which would hide it). */
export const MAX_PBKDF2_ITERATIONS = 100_000;
export const PBKDF2_ITERATIONS = 100_000;
const ALGORITHM = "pbkdf2-sha256";
const SALT_BYTES = 16;
const HASH_BITS = 256;
export const MIN_PASSWORD_LENGTH = 10;

const encoder = new TextEncoder();

export async function hashPassword(
  password: string,
  pepper: string,
  iterations = PBKDF2_ITERATIONS,
): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const hash = await derive(password, pepper, salt, iterations);
  return `${ALGORITHM}$${iterations}$${base64Url(salt)}$${base64Url(hash)}`;
}

export interface PasswordCheck {
  ok: boolean;
  /** The hash was made with other parameters than today's: store a fresh one. */
  needsRehash: boolean;
}

export async function verifyPassword(
  password: string,
  stored: string,
  pepper: string,
): Promise<PasswordCheck> {
  const [algorithm, iterationsText, saltText, hashText] = stored.split("$");
  const iterations = Number(iterationsText);
  if (algorithm !== ALGORITHM || !saltText || !hashText || !Number.isInteger(iterations) || iterations < 1) {
    return { ok: false, needsRehash: false };
  }
  const expected = fromBase64(hashText);
  const actual = await derive(
    password,
    pepper,
    fromBase64(saltText),
    Math.min(iterations, MAX_PBKDF2_ITERATIONS),
  );
  const ok = iterations <= MAX_PBKDF2_ITERATIONS && constantTimeEqual(actual, expected);
  return { ok, needsRehash: ok && iterations !== PBKDF2_ITERATIONS };
}

/**
 * Spends the same work as a real check, so that an unknown email is answered as slowly as a wrong password
 * and the two cannot be told apart by timing.
 */
export async function burnPasswordCheck(password: string, pepper: string): Promise<void> {
  await derive(password, pepper, new Uint8Array(SALT_BYTES), PBKDF2_ITERATIONS);
}

async function derive(
  password: string,
  pepper: string,
  salt: Uint8Array,
  iterations: number,
): Promise<Uint8Array> {
  if (iterations > MAX_PBKDF2_ITERATIONS) {
    throw new RangeError(`PBKDF2 above ${MAX_PBKDF2_ITERATIONS} iterations fails on Workers in production`);
  }
  // The pepper keys an HMAC of the password, so a stolen database alone cannot be attacked offline.
  const pepperKey = await crypto.subtle.importKey(
    "raw",
    encoder.encode(pepper),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const peppered = await crypto.subtle.sign("HMAC", pepperKey, encoder.encode(password.normalize("NFKC")));
  const key = await crypto.subtle.importKey("raw", peppered, "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations },
    key,
    HASH_BITS,
  );
  return new Uint8Array(bits);
}
