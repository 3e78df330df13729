// The two kinds of failure the server reports: protocol errors end the HTTP request with a 4xx, statement
// errors become a Hrana `error` result (or a batch step error) and leave the stream usable.

/** The request itself is wrong (bad JSON, bad baton, unknown request type): answered with an HTTP error. */
export class ProtocolError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, message: string, code = "PROTO_ERROR") {
    super(message);
    this.name = "ProtocolError";
    this.status = status;
    this.code = code;
  }
}

/** A statement or stream request failed; `code` is what the client raises as LibsqlError.code. */
export class StatementError extends Error {
  readonly code: string;

  constructor(message: string, code: string) {
    super(message);
    this.name = "StatementError";
    this.code = code;
  }

  toJson(): { message: string; code: string } {
    return { message: this.message, code: this.code };
  }
}

/** Turns whatever the libsql binding threw into a StatementError carrying the SQLite code. */
export function toStatementError(error: unknown): StatementError {
  if (error instanceof StatementError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code =
    typeof error === "object" && error !== null && "code" in error && typeof error.code === "string"
      ? error.code
      : "SQLITE_ERROR";
  return new StatementError(message, code);
}
