// ETags from record versions, and If-Match on updates: a stale write answers 412 instead of overwriting.
import type { Context } from "hono";
import type { AppEnv } from "./env.ts";
import { ApiError } from "./errors.ts";

/** A weak ETag naming the record's version, e.g. W/"3". */
export function etag(version: number): string {
  return `W/"${version}"`;
}

/**
 * The version the caller's If-Match names, or null when there is none (the update is then unconditional).
 * A malformed header is a 400; `*` means any version.
 */
export function ifMatchVersion(c: Context<AppEnv>): number | null {
  const header = c.req.header("If-Match");
  if (header === undefined || header.trim() === "*") return null;
  const match = /^(?:W\/)?"(\d{1,15})"$/.exec(header.trim());
  if (!match?.[1]) {
    throw new ApiError("bad_request", 'If-Match must be the ETag the record was read with, e.g. W/"3".');
  }
  return Number(match[1]);
}

export function preconditionFailed(): ApiError {
  return new ApiError(
    "precondition_failed",
    "The record was changed since you read it (its ETag no longer matches). Read it again and retry.",
  );
}
