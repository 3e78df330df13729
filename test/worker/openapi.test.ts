import { expect, it } from "vitest";
import { useTestDatabase } from "./support.ts";

const t = useTestDatabase();

it("serves the OpenAPI 3.1 document generated from the routes", async () => {
  const response = await t.fetch("/api/openapi.json");
  expect(response.status).toBe(200);
  const doc = (await response.json()) as { openapi: string; paths: Record<string, unknown> };
  expect(doc.openapi).toBe("3.1.0");
  expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/health", "/health/live"]));
});
