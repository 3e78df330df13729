// Pieces the OpenAPI route definitions share: JSON request and response bodies, and keyset-paging parameters.
import { z } from "@hono/zod-openapi";

/** A JSON response of `schema`, for a route's `responses`. */
export function json<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}

/** A required JSON request body of `schema`, to spread into a route's `request`. */
export function body<T extends z.ZodType>(schema: T) {
  return { body: { content: { "application/json": { schema } }, required: true } };
}

const Cursor = z.string().max(64).openapi({ description: "nextCursor of the previous page" });

/**
 * The query parameters of a keyset-paged list (db/paging.ts): `limit` rows, 1 to 200, after `cursor`, the
 * previous page's nextCursor. A list may have its own default page size, or a stricter cursor.
 */
export function pageQuery(options: { defaultLimit?: number; cursor?: z.ZodString } = {}) {
  const { defaultLimit = 50, cursor = Cursor } = options;
  return {
    limit: z.coerce.number().int().min(1).max(200).default(defaultLimit),
    cursor: cursor.optional(),
  };
}
