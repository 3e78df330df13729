// Runs a record write validated against the cached custom-field configuration (db/custom-fields.ts); fresh
// configuration is read together with the caller's access, so a request stays within one round trip even
// when the cache refused its input. Invalid input becomes a 422 naming each field.
import type { Context } from "hono";
import {
  type CustomFieldError,
  type CustomFieldObject,
  type RecordConfig,
  recordConfigQueries,
  storeRecordConfig,
  withRecordConfig,
} from "../../../db/custom-fields.ts";
import { authorizedRead } from "../../access.ts";
import type { AppEnv } from "../../env.ts";
import { ApiError } from "../../errors.ts";

export function invalid(errors: CustomFieldError[]): ApiError {
  return new ApiError("validation_failed", errors.map((e) => `${e.path}: ${e.message}`).join("; "), {
    errors,
  });
}

type Invalid = Error & { errors: CustomFieldError[] };

export function withObjectConfig<T>(
  c: Context<AppEnv>,
  object: CustomFieldObject,
  isInvalid: (error: unknown) => error is Invalid,
  run: (config: RecordConfig) => Promise<T>,
): Promise<T> {
  const db = c.get("db");
  const url = c.get("config").LIBSQL_URL;
  return withRecordConfig(db, url, object, run, isInvalid, async () =>
    storeRecordConfig(url, object, (await authorizedRead(c, () => recordConfigQueries(db, object))).results),
  ).catch((error: unknown) => {
    if (isInvalid(error)) throw invalid(error.errors);
    throw error;
  });
}
