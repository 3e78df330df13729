// `npm run db:migrate`: migrates the database named by LIBSQL_URL (and LIBSQL_AUTH_TOKEN), e.g. Turso before a deploy.
import { migrateDatabase } from "./migrate.ts";

const url = process.env.LIBSQL_URL;
if (!url) {
  console.error(
    "LIBSQL_URL is not set. Example: LIBSQL_URL=https://<db>-<org>.turso.io LIBSQL_AUTH_TOKEN=… npm run db:migrate",
  );
  process.exit(1);
}
try {
  await migrateDatabase({ url, authToken: process.env.LIBSQL_AUTH_TOKEN });
  console.log(`Migrations applied to ${new URL(url).host}`);
} catch (error) {
  console.error(`Migration failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
