// Helpers of the report tests: records written straight to the test database at chosen times (the domain-event
// triggers record them as the API's writes would be), stage moves and lifecycle changes as the write paths make
// them, rollup runs at an injected clock, and report calls through the Worker with their round trips counted.
import { sql } from "drizzle-orm";
import { expect } from "vitest";
import type { Database } from "../../db/client.ts";
import { newId } from "../../db/ids.ts";
import {
  activities,
  companies,
  contacts,
  dealContacts,
  dealStageHistory,
  deals,
  settings,
  slaClocks,
} from "../../db/schema/index.ts";
import type { QueueMessage } from "../../queues/message.ts";
import { type RollupOptions, runRollups } from "../../queues/rollups/run.ts";
import { createTeam, createUser, sessionFor, type TestUser } from "./factories.ts";
import { fakeQueue } from "./forms-support.ts";
import type { TestDatabase } from "./support.ts";

export const HOUR = 60 * 60_000;
export const DAY = 24 * HOUR;

/** The default pipeline and its stages (migration 0006): probabilities 10, 20, 50, 80, 100, 0. */
export const SALES = "01900000-0000-7000-8000-000000000001";
export const STAGE = {
  qualification: "01900000-0000-7000-8000-000000000011",
  meeting: "01900000-0000-7000-8000-000000000012",
  proposal: "01900000-0000-7000-8000-000000000013",
  negotiation: "01900000-0000-7000-8000-000000000014",
  won: "01900000-0000-7000-8000-000000000015",
  lost: "01900000-0000-7000-8000-000000000016",
} as const;
const OUTCOME: Record<string, "won" | "lost" | undefined> = { [STAGE.won]: "won", [STAGE.lost]: "lost" };

/** An instant on a UTC date: `at("2026-05-04", 9)` is 09:00 UTC that day. */
export function at(day: string, hour = 12, minute = 0): number {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  return Date.UTC(y, m - 1, d, hour, minute);
}

export interface Owned {
  ownerId: string | null;
  teamId: string | null;
}

export interface DealSpec extends Owned {
  amount: number;
  currency?: string;
  createdAt: number;
  /** The stages the deal went through, with when it entered each; the last is where it is. */
  path?: [stageId: string, enteredAt: number][];
  expectedCloseDate?: string | null;
  forecastOverride?: "pipeline" | "best_case" | "commit" | "closed_won" | "omitted" | null;
  companyId?: string | null;
  contactIds?: string[];
}

/** A deal with its stage history: open, or won or lost when its last stage closes it. */
export async function makeDeal(db: Database, spec: DealSpec): Promise<string> {
  const id = newId();
  const path = spec.path ?? [[STAGE.qualification, spec.createdAt]];
  const [stageId, enteredAt] = path.at(-1) as [string, number];
  const outcome = OUTCOME[stageId];
  await db.insert(deals).values({
    id,
    name: `Deal ${id.slice(-4)}`,
    amount: spec.amount,
    currency: spec.currency ?? "VND",
    pipelineId: SALES,
    stageId,
    stageEnteredAt: enteredAt,
    status: outcome ?? "open",
    closedAt: outcome ? enteredAt : null,
    expectedCloseDate: spec.expectedCloseDate ?? null,
    forecastOverride: spec.forecastOverride ?? null,
    companyId: spec.companyId ?? null,
    ownerId: spec.ownerId,
    teamId: spec.teamId,
    createdAt: spec.createdAt,
    updatedAt: enteredAt,
  });
  if (spec.contactIds?.length) {
    await db.insert(dealContacts).values(spec.contactIds.map((contactId) => ({ dealId: id, contactId })));
  }
  await db.insert(dealStageHistory).values(
    path.map(([stage, entered], i) => ({
      id: newId(),
      dealId: id,
      stageId: stage,
      enteredAt: entered,
      leftAt: path[i + 1]?.[1] ?? null,
    })),
  );
  return id;
}

