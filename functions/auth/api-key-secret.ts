// Makes an API key: shown to its creator once, stored as a SHA-256 hash with a visible prefix.
import { API_KEY_PREFIX } from "../../db/api-key-format.ts";
import { randomToken, sha256Hex } from "./secrets.ts";

export interface NewApiKey {
  key: string;
  prefix: string;
  hash: string;
}

export async function generateApiKey(): Promise<NewApiKey> {
  const visible = randomToken(6).replaceAll(/[-_]/g, "x").slice(0, 8);
  const key = `${API_KEY_PREFIX}${visible}_${randomToken(32)}`;
  return { key, prefix: `${API_KEY_PREFIX}${visible}`, hash: await sha256Hex(key) };
}
