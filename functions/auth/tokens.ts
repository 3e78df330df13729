// Access tokens: short-lived JWTs signed with jose, algorithm pinned, issuer and audience checked, and a `kid`
// naming the signing key, so a new key can be introduced while the old one still verifies.
import { errors, jwtVerify, SignJWT } from "jose";
import type { Role } from "../../db/schema/index.ts";
import { fromBase64 } from "./secrets.ts";

export const ACCESS_TOKEN_TTL_SECONDS = 10 * 60;
const ALGORITHM = "HS256";
const ISSUER = "edge-crm";
const AUDIENCE = "edge-crm-api";

export interface SigningKey {
  kid: string;
  secret: Uint8Array;
}

/**
 * `SESSION_SIGNING_KEYS` is `kid:base64url-secret[,kid:base64url-secret]`: the first key signs, every key
 * verifies. To rotate, put the new key first, and drop the old one after the access-token lifetime.
 */
export function parseSigningKeys(value: string): SigningKey[] {
  const keys = value.split(",").map((part) => {
    const [kid, secret] = part.trim().split(":");
    if (!kid || !secret) throw new Error("each signing key must be written kid:secret");
    const bytes = fromBase64(secret);
    if (bytes.length < 32) throw new Error(`signing key "${kid}" must have at least 32 bytes (base64url)`);
    return { kid, secret: bytes };
  });
  if (keys.length === 0) throw new Error("at least one signing key is needed");
  return keys;
}

export interface AccessClaims {
  userId: string;
  sessionId: string;
  role: Role;
}

export async function signAccessToken(
  claims: AccessClaims,
  keys: SigningKey[],
  now = Date.now(),
): Promise<string> {
  const [key] = keys;
  if (!key) throw new Error("no signing key");
  const iat = Math.floor(now / 1000);
  return new SignJWT({ sid: claims.sessionId, role: claims.role })
    .setProtectedHeader({ alg: ALGORITHM, kid: key.kid, typ: "JWT" })
    .setSubject(claims.userId)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ACCESS_TOKEN_TTL_SECONDS)
    .sign(key.secret);
}

export type VerifyResult = { ok: true; claims: AccessClaims } | { ok: false; reason: "expired" | "invalid" };

export async function verifyAccessToken(
  token: string,
  keys: SigningKey[],
  now = Date.now(),
): Promise<VerifyResult> {
  try {
    const { payload } = await jwtVerify(
      token,
      (header) => {
        const key = keys.find((k) => k.kid === header.kid);
        if (!key) throw new errors.JWSSignatureVerificationFailed("unknown kid");
        return key.secret;
      },
      {
        algorithms: [ALGORITHM],
        issuer: ISSUER,
        audience: AUDIENCE,
        currentDate: new Date(now),
        requiredClaims: ["exp", "sub"],
      },
    );
    const { sub, sid, role } = payload;
    if (typeof sub !== "string" || typeof sid !== "string" || typeof role !== "string") {
      return { ok: false, reason: "invalid" };
    }
    return { ok: true, claims: { userId: sub, sessionId: sid, role: role as Role } };
  } catch (error) {
    return { ok: false, reason: error instanceof errors.JWTExpired ? "expired" : "invalid" };
  }
}
