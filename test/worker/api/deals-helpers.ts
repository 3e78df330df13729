// Shared by the deal and pipeline tests: an app with both routers, people in two teams, and calls that assert
// the request made at most one database round trip.
import { expect } from "vitest";
import { dealRoutes } from "../../../functions/api/deals/routes.ts";
import { pipelineRoutes } from "../../../functions/api/pipelines/routes.ts";
import { createApp } from "../../../functions/app.ts";
import { createTeam, createUser, sessionFor, type TestUser } from "../factories.ts";
import type { TestDatabase } from "../support.ts";

export const app = createApp().route("/", dealRoutes).route("/", pipelineRoutes);

/** The default pipeline and its stages, from migration 0006. */
export const SALES = "01900000-0000-7000-8000-000000000001";
export const STAGE = {
  qualification: "01900000-0000-7000-8000-000000000011",
  meeting: "01900000-0000-7000-8000-000000000012",
  proposal: "01900000-0000-7000-8000-000000000013",
  negotiation: "01900000-0000-7000-8000-000000000014",
  won: "01900000-0000-7000-8000-000000000015",
  lost: "01900000-0000-7000-8000-000000000016",
} as const;

export type Headers = Record<string, string>;
// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field in the tests.
export type Json = Record<string, any>;

export interface People {
  admin: TestUser;
  repA: TestUser;
  repB: TestUser;
  managerA: TestUser;
  readOnly: TestUser;
  teamA: string;
  teamB: string;
  as: Record<"admin" | "repA" | "repB" | "managerA" | "readOnly", Headers>;
}

export async function people(t: TestDatabase): Promise<People> {
  const admin = await createUser(t.db, { role: "admin" });
  const repA = await createUser(t.db, { role: "rep", name: "Rep A" });
  const repB = await createUser(t.db, { role: "rep", name: "Rep B" });
  const managerA = await createUser(t.db, { role: "manager", name: "Manager A" });
  const readOnly = await createUser(t.db, { role: "read_only" });
  const teamA = await createTeam(t.db, `A ${crypto.randomUUID()}`, [
    { user: repA },
    { user: managerA, lead: true },
  ]);
  const teamB = await createTeam(t.db, `B ${crypto.randomUUID()}`, [{ user: repB }]);
  const as = {
    admin: (await sessionFor(t.db, admin)).headers,
    repA: (await sessionFor(t.db, repA)).headers,
    repB: (await sessionFor(t.db, repB)).headers,
    managerA: (await sessionFor(t.db, managerA)).headers,
    readOnly: (await sessionFor(t.db, readOnly)).headers,
  };
  return { admin, repA, repB, managerA, readOnly, teamA, teamB, as };
}

/** Calls once through the app, asserting at most one database round trip. */
export function caller(t: TestDatabase) {
  return async (method: string, path: string, headers: Headers, body?: unknown) => {
    let response: Response | undefined;
    const trips = await t.roundTrips(async () => {
      response = await app.request(
        path,
        {
          method,
          headers: { ...headers, "Content-Type": "application/json" },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        },
        t.env,
      );
    });
    expect(trips, `${method} ${path} made ${trips} round trips`).toBeLessThanOrEqual(1);
    if (!response) throw new Error("no response");
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: (text ? JSON.parse(text) : null) as Json,
      trips,
    };
  };
}
