// Standard Webhooks signatures (https://www.standardwebhooks.com): `v1,` and the base64 HMAC-SHA256 of
// `<webhook-id>.<webhook-timestamp>.<body>` under the secret's bytes; during a rotation one signature per secret,
// separated by spaces. Signed with WebCrypto (native, nothing added to the bundle); the tests check every
// signature with the reference `standardwebhooks` library, an implementation independent of this one.

export const SECRET_PREFIX = "whsec_";
/** 32 random bytes: the spec asks for 24 to 64. */
const SECRET_BYTES = 32;

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** A new secret: `whsec_` and the base64 of 32 random bytes, as Standard Webhooks writes them. */
export function generateSecret(): string {
  return SECRET_PREFIX + toBase64(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)));
}

/** The key bytes of a `whsec_…` secret (or of a bare base64 one); throws on anything else. */
function secretBytes(secret: string): Uint8Array {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const bytes = Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0));
  if (bytes.length === 0) throw new Error("A webhook secret cannot be empty");
  return bytes;
}

const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", secretBytes(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
    ]);
    // A few secrets are in use at a time; the cache only saves re-importing them delivery after delivery.
    if (keys.size > 100) keys.clear();
    keys.set(secret, key);
  }
  return key;
}

/** One signature, `v1,<base64>`, of the message id, the timestamp (epoch seconds) and the exact body. */
export async function sign(secret: string, id: string, timestamp: number, body: string): Promise<string> {
  const signed = await crypto.subtle.sign(
    "HMAC",
    await hmacKey(secret),
    new TextEncoder().encode(`${id}.${timestamp}.${body}`),
  );
  return `v1,${toBase64(new Uint8Array(signed))}`;
}

/** The `webhook-signature` header: one signature per secret (the newest first), space-separated. */
export async function signatureHeader(
  secrets: readonly string[],
  id: string,
  timestamp: number,
  body: string,
): Promise<string> {
  const signatures = await Promise.all(secrets.map((secret) => sign(secret, id, timestamp, body)));
  return signatures.join(" ");
}

export interface SignedMessage {
  /** The message id: the same on every retry of one message, so receivers can drop duplicates. */
  id: string;
  /** When this attempt is made (not when the event happened): receivers check it against their clock. */
  at: Date | number;
  body: string;
  /** The current secret first; during a rotation the previous one too. */
  secrets: readonly string[];
}

/** The three Standard Webhooks headers for one attempt. */
export async function standardWebhookHeaders(message: SignedMessage): Promise<Record<string, string>> {
  const ms = typeof message.at === "number" ? message.at : message.at.getTime();
  const timestamp = Math.floor(ms / 1000);
  return {
    "webhook-id": message.id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": await signatureHeader(message.secrets, message.id, timestamp, message.body),
  };
}
