// The record-visibility rule that every data function applies to owned records (contacts, companies, deals…),
// checked on a probe table with owners and teams, through the real SQL the data functions use.
import { eq, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { type CallerRef, canSeeRecord, canWriteRecord } from "../../db/caller.ts";
import { settings, users } from "../../db/schema/index.ts";
import { sha256Hex } from "../../functions/auth/secrets.ts";
import { apiKeyFor, createTeam, createUser, type TestUser } from "./factories.ts";
import { useTestDatabase } from "./support.ts";

const t = useTestDatabase();
let people: Record<"admin" | "manager" | "repA1" | "repA2" | "repB" | "reader", TestUser>;

beforeAll(async () => {
  people = {
    admin: await createUser(t.db, { role: "admin" }),
    manager: await createUser(t.db, { role: "manager" }),
    repA1: await createUser(t.db, { role: "rep" }),
    repA2: await createUser(t.db, { role: "rep" }),
    repB: await createUser(t.db, { role: "rep" }),
    reader: await createUser(t.db, { role: "read_only" }),
  };
  const teamA = await createTeam(t.db, "Team A", [
    { user: people.manager, lead: true },
    { user: people.repA1 },
    { user: people.repA2 },
    { user: people.reader },
  ]);
  const teamB = await createTeam(t.db, "Team B", [{ user: people.repB }]);
  await t.db.run(sql`create table probe_records (id text primary key, owner_id text not null, team_id text)`);
  await t.db.run(sql`insert into probe_records values
    ('a1-own', ${people.repA1.id}, ${teamA}), ('a2-own', ${people.repA2.id}, ${teamA}),
    ('b-own', ${people.repB.id}, ${teamB}), ('manager-own', ${people.manager.id}, ${teamA}),
    ('a1-no-team', ${people.repA1.id}, null)`);
});

async function visible(me: CallerRef): Promise<string[]> {
  const rows = await t.db.all<{ id: string }>(
    sql`select id from probe_records where ${canSeeRecord(me, sql`owner_id`, sql`team_id`)} order by id`,
  );
  return rows.map((r) => r.id);
}

async function writable(me: CallerRef): Promise<string[]> {
  const rows = await t.db.all<{ id: string }>(
    sql`select id from probe_records where ${canWriteRecord(me, sql`owner_id`, sql`team_id`)} order by id`,
  );
  return rows.map((r) => r.id);
}

const as = (user: TestUser): CallerRef => ({ kind: "user", userId: user.id });

async function setRepsSeeTeam(on: boolean) {
  await t.db
    .insert(settings)
    .values({ key: "repsSeeTeamRecords", value: JSON.stringify(on), updatedAt: Date.now() })
    .onConflictDoUpdate({ target: settings.key, set: { value: JSON.stringify(on) } });
}

describe("who sees which record", () => {
  it("admins see every record; managers their own and their teams'; reps only their own", async () => {
    await setRepsSeeTeam(false);
    expect(await visible(as(people.admin))).toEqual([
      "a1-no-team",
      "a1-own",
      "a2-own",
      "b-own",
      "manager-own",
    ]);
    expect(await visible(as(people.manager))).toEqual(["a1-own", "a2-own", "manager-own"]);
    expect(await visible(as(people.repA1))).toEqual(["a1-no-team", "a1-own"]);
    expect(await visible(as(people.repB))).toEqual(["b-own"]);
    expect(await visible(as(people.reader))).toEqual([]);
  });

  it("lets reps and read-only users see their team's records when the organisation allows it", async () => {
    await setRepsSeeTeam(true);
    expect(await visible(as(people.repA1))).toEqual(["a1-no-team", "a1-own", "a2-own", "manager-own"]);
    expect(await visible(as(people.reader))).toEqual(["a1-own", "a2-own", "manager-own"]);
    expect(await visible(as(people.repB))).toEqual(["b-own"]);
    await setRepsSeeTeam(false);
  });

  it("lets read-only users change nothing, even what they may see", async () => {
    await setRepsSeeTeam(true);
    expect(await writable(as(people.reader))).toEqual([]);
    expect(await writable(as(people.repA1))).toEqual(["a1-no-team", "a1-own", "a2-own", "manager-own"]);
    await setRepsSeeTeam(false);
  });

  it("gives an API key exactly what its user sees", async () => {
    const key = await apiKeyFor(t.db, people.repB, ["contacts:read"]);
    expect(await visible({ kind: "api_key", keyHash: await sha256Hex(key.key) })).toEqual(["b-own"]);
  });

  it("shows a deactivated user nothing, at once", async () => {
    await t.db.update(users).set({ active: false }).where(eq(users.id, people.admin.id));
    expect(await visible(as(people.admin))).toEqual([]);
    await t.db.update(users).set({ active: true }).where(eq(users.id, people.admin.id));
  });
});
