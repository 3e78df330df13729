// One libSQL database file behind the synchronous `libsql` binding, with what the Hrana layer needs on top:
// one-statement execution with exact change counts, describe, sequences, the autocommit state and copies.

import Libsql from "libsql";
import { fromBinding, type SqlValue } from "./codec.ts";
import { StatementError, toStatementError } from "./errors.ts";
import type { NamedArg } from "./protocol.ts";
import { parameterNames, type SqlStatement, splitStatements } from "./sql-text.ts";

type Connection = InstanceType<typeof Libsql>;
type Prepared = ReturnType<Connection["prepare"]>;

export interface Column {
  name: string;
  decltype: string | null;
}

export interface StatementResult {
  cols: Column[];
  rows: SqlValue[][];
  affectedRowCount: number;
  lastInsertRowid: bigint | null;
}

export interface DescribeResult {
  params: Array<{ name: string | null }>;
  cols: Column[];
  isExplain: boolean;
  isReadonly: boolean;
}

// Read-only statements by leading keyword, for when the build lacks the sqlite_stmt table (see describe()).
const READ_ONLY_HEADS = new Set([
  "SELECT",
  "VALUES",
  "EXPLAIN",
  "BEGIN",
  "COMMIT",
  "END",
  "ROLLBACK",
  "SAVEPOINT",
  "RELEASE",
]);

// Waiting on a lock held by another process (a SQLite shell, drizzle studio) blocks the event loop, so the
// wait is kept short; the server's own streams never contend on SQLite locks (they share one connection).
const BUSY_TIMEOUT_MS = 1000;

export class SqliteEngine {
  readonly #db: Connection;
  readonly #totalChanges: Prepared;
  readonly #changeInfo: Prepared;
  readonly #foreignKeys: Prepared;

  private constructor(db: Connection) {
    this.#db = db;
    this.#totalChanges = db.prepare("SELECT total_changes()").raw(true);
    this.#changeInfo = db.prepare("SELECT total_changes(), changes(), last_insert_rowid()").raw(true);
    this.#foreignKeys = db.prepare("PRAGMA foreign_keys").raw(true);
  }

  static open(file: string): SqliteEngine {
    const db = new Libsql(file);
    db.defaultSafeIntegers(true);
    db.exec(
      `PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`,
    );
    return new SqliteEngine(db);
  }

  /** True inside an explicit transaction (the connection is not in autocommit). */
  get inTransaction(): boolean {
    return this.#db.inTransaction;
  }

  get foreignKeys(): boolean {
    return this.#row(this.#foreignKeys)[0] === 1n;
  }

  set foreignKeys(on: boolean) {
    this.#db.exec(`PRAGMA foreign_keys = ${on ? "ON" : "OFF"}`);
  }

  /** Runs exactly one statement. Change counts come from total_changes() so that DDL, SELECT and
   *  RETURNING statements report what they changed, not what an earlier statement did. */
  execute(sql: string, args: SqlValue[], namedArgs: NamedArg[], wantRows: boolean): StatementResult {
    const statement = single(sql);
    const bindings = this.#bindings(statement, args, namedArgs);
    const before = this.#row(this.#totalChanges)[0];
    let cols: Column[] = [];
    let rows: SqlValue[][] = [];
    try {
      const prepared = this.#db.prepare(sql);
      if (prepared.reader) {
        cols = prepared.columns().map((c) => ({ name: c.name, decltype: c.type }));
        const raw = prepared.raw(true).all(bindings);
        if (wantRows) rows = raw.map((row) => (row as unknown[]).map(fromBinding));
      } else {
        prepared.run(bindings);
      }
    } catch (error) {
      throw toStatementError(error);
    }
    const [total, changes, lastRowid] = this.#row(this.#changeInfo);
    const changed = total !== before;
    return {
      cols,
      rows,
      affectedRowCount: changed ? Number(changes) : 0,
      lastInsertRowid: changed && typeof lastRowid === "bigint" ? lastRowid : null,
    };
  }

