// Executes Hrana stream requests (execute, batch, sequence, describe, store_sql, close_sql, close,
// get_autocommit) for one pipeline or cursor request on a namespace.
//
// Concurrency design. The `libsql` binding is synchronous, so a statement waiting on a SQLite lock would
// stall the whole event loop, and the stream holding that lock could then never send its COMMIT. So:
// - Each namespace has ONE connection, shared by all its streams. SQLite locks are never contended inside
//   the server, and every pipeline runs start to end without an await, so it is atomic to other streams.
// - A stream that ends a pipeline inside a transaction (connection not in autocommit) keeps the namespace's
//   OwnerLock; other streams' pipelines wait for it asynchronously, in arrival order. The lock is released
//   when that stream's pipeline ends in autocommit (COMMIT/ROLLBACK), when it closes, or when it expires
//   after streamIdleMs idle, which rolls the transaction back. So nothing waits forever on a vanished client.
// - Per-stream connection state that clients use (PRAGMA foreign_keys) is restored at the start of each
//   turn, so one stream switching foreign keys off does not leak into others.
// The cost versus sqld: while one stream has a transaction open, other streams of that namespace wait even
// to read. Request handlers never hold transactions open (one round trip per request), so it rarely shows.

import { encodeValue, type WireValue } from "./codec.ts";
import type { DescribeResult, StatementResult } from "./database.ts";
import { ProtocolError, StatementError, toStatementError } from "./errors.ts";
import type { Namespace } from "./namespaces.ts";
import type { Batch, BatchCond, CursorBody, PipelineBody, SqlRef, Stmt, StreamRequest } from "./protocol.ts";
import { closeStream, type Stream, type StreamRegistry } from "./streams.ts";

// A client may store SQL texts without bound; this keeps a forgetful one from growing memory forever.
const MAX_STORED_SQL = 1000;

interface ErrorJson {
  message: string;
  code: string;
}

interface StmtResultJson {
  cols: Array<{ name: string; decltype: string | null }>;
  rows: WireValue[][];
  affected_row_count: number;
  last_insert_rowid: string | null;
}

type StreamResponseJson =
  | { type: "close" | "sequence" | "store_sql" | "close_sql" }
  | { type: "execute"; result: StmtResultJson }
  | {
      type: "batch";
      result: { step_results: Array<StmtResultJson | null>; step_errors: Array<ErrorJson | null> };
    }
  | { type: "describe"; result: DescribeResultJson }
  | { type: "get_autocommit"; is_autocommit: boolean };

interface DescribeResultJson {
  params: Array<{ name: string | null }>;
  cols: Array<{ name: string; decltype: string | null }>;
  is_explain: boolean;
  is_readonly: boolean;
}

type StreamResultJson = { type: "ok"; response: StreamResponseJson } | { type: "error"; error: ErrorJson };

export interface PipelineResponseJson {
  baton: string | null;
  base_url: null;
  results: StreamResultJson[];
}

export type CursorEntryJson =
  | { type: "step_begin"; step: number; cols: StmtResultJson["cols"] }
  | { type: "row"; row: WireValue[] }
  | { type: "step_end"; affected_row_count: number; last_insert_rowid: string | null }
  | { type: "step_error"; step: number; error: ErrorJson };

type StepOutcome =
  | { kind: "skipped" }
  | { kind: "ok"; result: StatementResult }
  | { kind: "error"; error: StatementError };

export async function runPipeline(
  streams: StreamRegistry,
  namespace: Namespace,
  body: PipelineBody,
  signal: AbortSignal,
): Promise<PipelineResponseJson> {
  const { baton, value } = await withStream(streams, namespace, body.baton, signal, (stream) =>
    body.requests.map((request) => runRequest(stream, request)),
  );
  return { baton, base_url: null, results: value };
}

/** The v3 cursor: the same batch, its results sent as a list of entries rather than one object. */
export async function runCursor(
  streams: StreamRegistry,
  namespace: Namespace,
  body: CursorBody,
  signal: AbortSignal,
): Promise<{ baton: string | null; entries: CursorEntryJson[] }> {
  const { baton, value } = await withStream(streams, namespace, body.baton, signal, (stream) =>
    runBatch(stream, body.batch).flatMap((outcome, step): CursorEntryJson[] => {
      if (outcome.kind === "skipped") return [];
      if (outcome.kind === "error") return [{ type: "step_error", step, error: outcome.error.toJson() }];
      const { cols, rows, affected_row_count, last_insert_rowid } = stmtResultJson(outcome.result);
      return [
        { type: "step_begin", step, cols },
        ...rows.map((row) => ({ type: "row" as const, row })),
        { type: "step_end", affected_row_count, last_insert_rowid },
      ];
    }),
  );
  return { baton, entries: value };
}

/**
 * One turn of a stream: claim it, take the connection, run synchronously, then park it or let it go. A
 * client that gave up while waiting for the connection (its fetch timed out) has dropped the stream, so
 * nothing is run for it: its writes would land unseen.
 */
