// Counts a keyed request's database round trips apart: those on its path (before the answer), and the
// bookkeeping the idempotency middleware does after the answer (storing it, or giving the key back, in
// waitUntil). Each pipeline request the Worker sends is read on its way out; the server's own count checks
// that none was missed.
import { expect, vi } from "vitest";
import type { TestDatabase } from "./support.ts";

export interface Trips {
  /** Round trips before the response: the rule allows one. */
  path: number;
  /** The stored response, or the key given back, after the response. */
  after: number;
}

export async function countTrips(
  t: TestDatabase,
  send: () => Promise<Response>,
): Promise<{ response: Response; body: string; trips: Trips }> {
  const pipelines: string[][] = [];
  const original = globalThis.fetch;
  const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    if (request.url.startsWith(t.env.LIBSQL_URL ?? "") && /\/(pipeline|cursor)$/.test(request.url)) {
      pipelines.push(statementsIn(JSON.parse(await request.clone().text())));
    }
    return original.call(globalThis, request);
  });
  let response: Response | undefined;
  let total: number;
  try {
    total = await t.roundTrips(async () => {
      response = await send();
    });
  } finally {
    spy.mockRestore();
  }
  if (!response) throw new Error("no response");
  expect(pipelines.length, "every round trip went through the counter").toBe(total);
  const after = pipelines.filter(isBookkeeping).length;
  return { response, body: await response.text(), trips: { path: pipelines.length - after, after } };
}

/** The SQL of every statement in a Hrana request body, wherever it sits (execute, batch steps). */
function statementsIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(statementsIn);
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([name, inner]) =>
    name === "sql" && typeof inner === "string" ? [inner] : statementsIn(inner),
  );
}

/** A pipeline that only stores a response or gives a key back: the middleware's work after the answer. */
function isBookkeeping(statements: string[]): boolean {
  const work = statements.filter((sql) => !/^(begin|commit|rollback)\b/i.test(sql.trim()));
  return work.length > 0 && work.every((sql) => /^(update|delete from) "idempotency_keys"/i.test(sql.trim()));
}
