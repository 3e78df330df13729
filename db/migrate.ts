// Applies the committed migrations in db/migrations: the one migrate step for npm start, tests and deploys.
import { fileURLToPath } from "node:url";
import { migrate } from "drizzle-orm/libsql/migrator";
import { createDb } from "./client.ts";

export const MIGRATIONS_FOLDER = fileURLToPath(new URL("./migrations", import.meta.url));

export async function migrateDatabase(config: {
  url: string;
  authToken?: string | undefined;
}): Promise<void> {
  const db = createDb({ ...config, timeoutMs: 120_000 });
  try {
    await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
  } finally {
    db.$client.close();
  }
}