async function withStream<T>(
  streams: StreamRegistry,
  namespace: Namespace,
  baton: string | null,
  signal: AbortSignal,
  run: (stream: Stream) => T,
): Promise<{ baton: string | null; value: T }> {
  const stream = baton === null ? streams.open(namespace) : streams.take(baton, namespace);
  try {
    await namespace.lock.acquire(stream);
    if (signal.aborted) {
      throw new ProtocolError(400, "The client closed the request before it ran", "CLIENT_CLOSED");
    }
  } catch (error) {
    closeStream(stream);
    throw error;
  }
  const { engine, lock } = namespace;
  let value: T;
  try {
    // The lock only changes hands in autocommit, so an open transaction here can only be this stream's.
    if (engine.inTransaction && !stream.holdsTransaction) engine.rollback();
    if (!engine.inTransaction && engine.foreignKeys !== stream.foreignKeys) {
      engine.foreignKeys = stream.foreignKeys;
    }
    value = run(stream);
  } catch (error) {
    closeStream(stream);
    throw error;
  }
  if (stream.closed) return { baton: null, value };
  stream.foreignKeys = engine.foreignKeys;
  stream.holdsTransaction = engine.inTransaction;
  if (!stream.holdsTransaction) lock.release(stream);
  return { baton: streams.park(stream), value };
}

function runRequest(stream: Stream, request: StreamRequest): StreamResultJson {
  if (stream.closed) {
    return { type: "error", error: { message: "The stream is closed", code: "STREAM_CLOSED" } };
  }
  try {
    return { type: "ok", response: respond(stream, request) };
  } catch (error) {
    return { type: "error", error: toStatementError(error).toJson() };
  }
}

function respond(stream: Stream, request: StreamRequest): StreamResponseJson {
  const { engine, counters } = stream.namespace;
  switch (request.type) {
    case "close":
      closeStream(stream);
      return { type: "close" };
    case "execute":
      return { type: "execute", result: stmtResultJson(runStmt(stream, request.stmt)) };
    case "batch": {
      const outcomes = runBatch(stream, request.batch);
      return {
        type: "batch",
        result: {
          step_results: outcomes.map((o) => (o.kind === "ok" ? stmtResultJson(o.result) : null)),
          step_errors: outcomes.map((o) => (o.kind === "error" ? o.error.toJson() : null)),
        },
      };
    }
    case "sequence":
      counters.statements += engine.executeSequence(sqlText(stream, request));
      return { type: "sequence" };
    case "describe":
      return { type: "describe", result: describeJson(engine.describe(sqlText(stream, request))) };
    case "store_sql":
      if (stream.sqls.has(request.sqlId)) {
        throw new StatementError(
          `SQL text id ${request.sqlId} is already in use on this stream`,
          "SQL_STORE_ID_IN_USE",
        );
      }
      if (stream.sqls.size >= MAX_STORED_SQL) {
        throw new StatementError(
          `A stream may store at most ${MAX_STORED_SQL} SQL texts`,
          "SQL_STORE_TOO_MANY",
        );
      }
      stream.sqls.set(request.sqlId, request.sql);
      return { type: "store_sql" };
    case "close_sql":
      stream.sqls.delete(request.sqlId);
      return { type: "close_sql" };
    case "get_autocommit":
      return { type: "get_autocommit", is_autocommit: !engine.inTransaction };
  }
}

function sqlText(stream: Stream, ref: SqlRef): string {
  if (ref.sql !== undefined) return ref.sql;
  const stored = ref.sqlId === undefined ? undefined : stream.sqls.get(ref.sqlId);
  if (stored === undefined)
    throw new StatementError(`No SQL text is stored with id ${ref.sqlId}`, "SQL_NOT_FOUND");
  return stored;
}

function runStmt(stream: Stream, stmt: Stmt): StatementResult {
  const { engine, counters } = stream.namespace;
  const sql = sqlText(stream, stmt);
  counters.statements++;
  return engine.execute(sql, stmt.args, stmt.namedArgs, stmt.wantRows);
}

function runBatch(stream: Stream, batch: Batch): StepOutcome[] {
  const outcomes: StepOutcome[] = [];
  for (const step of batch.steps) {
    if (step.condition !== undefined && !holds(step.condition, outcomes, stream)) {
      outcomes.push({ kind: "skipped" });
      continue;
    }
    try {
      outcomes.push({ kind: "ok", result: runStmt(stream, step.stmt) });
    } catch (error) {
      outcomes.push({ kind: "error", error: toStatementError(error) });
    }
  }
  return outcomes;
}

function holds(cond: BatchCond, outcomes: StepOutcome[], stream: Stream): boolean {
  switch (cond.type) {
    case "ok":
      return outcomes[cond.step]?.kind === "ok";
    case "error":
      return outcomes[cond.step]?.kind === "error";
    case "not":
      return !holds(cond.cond, outcomes, stream);
    case "and":
      return cond.conds.every((c) => holds(c, outcomes, stream));
    case "or":
      return cond.conds.some((c) => holds(c, outcomes, stream));
    case "is_autocommit":
      return !stream.namespace.engine.inTransaction;
  }
}

function stmtResultJson(result: StatementResult): StmtResultJson {
  return {
    cols: result.cols,
    rows: result.rows.map((row) => row.map(encodeValue)),
    affected_row_count: result.affectedRowCount,
    last_insert_rowid: result.lastInsertRowid === null ? null : result.lastInsertRowid.toString(),
  };
}

function describeJson(result: DescribeResult): DescribeResultJson {
  return {
    params: result.params,
    cols: result.cols,
    is_explain: result.isExplain,
    is_readonly: result.isReadonly,
  };
}
