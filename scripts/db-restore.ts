// `npm run db:restore -- FILE [--data DIR] [--namespace NAME] [--port N]`: puts a backup made by db:backup
// back as the local database. The local server must be stopped (it holds the file open, and a file swapped
// under it would be corrupted): the restore refuses while something answers on its port. The backup is checked
// first, the current database is kept beside it as <namespace>.db.before-restore-<time>, and the new file is
// moved into place in one rename.
import { copyFileSync, existsSync, renameSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { checkDatabaseFile, databaseFile } from "./db-backup.ts";

export interface RestoreOptions {
  from: string;
  dataDir: string;
  namespace?: string;
  /** The local server's port (LIBSQL_PORT, default 8080): the restore refuses while it answers. */
  port?: number;
  now?: Date;
}

/** Whether something accepts connections on 127.0.0.1:port. */
export function portInUse(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      done(true);
    });
    socket.once("error", () => done(false));
  });
}

export async function restoreDatabase(
  options: RestoreOptions,
): Promise<{ file: string; previous: string | null }> {
  const from = resolve(options.from);
  if (!existsSync(from)) throw new Error(`No backup at ${from}.`);
  const port = options.port ?? 8080;
  if (await portInUse(port)) {
    throw new Error(
      `Something answers on port ${port}: stop \`npm start\` (or the libSQL server) before restoring.`,
    );
  }
  checkDatabaseFile(from);
  const file = databaseFile(options.dataDir, options.namespace);
  const staging = `${file}.restoring`;
  copyFileSync(from, staging);
  let previous: string | null = null;
  if (existsSync(file)) {
    const stamp = (options.now ?? new Date()).toISOString().replace(/[:.]/g, "-");
    previous = `${file}.before-restore-${stamp}`;
    renameSync(file, previous);
  }
  // The old file's write-ahead log belongs to it, not to the backup.
  for (const suffix of ["-wal", "-shm"]) {
    if (existsSync(`${file}${suffix}`)) {
      if (previous) renameSync(`${file}${suffix}`, `${previous}${suffix}`);
      else rmSync(`${file}${suffix}`);
    }
  }
  renameSync(staging, file);
  return { file, previous };
}

async function main() {
  const { values, positionals } = parseArgs({
    options: { data: { type: "string" }, namespace: { type: "string" }, port: { type: "string" } },
    allowPositionals: true,
    strict: true,
  });
  const from = positionals[0];
  if (!from)
    throw new Error("Usage: npm run db:restore -- <backup file> [--data DIR] [--namespace NAME] [--port N]");
  const dataDir = resolve(values.data ?? process.env.CRM_DATA_DIR ?? ".data");
  const port = Number(values.port ?? process.env.LIBSQL_PORT ?? 8080);
  const result = await restoreDatabase({ from, dataDir, namespace: values.namespace, port });
  process.stdout.write(
    `Restored ${resolve(from)} as ${result.file}.${result.previous ? ` The database it replaced is kept as ${result.previous}.` : ""}\n`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