  /** Runs every statement of `sql`, stopping at the first error. Returns how many statements it holds. */
  executeSequence(sql: string): number {
    try {
      this.#db.exec(sql);
    } catch (error) {
      throw toStatementError(error);
    }
    return splitStatements(sql).length;
  }

  describe(sql: string): DescribeResult {
    const statement = single(sql);
    try {
      const prepared = this.#db.prepare(statement.text);
      const cols = prepared.columns().map((c) => ({ name: c.name, decltype: c.type }));
      return {
        params: parameterNames(statement).map((name) => ({ name })),
        cols,
        isExplain: statement.explainEnd > 0,
        isReadonly: this.#isReadonly(statement, prepared),
      };
    } catch (error) {
      throw toStatementError(error);
    }
  }

  /**
   * sqlite3_stmt_readonly(), which the binding does not expose, read from the sqlite_stmt table of live
   * statements (`prepared` is one of them until it is collected, hence the argument).
   */
  #isReadonly(statement: SqlStatement, prepared: Prepared): boolean {
    try {
      const [row] = this.#db
        .prepare("SELECT ro FROM sqlite_stmt WHERE sql = ? LIMIT 1")
        .raw(true)
        .all([statement.text]);
      void prepared.reader; // used after the query, so it cannot be collected (and unlisted) before it
      if (Array.isArray(row)) return row[0] === 1n;
    } catch {
      // No sqlite_stmt in this build: fall back to the leading keyword.
    }
    return READ_ONLY_HEADS.has(statement.head[0] ?? "");
  }

  rollback(): void {
    if (this.#db.inTransaction) this.#db.exec("ROLLBACK");
  }

  /** Writes a consistent copy of the database to a new file (the caller holds the namespace lock). */
  copyTo(file: string): void {
    this.#db.prepare("VACUUM INTO ?").run([file]);
  }

  close(): void {
    this.rollback();
    this.#db.close();
  }

  #row(statement: Prepared): unknown[] {
    const [row] = statement.all([]);
    return Array.isArray(row) ? row : [];
  }

  /**
   * Positional arguments bind by index and named ones by name, with or without their prefix (":", "@",
   * "$"), as the Hrana spec allows. The binding takes either an array or an object, so statements mixing
   * both get an array built from the statement's parameter names.
   */
  #bindings(
    statement: SqlStatement,
    args: SqlValue[],
    namedArgs: NamedArg[],
  ): SqlValue[] | Record<string, SqlValue> {
    for (const value of [...args, ...namedArgs.map((a) => a.value)]) {
      if (typeof value === "string" && value.includes("\u0000")) {
        throw new StatementError(
          "Text values containing NUL characters are not supported by the local libSQL server (the binding would truncate them)",
          "ARGS_INVALID",
        );
      }
    }
    if (namedArgs.length === 0) return args;
    if (args.length === 0) {
      return Object.fromEntries(namedArgs.map((a) => [stripPrefix(a.name), a.value]));
    }
    const names = parameterNames(statement);
    const bound: SqlValue[] = Array.from(
      { length: Math.max(names.length, args.length) },
      (_, i) => args[i] ?? null,
    );
    for (const { name, value } of namedArgs) {
      const wanted = stripPrefix(name);
      names.forEach((candidate, i) => {
        if (candidate !== null && stripPrefix(candidate) === wanted) bound[i] = value;
      });
    }
    return bound;
  }
}

function stripPrefix(name: string): string {
  return /^[:@$]/.test(name) ? name.slice(1) : name;
}

function single(sql: string): SqlStatement {
  const [first, ...rest] = splitStatements(sql);
  if (first === undefined) throw new StatementError("The SQL text contains no statement", "SQL_NO_STATEMENT");
  if (rest.length > 0) {
    throw new StatementError(
      "The SQL text contains more than one statement; use a batch or a sequence for several",
      "SQL_MANY_STATEMENTS",
    );
  }
  return first;
}
