import { describe, expect, it } from "vitest";
import { outboxStatement } from "../../../db/outbox.ts";
import { apiKeyFor, createUser, sessionFor } from "../factories.ts";
import { type TestDatabase, useTestDatabase } from "../support.ts";
import { apiCaller, problemOf } from "./helpers.ts";

const t = useTestDatabase();
const production = useTestDatabase({ ENVIRONMENT: "production" });
const development = useTestDatabase({ ENVIRONMENT: "development" });

interface Page {
  items: { id: string; recipient: string; subject: string; body: string; template: string; status: string }[];
  nextCursor: string | null;
}

async function adminHeaders(db: TestDatabase) {
  const admin = await createUser(db.db, { role: "admin" });
  return (await sessionFor(db.db, admin)).headers;
}

async function seed(db: TestDatabase, recipients: string[]) {
  const now = Date.now();
  for (const [i, recipient] of recipients.entries()) {
    await outboxStatement(
      db.db,
      {
        recipient,
        subject: "Reset your password",
        body: `Open https://crm.test/reset-password?token=secret-${i}`,
        template: "password_reset",
      },
      now + i,
    );
  }
}

describe("the outbox in development and tests", () => {
  it("lists messages newest first for an admin, paged by cursor, one round trip per page", async () => {
    const call = apiCaller(t);
    const headers = await adminHeaders(t);
    await seed(t, ["a@example.com", "b@example.com", "c@example.com"]);
    let first: Page | undefined;
    const trips = await t.roundTrips(async () => {
      const response = await call("/api/v1/outbox?limit=2", { headers });
      expect(response.status).toBe(200);
      first = (await response.json()) as Page;
    });
    expect(trips).toBe(1);
    expect(first?.items.map((m) => m.recipient)).toEqual(["c@example.com", "b@example.com"]);
    expect(first?.items[0]).toMatchObject({
      subject: "Reset your password",
      body: "Open https://crm.test/reset-password?token=secret-2",
      template: "password_reset",
      status: "pending",
      createdAt: expect.any(Number),
    });
    const rest = (await (
      await call(`/api/v1/outbox?limit=2&cursor=${first?.nextCursor}`, { headers })
    ).json()) as Page;
    expect(rest.items.map((m) => m.recipient)).toEqual(["a@example.com"]);
    expect(rest.nextCursor).toBeNull();
  });

  it("is for admins only", async () => {
    const call = apiCaller(t);
    for (const role of ["manager", "rep", "read_only"] as const) {
      const user = await createUser(t.db, { role });
      const { headers } = await sessionFor(t.db, user);
      expect((await call("/api/v1/outbox", { headers })).status, role).toBe(403);
    }
    const admin = await createUser(t.db, { role: "admin" });
    expect(
      (await call("/api/v1/outbox", { headers: (await apiKeyFor(t.db, admin, ["outbox:read"])).headers }))
        .status,
    ).toBe(200);
    expect(
      (await call("/api/v1/outbox", { headers: (await apiKeyFor(t.db, admin, ["audit:read"])).headers }))
        .status,
    ).toBe(403);
    expect((await call("/api/v1/outbox")).status).toBe(401);
  });

  it("answers 422 for a limit out of range", async () => {
    const response = await apiCaller(t)("/api/v1/outbox?limit=500", { headers: await adminHeaders(t) });
    expect(response.status).toBe(422);
  });

  it("works in development too", async () => {
    await seed(development, ["dev@example.com"]);
    const response = await apiCaller(development)("/api/v1/outbox", {
      headers: await adminHeaders(development),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as Page).items.map((m) => m.recipient)).toEqual(["dev@example.com"]);
  });
});

describe("the outbox in production", () => {
  it("answers 404, even to an admin, without reading the database", async () => {
    const headers = await adminHeaders(production);
    await seed(production, ["victim@example.com"]);
    let response: Response | undefined;
    const trips = await production.roundTrips(async () => {
      response = await apiCaller(production)("/api/v1/outbox", { headers });
    });
    expect(response?.status).toBe(404);
    expect(trips).toBe(0);
    const problem = await problemOf(response as Response);
    expect(problem.code).toBe("not_found");
    expect(JSON.stringify(problem)).not.toContain("secret-0");
  });
});
