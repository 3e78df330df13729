// No request, however malformed, produces a 5xx: every route in the route table is sent broken bodies, odd
// path parameters and bad query strings, as an admin (who passes every access check and reaches the handler).
import { beforeAll, describe, expect, it } from "vitest";
import { routeTable } from "../../functions/access.ts";
import { apiRoutes } from "../../functions/api/index.ts";
import { createApp } from "../../functions/app.ts";
import { createUser, sessionFor } from "./factories.ts";
import { useTestDatabase } from "./support.ts";

const t = useTestDatabase();
const app = createApp().route("/", apiRoutes);
let auth: Record<string, string>;

beforeAll(async () => {
  const admin = await createUser(t.db, { role: "admin" });
  // An admin with 2FA on, so that no organisation setting changed by these requests can hold them back.
  auth = (await sessionFor(t.db, admin)).headers;
});

const ODD_IDS = [
  "%00",
  "..%2F..%2Fetc",
  "a".repeat(3000),
  "'; drop table users; --",
  "%E2%80%AE",
  "0",
  "-1",
  "null",
];
const BODIES: [string, string][] = [
  ["application/json", "{not json"],
  ["application/json", "[]"],
  ["application/json", "null"],
  ["application/json", '"a string"'],
  ["application/json", "12345678901234567890"],
  ["application/json", JSON.stringify({ a: { b: { c: { d: { e: [[[[[]]]]] } } } } })],
  [
    "application/json",
    JSON.stringify({ email: "x".repeat(100_000), name: { nested: true }, scopes: "all", limit: -1 }),
  ],
  [
    "application/json",
    JSON.stringify({ id: null, role: "god", teamIds: [1, 2, 3], require2fa: "yes", code: 123456 }),
  ],
  [
    "application/json",
    JSON.stringify({ name: "nul\u0000inside", email: "a\u0000@example.com", token: "\u0000".repeat(20) }),
  ],
  ["text/plain", "hello"],
  ["application/x-www-form-urlencoded", "email=a&password=b"],
  ["multipart/form-data; boundary=x", "--x\r\nbroken"],
];
const QUERIES = [
  "?limit=-1",
  "?limit=abc",
  "?limit=1000000",
  "?cursor=%FF%FE",
  "?cursor=" + "z".repeat(5000),
  "?from=yesterday&to=1e400",
  "?active=maybe",
];

function concretePath(path: string, id: string): string {
  return path.replaceAll(/\{[^}]+\}/g, id);
}

describe("malformed input", () => {
  for (const route of routeTable) {
    it(`${route.method} ${route.path} never answers 5xx`, async () => {
      const statuses: [string, number][] = [];
      const send = async (label: string, path: string, init: RequestInit) => {
        const response = await app.request(path, init, t.env);
        statuses.push([label, response.status]);
        if (response.status >= 500) statuses.push([`${label}: ${await response.text()}`, response.status]);
      };
      const base = concretePath(route.path, "00000000-0000-7000-8000-000000000000");
      const hasBody = ["POST", "PUT", "PATCH"].includes(route.method);
      for (const [type, body] of hasBody ? BODIES : []) {
        await send(`${type} ${body.slice(0, 30)}`, base, {
          method: route.method,
          headers: { ...auth, "Content-Type": type, "CF-Connecting-IP": "192.0.2.1" },
          body,
        });
      }
      for (const id of route.path.includes("{") ? ODD_IDS : []) {
        await send(`id ${id.slice(0, 30)}`, concretePath(route.path, id), {
          method: route.method,
          headers: { ...auth, "Content-Type": "application/json" },
          ...(hasBody ? { body: "{}" } : {}),
        });
      }
      for (const query of route.method === "GET" ? QUERIES : []) {
        await send(`query ${query.slice(0, 30)}`, `${base}${query}`, { headers: auth });
      }
      expect(statuses.filter(([, status]) => status >= 500)).toEqual([]);
    });
  }
});
