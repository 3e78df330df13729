// Typed errors thrown by data functions; the HTTP layer maps them to problem responses.
export class NotFoundError extends Error {
  override name = "NotFoundError";
}

export class ConflictError extends Error {
  override name = "ConflictError";
}

export class ForbiddenError extends Error {
  override name = "ForbiddenError";
}

/** The database could not be reached or did not answer in time; thrown by the client's fetch. */
export class DatabaseUnavailableError extends Error {
  override name = "DatabaseUnavailableError";
}

/**
 * True when an error means the database could not be reached or did not answer in time (as opposed to a
 * statement the database refused). Such a request is answered 503, never 500.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof DatabaseUnavailableError) return true;
    // The server answered, but not with a result: an HTTP error status, a refused token.
    if (
      e.name === "LibsqlError" &&
      "code" in e &&
      typeof e.code === "string" &&
      !e.code.startsWith("SQLITE_")
    ) {
      return true;
    }
  }
  return false;
}