/** A stage move as db/deal-writes.ts makes it: the open stay closed, a new one opened, the deal updated. */
export async function moveDeal(db: Database, id: string, stageId: string, when: number) {
  const outcome = OUTCOME[stageId] ?? null;
  await db.batch([
    db.run(sql`update deal_stage_history set left_at = ${when} where deal_id = ${id} and left_at is null`),
    db.insert(dealStageHistory).values({ id: newId(), dealId: id, stageId, enteredAt: when }),
    db.run(sql`update deals set stage_id = ${stageId}, stage_entered_at = ${when},
      status = ${outcome ?? "open"}, closed_at = ${outcome ? when : null}, version = version + 1, updated_at = ${when}
      where id = ${id}`),
  ]);
}

export async function updateDeal(db: Database, id: string, set: Record<string, unknown>, when: number) {
  await db
    .update(deals)
    .set({ ...set, version: sql`${deals.version} + 1`, updatedAt: when })
    .where(sql`${deals.id} = ${id}`);
}

export interface ContactSpec extends Owned {
  createdAt: number;
  lifecycleStage?: (typeof contacts.$inferInsert)["lifecycleStage"];
  source?: string | null;
  campaign?: string | null;
  grade?: string | null;
  companyId?: string | null;
}

export async function makeContact(db: Database, spec: ContactSpec): Promise<string> {
  const id = newId();
  await db.insert(contacts).values({
    id,
    name: `Contact ${id.slice(-4)}`,
    lifecycleStage: spec.lifecycleStage ?? "lead",
    source: spec.source ?? null,
    firstTouch: spec.campaign ? JSON.stringify({ source: spec.source, campaign: spec.campaign }) : null,
    grade: spec.grade ?? null,
    companyId: spec.companyId ?? null,
    ownerId: spec.ownerId,
    teamId: spec.teamId,
    createdAt: spec.createdAt,
    updatedAt: spec.createdAt,
  });
  return id;
}

/** A change of lifecycle stage as the contact writes make it (version and updated_at move on). */
export async function changeLifecycle(
  db: Database,
  id: string,
  stage: (typeof contacts.$inferInsert)["lifecycleStage"],
  when: number,
) {
  await db
    .update(contacts)
    .set({ lifecycleStage: stage, version: sql`${contacts.version} + 1`, updatedAt: when })
    .where(sql`${contacts.id} = ${id}`);
}

export async function makeCompany(db: Database, owned: Owned, createdAt: number): Promise<string> {
  const id = newId();
  await db
    .insert(companies)
    .values({ id, name: `Company ${id.slice(-4)}`, ...owned, createdAt, updatedAt: createdAt });
  return id;
}

export async function logActivity(
  db: Database,
  spec: {
    type: (typeof activities.$inferInsert)["type"];
    actorUserId: string | null;
    occurredAt: number;
    contactId?: string | null;
    metadata?: Record<string, unknown>;
  },
): Promise<string> {
  const id = newId();
  await db.insert(activities).values({
    id,
    type: spec.type,
    occurredAt: spec.occurredAt,
    actorUserId: spec.actorUserId,
    contactId: spec.contactId ?? null,
    metadata: JSON.stringify(spec.metadata ?? {}),
    createdAt: spec.occurredAt,
  });
  return id;
}

export async function makeClock(
  db: Database,
  spec: {
    contactId: string;
    ownerId: string | null;
    createdAt: number;
    dueAt: number;
    respondedAt?: number;
    breachedAt?: number;
  },
): Promise<string> {
  const id = newId();
  const responded = spec.respondedAt ?? null;
  await db.insert(slaClocks).values({
    id,
    contactId: spec.contactId,
    ownerId: spec.ownerId,
    ruleId: "rule",
    startedAt: spec.createdAt,
    dueAt: spec.dueAt,
    respondedAt: responded,
    responseMs: responded === null ? null : responded - spec.createdAt,
    withinSla: responded === null ? null : responded <= spec.dueAt,
    breachedAt: spec.breachedAt ?? null,
    createdAt: spec.createdAt,
  });
  return id;
}

export async function setTimeZone(db: Database, timeZone: string) {
  await db
    .insert(settings)
    .values({ key: "timeZone", value: JSON.stringify(timeZone), updatedAt: Date.now() })
    .onConflictDoUpdate({ target: settings.key, set: { value: JSON.stringify(timeZone) } });
}

