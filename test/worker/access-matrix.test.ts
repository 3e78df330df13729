// The access acceptance test: every route in the route table, called by every kind of caller, answers what its
// access declaration promises, in at most one round trip. Routes added later are covered without editing it;
// a route on a record kind this file does not know fails with a message saying what to add.
import { beforeAll, describe, expect, it } from "vitest";
import { grantsCover, SCOPES, type Scope } from "../../db/access.ts";
import { newId } from "../../db/ids.ts";
import { type RouteEntry, routeTable } from "../../functions/access.ts";
import { apiRoutes } from "../../functions/api/index.ts";
import { createApp } from "../../functions/app.ts";
import { ACCESS_COOKIE } from "../../functions/auth/cookies.ts";
import { CSRF_HEADER } from "../../functions/auth/middleware.ts";
import { apiKeyFor, createTeam, createUser, sessionFor, type TestUser } from "./factories.ts";
import { sampleBodies } from "./record-fixtures/bodies.ts";
import {
  CALLERS,
  type Caller,
  type Person,
  type RecordFixture,
  ROLE_OF,
  recordFixtures,
  type World,
} from "./record-fixtures/index.ts";
import { useTestDatabase } from "./support.ts";

const t = useTestDatabase();
const app = createApp().route("/", apiRoutes);

let world: World;

beforeAll(async () => {
  const people: Record<Person, TestUser> = {
    repA: await createUser(t.db, { role: "rep", name: "Rep A" }),
    repB: await createUser(t.db, { role: "rep", name: "Rep B" }),
    managerA: await createUser(t.db, { role: "manager", name: "Manager A" }),
    admin: await createUser(t.db, { role: "admin", name: "Admin" }),
    readOnly: await createUser(t.db, { role: "read_only", name: "Read Only" }),
  };
  const teamA = await createTeam(t.db, "Matrix team A", [
    { user: people.repA },
    { user: people.managerA, lead: true },
  ]);
  const teamB = await createTeam(t.db, "Matrix team B", [{ user: people.repB }]);
  world = { db: t.db, people, teamA, teamB };
});

type Headers = Record<string, string>;

/** Fresh credentials for one route: a session per person, a key with the route's scope and one without. */
async function credentialsFor(route: RouteEntry): Promise<Record<Caller, Headers>> {
  const sessions = {} as Record<Person, Headers>;
  for (const person of ["repA", "repB", "managerA", "admin", "readOnly"] as const) {
    sessions[person] = (await sessionFor(t.db, world.people[person])).headers;
  }
  const scope: Scope = route.access === "public" ? "profile:read" : route.access.scope;
  const unrelated = SCOPES.find(
    (other) => other.split(":")[0] !== scope.split(":")[0] && !grantsCover([other], scope),
  );
  if (!unrelated) throw new Error(`No scope unrelated to ${scope}`);
  return {
    anonymous: {},
    ...sessions,
    keyWithScope: (await apiKeyFor(t.db, world.people.admin, [scope])).headers,
    keyWithoutScope: (await apiKeyFor(t.db, world.people.admin, [unrelated])).headers,
  };
}

async function fixtureFor(route: RouteEntry): Promise<RecordFixture> {
  const kind = route.record;
  if (kind === undefined) {
    throw new Error(
      `${route.method} ${route.path} has a path parameter but declares no \`record\` kind in defineRoute.`,
    );
  }
  const make = recordFixtures[kind];
  if (!make) {
    throw new Error(
      `${route.method} ${route.path} declares record "${kind}", which the access matrix cannot make: add a ` +
        `"${kind}" entry to the fixtures in test/worker/record-fixtures/ saying who may see it.`,
    );
  }
  return make(world);
}

function pathFor(route: RouteEntry, id: string | undefined): string {
  return route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (name !== "id" || id === undefined) {
      throw new Error(
        `${route.method} ${route.path}: the access matrix fills only {id}, from the route's record.`,
      );
    }
    return encodeURIComponent(id);
  });
}

const WITHOUT_BODY = new Set(["GET", "HEAD", "OPTIONS", "DELETE"]);
/** The methods the CSRF defence lets through without its header. */
const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

async function send(route: RouteEntry, path: string, headers: Headers, body: unknown = {}) {
  let response: Response | undefined;
  const trips = await t.roundTrips(async () => {
    response = await app.request(
      path,
      WITHOUT_BODY.has(route.method)
        ? { method: route.method, headers }
        : {
            method: route.method,
            headers: { ...headers, "Content-Type": "application/json" },
            body: JSON.stringify(body),
          },
      t.env,
    );
  });
  if (!response) throw new Error("no response");
  return { response, trips };
}

/** 401 or 403 when the declaration refuses the caller; null when it lets them through. */
function refusal(route: RouteEntry, caller: Caller): 401 | 403 | null {
  if (route.access === "public") return null;
  if (caller === "anonymous") return 401;
  if (caller === "keyWithoutScope") return 403;
  if (route.access.sessionOnly && caller === "keyWithScope") return 403;
  const role = ROLE_OF[caller];
  if (route.access.roles && !route.access.roles.includes(role)) return 403;
  if (route.access.write && role === "read_only") return 403;
  return null;
}

function sees(fixture: RecordFixture | null, caller: Caller): boolean {
  return !fixture?.visibleTo || fixture.visibleTo.includes(caller);
}

const label = (route: RouteEntry) => `${route.method} ${route.path}`;
const onRecord = (route: RouteEntry) => route.path.includes("{");

