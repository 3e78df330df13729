// The query plans of the notification and outbox statements, from the very statements the code builds: a
// notification and its outbox rows (for one user, one decided in SQL, and a set), the outbox list by status,
// the bulk replay and the team webhooks. No step may read a whole table (see test/worker/query-plans.test.ts).
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import {
  changeTeamWebhooksStatements,
  managedTeamQuery,
  teamWebhooksQuery,
} from "../../db/notifications/team-webhooks.ts";
import {
  listOutboxQuery,
  moreFailedQuery,
  type ReplayFilter,
  replayCountSql,
  replayFailedStatement,
} from "../../db/outbox.ts";
import { notifyStatements } from "../../queues/outbound/notify.ts";
import { expectIndexed as expectIndexedIn, type Statement } from "./query-plan-support.ts";
import { useTestDatabase } from "./support.ts";

const t = useTestDatabase();
const ID = "0190bbbb-0000-7000-8000-000000000002";
const NOW = Date.parse("2026-06-01T12:00:00Z");
const me = { kind: "user" as const, userId: ID };

const expectIndexed = (statement: unknown) => expectIndexedIn(t.db, statement as Statement);

describe("notifying", () => {
  const content = { kind: "sla_breach" as const, title: "T", body: "B", link: "/contacts/x", dedupeKey: "k" };
  it.each([
    ["one user", { userId: ID }],
    ["one user decided in SQL", { userId: sql`(select owner_id from contacts where id = ${ID})` }],
    [
      "a set of users",
      { userIds: sql`select user_id from team_members where team_id = ${ID} and is_lead = 1` },
    ],
  ])("reads no whole table: %s", async (_, who) => {
    const statements = notifyStatements(t.db, { ...content, ...who }, NOW);
    expect(statements).toHaveLength(4);
    for (const statement of statements) await expectIndexed(statement);
  });
});

describe("the outbox", () => {
  it("lists by status through its index", async () => {
    const plan = await expectIndexed(listOutboxQuery(t.db, { limit: 50, status: "failed", before: ID }));
    expect(plan.join("\n")).toMatch(/USING INDEX outbox_(status|due)_idx/);
  });

  it.each<[string, ReplayFilter]>([
    ["no filter", { limit: 100 }],
    [
      "every filter",
      {
        limit: 10,
        channel: "email",
        kind: "reminder",
        template: "x",
        userId: ID,
        createdFrom: 1,
        createdTo: NOW,
      },
    ],
  ])("replays in bulk through the status index: %s", async (_, filter) => {
    const plan = await expectIndexed(replayFailedStatement(t.db, filter));
    expect(plan.join("\n")).toContain("outbox_status_idx");
    await expectIndexed(moreFailedQuery(t.db, filter));
    await expectIndexed(t.db.all(sql`select ${replayCountSql(filter)}`));
  });
});

describe("team webhooks", () => {
  it("reads and changes them by the team's index", async () => {
    await expectIndexed(managedTeamQuery(t.db, me, ID));
    await expectIndexed(teamWebhooksQuery(t.db, me, ID));
    const statements = changeTeamWebhooksStatements(
      t.db,
      me,
      ID,
      { slack: "https://hooks.slack.com/services/x", teams: null },
      { origin: { ip: null, userAgent: null, requestId: null }, now: NOW },
    );
    // All but the upsert, an INSERT … VALUES, which reads nothing and has no plan.
    const [guard, audit, remove, , read] = statements;
    for (const statement of [guard, audit, remove, read]) await expectIndexed(statement);
  });
});