/** A rollup run at `now`, its fan-out (if any) delivered to the events consumer. */
export async function rollup(t: TestDatabase, now: number, options: RollupOptions = {}) {
  const events = fakeQueue();
  const services = {
    db: t.db,
    config: {} as never,
    queues: { capture: events.queue, events: events.queue, outbound: events.queue },
  };
  const outcome = await runRollups(services, now, options);
  const fanned = events.sent.filter((m: QueueMessage) => m.type === "reports.rollup");
  if (fanned.length > 0) {
    const result = await t.queue("crm-events", fanned);
    expect(result.retryMessages).toEqual([]);
  }
  return outcome;
}

/** Every row of every rollup table, daily and monthly (snapshots of past days are history, not recomputed: left out). */
export async function rollupRows(db: Database, today: string) {
  const tables = [
    "report_deal_daily",
    "report_stage_daily",
    "report_lead_daily",
    "report_lifecycle_daily",
    "report_activity_daily",
    "report_sla_daily",
    "report_customer_daily",
    "report_attribution_daily",
  ];
  const out: Record<string, unknown[]> = {};
  for (const table of tables.flatMap((daily) => [daily, daily.replace(/_daily$/, "_monthly")])) {
    const result = await db.$client.execute(`select * from ${table}`);
    out[table] = sorted(result.rows.map((row) => ({ ...row })));
  }
  const snapshot = await db.$client.execute({
    sql: "select * from report_pipeline_snapshots where day = ? order by stage_id, owner_id, team_id, currency",
    args: [today],
  });
  out.today_snapshot = sorted(snapshot.rows.map((row) => ({ ...row })));
  return out;
}

function sorted(rows: Record<string, unknown>[]) {
  return rows
    .map((row) => JSON.stringify(row))
    .sort()
    .map((row) => JSON.parse(row) as unknown);
}

export interface Team {
  repA: TestUser;
  repB: TestUser;
  managerA: TestUser;
  admin: TestUser;
  teamA: string;
  teamB: string;
  as: Record<"repA" | "repB" | "managerA" | "admin", Record<string, string>>;
}

/** Rep A and manager A (who leads it) in team A, rep B in team B, and an admin; each logged in. */
export async function salesTeam(t: TestDatabase): Promise<Team> {
  const repA = await createUser(t.db, { role: "rep", name: "Rep A" });
  const repB = await createUser(t.db, { role: "rep", name: "Rep B" });
  const managerA = await createUser(t.db, { role: "manager", name: "Manager A" });
  const admin = await createUser(t.db, { role: "admin", name: "Admin" });
  const teamA = await createTeam(t.db, `A ${crypto.randomUUID()}`, [
    { user: repA },
    { user: managerA, lead: true },
  ]);
  const teamB = await createTeam(t.db, `B ${crypto.randomUUID()}`, [{ user: repB }]);
  const as = {
    repA: (await sessionFor(t.db, repA)).headers,
    repB: (await sessionFor(t.db, repB)).headers,
    managerA: (await sessionFor(t.db, managerA)).headers,
    admin: (await sessionFor(t.db, admin)).headers,
  };
  return { repA, repB, managerA, admin, teamA, teamB, as };
}

// biome-ignore lint/suspicious/noExplicitAny: report bodies are checked field by field in the tests.
export type Json = Record<string, any>;

/** A GET through the whole Worker; the answer and the database round trips it made (asserted to be one). */
export async function get(t: TestDatabase, path: string, headers: Record<string, string>) {
  let response: Response | undefined;
  const trips = await t.roundTrips(async () => {
    response = await t.fetch(path, { headers });
  });
  if (!response) throw new Error("no response");
  const text = await response.text();
  expect(trips, `GET ${path} made ${trips} round trips`).toBe(1);
  const json = response.headers.get("content-type")?.includes("json") ? (JSON.parse(text) as Json) : {};
  return { status: response.status, headers: response.headers, body: json, text, trips };
}
