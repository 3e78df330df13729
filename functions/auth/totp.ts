// The TOTP second factor (RFC 6238) and its recovery codes: secrets, enrolment URI and QR code, verification
// with replay refusal. Pure functions; the database side is db/two-factor.ts.
import { Secret, TOTP } from "otpauth";
import { renderSVG } from "uqr";
import { sha256Hex } from "./secrets.ts";

// What every authenticator app accepts: Google Authenticator ignores any other algorithm, length or period.
const ALGORITHM = "SHA1";
const DIGITS = 6;
const PERIOD_SECONDS = 30;
/** Steps either side of the current one that are still accepted, for clock drift and typing time. */
const WINDOW = 1;
const SECRET_BYTES = 20;

export const RECOVERY_CODE_COUNT = 10;
// Crockford's base32: no i, l, o or u, so a code read aloud or copied by hand is not misread; 32 symbols give
// 5 bits each, so 12 symbols are 60 bits.
const RECOVERY_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const RECOVERY_GROUPS = 3;
const RECOVERY_GROUP_LENGTH = 4;

export type TotpCheck = { ok: true; step: number } | { ok: false; reason: "invalid" | "replayed" };

/** A new shared secret, base32 (what the URI carries and what the user may type in by hand). */
export function generateTotpSecret(): string {
  return new Secret({ size: SECRET_BYTES }).base32;
}

export function totpEnrolment(
  secret: string,
  account: string,
  issuer = "Edge CRM",
): { secret: string; uri: string; qrSvg: string } {
  const uri = totpFor(secret, { issuer, label: account }).toString();
  // A quiet zone of 4 modules is what the QR standard asks for; scanners misread codes drawn without one.
  const qrSvg = renderSVG(uri, { ecc: "M", border: 4 });
  return { secret, uri, qrSvg };
}

/**
 * Checks a code against the current step and one step either side. The step is returned so the caller can
 * record it (db/two-factor.ts `recordTotpStep`): a code is accepted once, and never after a newer one.
 */
export function verifyTotp(
  secret: string,
  code: string,
  lastUsedStep: number | null,
  now = Date.now(),
): TotpCheck {
  const token = code.replace(/\s+/g, "");
  if (!/^\d+$/.test(token) || token.length !== DIGITS) return { ok: false, reason: "invalid" };
  // The library compares in constant time; it stops at the first step that matches, which tells nothing
  // about the secret.
  const delta = totpFor(secret).validate({ token, timestamp: now, window: WINDOW });
  if (delta === null) return { ok: false, reason: "invalid" };
  const step = TOTP.counter({ period: PERIOD_SECONDS, timestamp: now }) + delta;
  if (lastUsedStep !== null && step <= lastUsedStep) return { ok: false, reason: "replayed" };
  return { ok: true, step };
}

/** Ten single-use codes, `xxxx-xxxx-xxxx`, shown once; only their hashes are stored. */
export function generateRecoveryCodes(): string[] {
  const codes = new Set<string>();
  // A repeat is practically impossible at 60 bits, but two equal codes would collide in the primary key.
  while (codes.size < RECOVERY_CODE_COUNT) codes.add(randomRecoveryCode());
  return [...codes];
}

/**
 * SHA-256 (hex) of the normalised code. A fast hash is enough: the codes are random, not chosen by people.
 * Normalising lets people type a code in any case, with or without dashes and spaces, and with the letters
 * o, i and l that Crockford's alphabet reads as 0, 1 and 1.
 */
export function hashRecoveryCode(code: string): Promise<string> {
  return sha256Hex(normaliseRecoveryCode(code));
}

function normaliseRecoveryCode(code: string): string {
  return code
    .toLowerCase()
    .replace(/[\s-]+/g, "")
    .replace(/o/g, "0")
    .replace(/[il]/g, "1");
}

function randomRecoveryCode(): string {
  const length = RECOVERY_GROUPS * RECOVERY_GROUP_LENGTH;
  // Each byte keeps its low 5 bits: 256 is a multiple of 32, so every symbol is equally likely.
  const symbols = Array.from(crypto.getRandomValues(new Uint8Array(length)), (byte) =>
    RECOVERY_ALPHABET.charAt(byte & 31),
  );
  const groups: string[] = [];
  for (let i = 0; i < length; i += RECOVERY_GROUP_LENGTH) {
    groups.push(symbols.slice(i, i + RECOVERY_GROUP_LENGTH).join(""));
  }
  return groups.join("-");
}

function totpFor(secret: string, labels: { issuer?: string; label?: string } = {}): TOTP {
  return new TOTP({
    ...labels,
    secret: Secret.fromBase32(secret),
    algorithm: ALGORITHM,
    digits: DIGITS,
    period: PERIOD_SECONDS,
  });
}