it("has routes to check", () => {
  expect(routeTable.length).toBeGreaterThan(0);
});

describe.each(routeTable.map((route) => [label(route), route] as const))("%s", (_, route) => {
  it("answers each caller as its access declaration says, in at most one round trip", async () => {
    const credentials = await credentialsFor(route);
    const problems: string[] = [];
    const check = (caller: Caller, what: string, status: number, ok: boolean, trips: number) => {
      if (!ok) problems.push(`${caller} ${what}: got ${status}`);
      if (status >= 500) problems.push(`${caller} ${what}: server error ${status}`);
      if (trips > 1) problems.push(`${caller} ${what}: ${trips} database round trips`);
    };

    for (const caller of CALLERS) {
      const fixture = onRecord(route) ? await fixtureFor(route) : null;
      const denied = refusal(route, caller);
      const sample = sampleBodies[label(route)];
      const { response, trips } = await send(
        route,
        pathFor(route, fixture?.id),
        credentials[caller],
        sample ? sample(world, fixture) : {},
      );
      // With a valid body (or none needed), a caller let through must succeed, not merely not be refused.
      const mustSucceed = Boolean(sample) || WITHOUT_BODY.has(route.method);
      const status = response.status;
      if (route.access === "public") {
        check(caller, "on a public route", status, true, trips);
      } else if (denied) {
        check(caller, `expected ${denied}`, status, status === denied, trips);
      } else if (!sees(fixture, caller)) {
        check(caller, "expected 404 for a record it may not see", status, status === 404, trips);
      } else {
        check(
          caller,
          mustSucceed ? "expected 2xx" : "expected to be let through",
          status,
          mustSucceed ? status >= 200 && status < 300 : ![401, 403, 404].includes(status),
          trips,
        );
      }

      if (fixture && route.access !== "public") {
        // An id nobody has: refused callers are refused the same way (existence does not leak), the others
        // get 404, or the 422 they got above when the body is checked before the record is looked up.
        const unknown = await send(
          route,
          pathFor(route, newId()),
          credentials[caller],
          sample ? sample(world, fixture) : {},
        );
        const got = unknown.response.status;
        const expected = denied ?? 404;
        const ok = got === expected || (!denied && status === 422 && got === 422);
        check(caller, `on an unknown id, expected ${expected}`, got, ok, unknown.trips);
      }
    }
    expect(problems, problems.join("\n")).toEqual([]);
  });

  const isList = route.method === "GET" && !onRecord(route) && route.access !== "public";
  if (!isList) return;
  it("lists only records the caller may see", async () => {
    const credentials = await credentialsFor(route);
    const problems: string[] = [];
    if (route.record === undefined) {
      const ids = await listIds(route, credentials.admin);
      if (ids !== null) {
        throw new Error(
          `${label(route)} returns a list but declares no \`record\` kind: add record: "<kind>" to its defineRoute ` +
            "so the access matrix can check what each caller sees.",
        );
      }
      return;
    }
    const fixture = await fixtureFor(route);
    for (const caller of CALLERS) {
      if (refusal(route, caller)) continue;
      const ids = await listIds(route, credentials[caller]);
      if (ids === null) {
        problems.push(`${caller}: the answer is not a list of items with ids`);
      } else if (sees(fixture, caller) !== ids.includes(fixture.id)) {
        problems.push(
          `${caller}: ${sees(fixture, caller) ? "does not see a record it may see" : "sees a record it may not"}`,
        );
      }
    }
    expect(problems, problems.join("\n")).toEqual([]);
  });
});

/** Every item id a list route returns to the caller, page after page; null when the answer is not a list. */
async function listIds(route: RouteEntry, headers: Headers): Promise<string[] | null> {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page++) {
    const path: string = cursor ? `${route.path}?cursor=${encodeURIComponent(cursor)}` : route.path;
    const response = await app.request(path, { headers }, t.env);
    const body = (await response.json()) as { items?: unknown; nextCursor?: unknown };
    if (response.status !== 200 || !Array.isArray(body.items)) return null;
    for (const item of body.items as { id?: unknown }[]) ids.push(String(item.id));
    if (typeof body.nextCursor !== "string") return ids;
    cursor = body.nextCursor;
  }
  throw new Error(`${label(route)}: more than 100 pages`);
}

describe("cookie-authenticated writes", () => {
  const writes = routeTable.filter((route) => route.access !== "public" && !SAFE.has(route.method));

  it.each(writes.map((route) => [label(route), route] as const))(
    `%s is refused without the ${CSRF_HEADER} header`,
    async (_, route) => {
      const fixture = onRecord(route) ? await fixtureFor(route) : null;
      const path = pathFor(route, fixture?.id);
      const { token } = await sessionFor(t.db, world.people.admin);
      const request = (extra: Headers) =>
        app.request(
          path,
          {
            method: route.method,
            headers: { Cookie: `${ACCESS_COOKIE}=${token}`, "Content-Type": "application/json", ...extra },
            ...(WITHOUT_BODY.has(route.method) ? {} : { body: "{}" }),
          },
          t.env,
        );
      const without = await request({});
      expect(without.status).toBe(403);
      expect(((await without.json()) as { detail: string }).detail).toContain(CSRF_HEADER);
      // The same request with the header passes the defence: the cookie alone was the problem.
      expect([401, 403]).not.toContain((await request({ [CSRF_HEADER]: "1" })).status);
    },
  );
});
