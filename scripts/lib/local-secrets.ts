// Secrets for the local stack: made once with real randomness and kept in the data folder, so a restart
// keeps sessions and password hashes valid. Production sets its own with `wrangler secret put`.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface LocalSecrets {
  PASSWORD_PEPPER: string;
  SESSION_SIGNING_KEYS: string;
  /** The first admin's password, when none was given in CRM_ADMIN_PASSWORD. */
  ADMIN_PASSWORD: string;
}

export function loadLocalSecrets(dataDir: string): LocalSecrets {
  const path = join(dataDir, "secrets.json");
  if (existsSync(path)) return JSON.parse(readFileSync(path, "utf8")) as LocalSecrets;
  const secrets: LocalSecrets = {
    PASSWORD_PEPPER: randomBytes(32).toString("base64url"),
    SESSION_SIGNING_KEYS: `local-1:${randomBytes(32).toString("base64url")}`,
    ADMIN_PASSWORD: randomBytes(12).toString("base64url"),
  };
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(path, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  return secrets;
}
