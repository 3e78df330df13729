// Parses and checks Hrana-over-HTTP JSON request bodies (pipeline and cursor) into typed requests, so a
// malformed body is refused with a 400 before any statement of it runs.

import { decodeValue, type SqlValue } from "./codec.ts";
import { ProtocolError } from "./errors.ts";

export interface NamedArg {
  name: string;
  value: SqlValue;
}

export interface Stmt {
  sql: string | undefined;
  sqlId: number | undefined;
  args: SqlValue[];
  namedArgs: NamedArg[];
  wantRows: boolean;
}

export type BatchCond =
  | { type: "ok"; step: number }
  | { type: "error"; step: number }
  | { type: "not"; cond: BatchCond }
  | { type: "and"; conds: BatchCond[] }
  | { type: "or"; conds: BatchCond[] }
  | { type: "is_autocommit" };

export interface BatchStep {
  condition: BatchCond | undefined;
  stmt: Stmt;
}

export interface Batch {
  steps: BatchStep[];
}

/** SQL given inline or by the id of a text stored earlier on the stream. */
export interface SqlRef {
  sql: string | undefined;
  sqlId: number | undefined;
}

export type StreamRequest =
  | { type: "close" }
  | { type: "execute"; stmt: Stmt }
  | { type: "batch"; batch: Batch }
  | ({ type: "sequence" } & SqlRef)
  | ({ type: "describe" } & SqlRef)
  | { type: "store_sql"; sqlId: number; sql: string }
  | { type: "close_sql"; sqlId: number }
  | { type: "get_autocommit" };

export interface PipelineBody {
  baton: string | null;
  requests: StreamRequest[];
}

export interface CursorBody {
  baton: string | null;
  batch: Batch;
}

type Json = Record<string, unknown>;

const fail = (message: string): never => {
  throw new ProtocolError(400, message);
};

function object(value: unknown, path: string): Json {
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail(`${path} must be an object`);
  return value as Json;
}

function array(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) fail(`${path} must be an array`);
  return value as unknown[];
}

/** Fields the spec marks optional may be absent or null. */
function optional<T>(value: unknown, read: (v: unknown) => T): T | undefined {
  return value === undefined || value === null ? undefined : read(value);
}

function string(value: unknown, path: string): string {
  if (typeof value !== "string") fail(`${path} must be a string`);
  return value as string;
}

function int32(value: unknown, path: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31) {
    fail(`${path} must be a 32-bit integer`);
  }
  return value as number;
}

function boolean(value: unknown, path: string): boolean {
  if (typeof value !== "boolean") fail(`${path} must be a boolean`);
  return value as boolean;
}

function sqlRef(json: Json, path: string): SqlRef {
  const sql = optional(json.sql, (v) => string(v, `${path}.sql`));
  const sqlId = optional(json.sql_id, (v) => int32(v, `${path}.sql_id`));
  if ((sql === undefined) === (sqlId === undefined)) fail(`${path} needs exactly one of "sql" and "sql_id"`);
  return { sql, sqlId };
}

function parseStmt(value: unknown, path: string): Stmt {
  const json = object(value, path);
  const args = (optional(json.args, (v) => array(v, `${path}.args`)) ?? []).map((arg, i) =>
    decodeValue(arg, `${path}.args[${i}]`),
  );
  const namedArgs = (optional(json.named_args, (v) => array(v, `${path}.named_args`)) ?? []).map((arg, i) => {
    const named = object(arg, `${path}.named_args[${i}]`);
    return {
      name: string(named.name, `${path}.named_args[${i}].name`),
      value: decodeValue(named.value, `${path}.named_args[${i}].value`),
    };
  });
  const wantRows = optional(json.want_rows, (v) => boolean(v, `${path}.want_rows`)) ?? true;
  return { ...sqlRef(json, path), args, namedArgs, wantRows };
}

// Conditions nest; a bound keeps a hostile body from exhausting the stack.
const MAX_COND_DEPTH = 100;

/** A condition may only look at steps before its own: the spec leaves later steps meaningless. */
function parseCond(value: unknown, path: string, stepIndex: number, depth = 0): BatchCond {
  if (depth > MAX_COND_DEPTH) fail(`${path} nests conditions more than ${MAX_COND_DEPTH} deep`);
  const json = object(value, path);
  switch (json.type) {
    case "ok":
    case "error": {
      const step = int32(json.step, `${path}.step`);
      if (step < 0 || step >= stepIndex) fail(`${path}.step must refer to an earlier step, got ${step}`);
      return { type: json.type, step };
    }
    case "not":
      return { type: "not", cond: parseCond(json.cond, `${path}.cond`, stepIndex, depth + 1) };
    case "and":
    case "or":
      return {
        type: json.type,
        conds: array(json.conds, `${path}.conds`).map((c, i) =>
          parseCond(c, `${path}.conds[${i}]`, stepIndex, depth + 1),
        ),
      };
    case "is_autocommit":
      return { type: "is_autocommit" };
    default:
      return fail(`${path}.type is not a known batch condition: ${JSON.stringify(json.type)}`);
  }
}

function parseBatch(value: unknown, path: string): Batch {
  const json = object(value, path);
  const steps = array(json.steps, `${path}.steps`).map((stepValue, i) => {
    const step = object(stepValue, `${path}.steps[${i}]`);
    return {
      condition: optional(step.condition, (c) => parseCond(c, `${path}.steps[${i}].condition`, i)),
      stmt: parseStmt(step.stmt, `${path}.steps[${i}].stmt`),
    };
  });
  return { steps };
}

function parseRequest(value: unknown, path: string): StreamRequest {
  const json = object(value, path);
  switch (json.type) {
    case "close":
    case "get_autocommit":
      return { type: json.type };
    case "execute":
      return { type: "execute", stmt: parseStmt(json.stmt, `${path}.stmt`) };
    case "batch":
      return { type: "batch", batch: parseBatch(json.batch, `${path}.batch`) };
    case "sequence":
    case "describe":
      return { type: json.type, ...sqlRef(json, path) };
    case "store_sql":
      return {
        type: "store_sql",
        sqlId: int32(json.sql_id, `${path}.sql_id`),
        sql: string(json.sql, `${path}.sql`),
      };
    case "close_sql":
      return { type: "close_sql", sqlId: int32(json.sql_id, `${path}.sql_id`) };
    default:
      return fail(`${path}.type is not a known request type: ${JSON.stringify(json.type)}`);
  }
}

function parseBaton(json: Json): string | null {
  return optional(json.baton, (v) => string(v, "baton")) ?? null;
}

/** The baton of a body that may fail to parse, so the stream it names can still be closed. */
export function peekBaton(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null || !("baton" in body)) return undefined;
  return typeof body.baton === "string" ? body.baton : undefined;
}

export function parsePipelineBody(body: unknown): PipelineBody {
  const json = object(body, "body");
  const requests = array(json.requests, "requests").map((r, i) => parseRequest(r, `requests[${i}]`));
  return { baton: parseBaton(json), requests };
}

export function parseCursorBody(body: unknown): CursorBody {
  const json = object(body, "body");
  return { baton: parseBaton(json), batch: parseBatch(json.batch, "batch") };
}
