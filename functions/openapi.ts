// Pieces the OpenAPI route definitions share: JSON request and response bodies.
import type { z } from "@hono/zod-openapi";

/** A JSON response of `schema`, for a route's `responses`. */
export function json<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}

/** A required JSON request body of `schema`, to spread into a route's `request`. */
export function body<T extends z.ZodType>(schema: T) {
  return { body: { content: { "application/json": { schema } }, required: true } };
}
