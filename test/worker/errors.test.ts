import { createRoute, z } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { createApp } from "../../functions/app.ts";
import { ApiError, errorResponses } from "../../functions/errors.ts";
import { useTestDatabase } from "./support.ts";

const t = useTestDatabase();

// A route built with the same factory as the Worker's, to prove the shared validation and error handling.
const echo = createRoute({
  method: "post",
  path: "/echo",
  request: {
    body: {
      content: {
        "application/json": { schema: z.object({ email: z.email(), seats: z.number().int().min(1) }) },
      },
    },
  },
  responses: { 200: { description: "ok" }, ...errorResponses },
});
const app = createApp()
  .openapi(echo, (c) => c.json(c.req.valid("json"), 200))
  .get("/conflict", () => {
    throw new ApiError("conflict", "The deal was changed by someone else; reload it.");
  })
  .get("/boom", () => {
    throw new Error("secret internals");
  });

function call(path: string, init?: RequestInit) {
  return app.request(path, init, t.env);
}

async function expectProblem(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get("Content-Type")).toBe("application/problem+json");
  const body = (await response.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ type: "about:blank", status, code });
  expect(body.requestId).toBe(response.headers.get("X-Request-Id"));
  expect(typeof body.requestId).toBe("string");
  return body;
}

describe("problem+json errors", () => {
  it("answers an unknown route with 404", async () => {
    const body = await expectProblem(await t.fetch("/api/v1/nothing-here"), 404, "not_found");
    expect(body.instance).toBe("/api/v1/nothing-here");
  });

  it("answers invalid content with 422 and says which field is wrong", async () => {
    const response = await call("/echo", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email: "not-an-email", seats: 0 }),
    });
    const body = await expectProblem(response, 422, "validation_failed");
    expect(body.errors).toEqual([
      { path: "email", message: expect.any(String) },
      { path: "seats", message: expect.any(String) },
    ]);
  });

  it("answers malformed JSON with 400", async () => {
    const response = await call("/echo", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: "{not json",
    });
    await expectProblem(response, 400, "bad_request");
  });

  it("answers a body over 1 MB with 413 before reading it, with or without a length", async () => {
    const big = JSON.stringify({ email: "a@b.vn", seats: 1, pad: "x".repeat(1024 * 1024) });
    const sized = await call("/echo", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: big,
    });
    await expectProblem(sized, 413, "payload_too_large");
    const bytes = new TextEncoder().encode(big);
    const streamed = await call("/echo", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: new ReadableStream({
        start(controller) {
          for (let at = 0; at < bytes.length; at += 64 * 1024)
            controller.enqueue(bytes.slice(at, at + 64 * 1024));
          controller.close();
        },
      }),
      duplex: "half",
    } as RequestInit);
    await expectProblem(streamed, 413, "payload_too_large");
  });

  it("maps an ApiError to its status and keeps its detail", async () => {
    const body = await expectProblem(await call("/conflict"), 409, "conflict");
    expect(body.detail).toBe("The deal was changed by someone else; reload it.");
  });

  it("hides the internals of an unexpected error behind a 500 with the request id", async () => {
    const body = await expectProblem(await call("/boom"), 500, "internal");
    expect(JSON.stringify(body)).not.toContain("secret internals");
  });

  it("keeps a request id the caller sent", async () => {
    const response = await t.fetch("/health/live", { headers: { "X-Request-Id": "trace-abc-123" } });
    expect(response.headers.get("X-Request-Id")).toBe("trace-abc-123");
  });

  it("answers 503 with a clear message when the Worker is misconfigured", async () => {
    const broken = useTestDatabase({ LIBSQL_URL: "postgres://nope" });
    const body = await expectProblem(await broken.fetch("/health/live"), 503, "unavailable");
    expect(body.detail).toContain("LIBSQL_URL");
  });
});
