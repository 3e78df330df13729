// The callers the access matrix tries, and what a record fixture is: a fresh record and who may see it.
import type { Database } from "../../../db/client.ts";
import type { Role } from "../../../db/schema/index.ts";
import type { TestUser } from "../factories.ts";

export const CALLERS = [
  "anonymous",
  "repA",
  "repB",
  "managerA",
  "admin",
  "keyWithScope",
  "keyWithoutScope",
  "readOnly",
] as const;
export type Caller = (typeof CALLERS)[number];
export type Person = "repA" | "repB" | "managerA" | "admin" | "readOnly";

/** The role each caller acts with; both API keys belong to the admin. */
export const ROLE_OF: Record<Exclude<Caller, "anonymous">, Role> = {
  repA: "rep",
  repB: "rep",
  managerA: "manager",
  admin: "admin",
  keyWithScope: "admin",
  keyWithoutScope: "admin",
  readOnly: "read_only",
};

/** The people and teams fixtures build on: rep A and the manager in team A (the manager leads it), rep B in B. */
export interface World {
  db: Database;
  people: Record<Person, TestUser>;
  teamA: string;
  teamB: string;
}

export interface RecordFixture {
  id: string;
  /** The callers who may see the record; every caller the route allows when absent. */
  visibleTo?: readonly Caller[];
}

/**
 * Makes a record of one kind, fresh for every request so that a write by one caller cannot change what the
 * next one meets. CRM records with owners and teams say who sees them.
 */
export type FixtureMaker = (world: World) => Promise<RecordFixture>;

/**
 * Who sees a record owned by rep A in team A, by the rule in db/caller.ts (with reps not seeing their team's
 * records, the default): rep A, the manager of team A, the admin and the admin's keys.
 */
export const VISIBLE_TO_OWNER_REP_A: readonly Caller[] = [
  "repA",
  "managerA",
  "admin",
  "keyWithScope",
  "keyWithoutScope",
];
