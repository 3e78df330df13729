// The database client: drizzle over @libsql/client/web, the same HTTP client for Turso and the local server.
import { type Client, createClient } from "@libsql/client/web";
import type { LibSQLDatabase } from "drizzle-orm/libsql";
import { drizzle } from "drizzle-orm/libsql/web";
import { DatabaseUnavailableError } from "./errors.ts";
import * as schema from "./schema/index.ts";

export type Database = LibSQLDatabase<typeof schema> & { $client: Client };

export interface DatabaseConfig {
  url: string;
  authToken?: string | undefined;
  /** Every request to the database gives up after this long, so an unreachable database fails fast. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;

export function createDb(config: DatabaseConfig): Database {
  const timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const client = createClient({
    url: withTrailingSlash(config.url),
    authToken: config.authToken,
    fetch: async (request: Request) => {
      try {
        return await fetch(request, { signal: AbortSignal.timeout(timeoutMs) });
      } catch (error) {
        throw new DatabaseUnavailableError("The database did not answer", { cause: error });
      }
    },
  });
  return drizzle(client, { schema, casing: "snake_case" });
}

/**
 * The client resolves its endpoints ("v2/pipeline") relative to the URL, so a URL with a path (a namespace
 * of the local server, a proxy prefix) must end with a slash or the last path segment is lost.
 */
function withTrailingSlash(url: string): string {
  const parsed = new URL(url);
  if (parsed.pathname !== "/" && !parsed.pathname.endsWith("/")) parsed.pathname += "/";
  return parsed.toString();
}
