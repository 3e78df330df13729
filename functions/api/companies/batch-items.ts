// Parsing a batch's items one by one, so that a bad item is reported in its result and the others still run.
import { z } from "@hono/zod-openapi";
import type { CustomFieldError } from "../../../db/custom-fields.ts";

export const BatchBody = (what: string) =>
  z
    .strictObject({
      items: z
        .array(z.unknown())
        .min(1)
        .max(100)
        .openapi({ description: `1 to 100 items, each a ${what}; a bad item is reported in its result.` }),
    })
    .openapi(`${what}BatchRequest`);

/** Each item parsed with `schema`: its value, or errors naming the item's fields. */
export function parseItems<T>(
  schema: z.ZodType<T>,
  items: unknown[],
): ({ input: T } | { errors: CustomFieldError[] })[] {
  return items.map((item) => {
    const parsed = schema.safeParse(item);
    if (parsed.success) return { input: parsed.data };
    return {
      errors: parsed.error.issues.map((issue) => ({
        path: issue.path.map(String).join(".") || "item",
        message: issue.message,
      })),
    };
  });
}

export function counts(results: { status: "created" | "updated" | "error" }[]) {
  const out = { created: 0, updated: 0, error: 0 };
  for (const result of results) out[result.status] += 1;
  return out;
}
