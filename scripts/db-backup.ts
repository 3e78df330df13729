// `npm run db:backup [-- --out FILE] [--data DIR] [--namespace NAME]`: a consistent copy of the local database
// while it runs. The local libSQL server keeps each namespace in <data>/db/<namespace>.db in WAL mode, so a
// second connection here reads one snapshot of it, and SQLite's VACUUM INTO writes that snapshot to a new,
// compact file without stopping the server. The copy is checked (integrity_check) before it is reported.
// Production: use Turso's point-in-time restore instead (README, Backups).
import { existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import Libsql from "libsql";

export interface BackupOptions {
  /** The data directory of `npm start` (CRM_DATA_DIR, default .data). */
  dataDir: string;
  namespace?: string;
  /** The file to write; by default <data>/backups/crm-<namespace>-<time>.db. */
  out?: string;
  now?: Date;
}

export function databaseFile(dataDir: string, namespace = "default"): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(namespace)) throw new Error(`Not a namespace name: ${namespace}`);
  return resolve(dataDir, "db", `${namespace}.db`);
}

/** Checks a database file: SQLite's integrity check passes and it holds the CRM's migrations. */
export function checkDatabaseFile(file: string): { tables: number; migrations: number } {
  const db = new Libsql(file, { readonly: true });
  // The first column of the first row.
  const value = (query: string) =>
    Object.values((db.prepare(query).get() ?? {}) as Record<string, unknown>)[0];
  try {
    const integrity = value("PRAGMA integrity_check");
    if (integrity !== "ok") throw new Error(`${file} fails SQLite's integrity check: ${String(integrity)}`);
    const tables = Number(value("select count(*) from sqlite_schema where type = 'table'"));
    const hasMigrations =
      value("select count(*) from sqlite_schema where name = '__drizzle_migrations'") === 1;
    if (!hasMigrations) throw new Error(`${file} is not a CRM database: it has no migrations table.`);
    const migrations = Number(value("select count(*) from __drizzle_migrations"));
    return { tables, migrations };
  } finally {
    db.close();
  }
}

export function backupDatabase(options: BackupOptions): {
  file: string;
  bytes: number;
  tables: number;
  migrations: number;
} {
  const source = databaseFile(options.dataDir, options.namespace);
  if (!existsSync(source))
    throw new Error(`No database at ${source}: run \`npm start\` once first, or pass --data.`);
  const stamp = (options.now ?? new Date()).toISOString().replace(/[:.]/g, "-");
  const file = resolve(
    options.out ?? join(options.dataDir, "backups", `crm-${options.namespace ?? "default"}-${stamp}.db`),
  );
  if (existsSync(file)) throw new Error(`${file} exists already: choose another --out.`);
  mkdirSync(dirname(file), { recursive: true });
  const db = new Libsql(source);
  try {
    // Wait a little for a writer that holds the lock; the copy itself reads one snapshot.
    db.exec("PRAGMA busy_timeout = 5000");
    db.prepare("VACUUM INTO ?").run([file]);
  } finally {
    db.close();
  }
  return { file, bytes: statSync(file).size, ...checkDatabaseFile(file) };
}

function main() {
  const { values } = parseArgs({
    options: { out: { type: "string" }, data: { type: "string" }, namespace: { type: "string" } },
    strict: true,
  });
  const dataDir = resolve(values.data ?? process.env.CRM_DATA_DIR ?? ".data");
  const result = backupDatabase({ dataDir, namespace: values.namespace, out: values.out });
  process.stdout.write(
    `Backed up ${databaseFile(dataDir, values.namespace)} to ${result.file} (${(result.bytes / 1024).toFixed(0)} KB, ` +
      `${result.tables} tables, ${result.migrations} migrations applied). Restore it with npm run db:restore -- ${result.file}\n`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    main();
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
