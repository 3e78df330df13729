// The query plans of the lists, filters, sorts and searches the API runs, taken from the very statements the
// data functions build (EXPLAIN QUERY PLAN on their SQL and parameters), so a change that drops an index shows.
//
// The rule: no step may be a bare `SCAN <table>`, which reads every row of the table. Allowed are
// `SEARCH <table> USING …` (a seek on an index or key), `SCAN <table> USING [COVERING] INDEX …` (walking an
// index in the order the list is sorted by, which stops after a page thanks to LIMIT and the keyset cursor),
// `SCAN <fts> VIRTUAL TABLE INDEX …` (the full-text index answering a MATCH) and scans of subquery results or
// constant rows, which are not tables.
import { describe, expect, it } from "vitest";
import type { CallerRef } from "../../db/caller.ts";
import { listCompaniesQuery } from "../../db/companies/queries.ts";
import { contact360Queries } from "../../db/contact-360.ts";
import { listContactsQuery } from "../../db/contacts/queries.ts";
import {
  boardDealsQuery,
  boardTotalsQuery,
  DEAL_SORTS,
  encodeCursor,
  listDealsQuery,
} from "../../db/deals.ts";
import { listTasksQuery, TASK_VIEWS } from "../../db/tasks.ts";
import { listActivitiesQuery } from "../../db/timeline.ts";
import {
  expectIndexed as expectIndexedIn,
  fullScans,
  planOf as planIn,
  type Statement,
} from "./query-plan-support.ts";
import { useTestDatabase } from "./support.ts";

const t = useTestDatabase();

// EXPLAIN needs no rows: the plan depends on the schema and the statement. Ids are made up.
const me: CallerRef = { kind: "user", userId: "0190aaaa-0000-7000-8000-000000000001" };
const apiKeyCaller: CallerRef = { kind: "api_key", keyHash: "0".repeat(64) };
const ID = "0190bbbb-0000-7000-8000-000000000002";
const NOW = Date.parse("2026-06-01T12:00:00Z");

const planOf = (statement: Statement) => planIn(t.db, statement);
const expectIndexed = (statement: Statement) => expectIndexedIn(t.db, statement);

describe("contacts list", () => {
  const base = { sort: { key: "id", desc: false }, limit: 50 } as const;
  const filters = {
    ownerId: { ownerId: ID },
    teamId: { teamId: ID },
    lifecycleStage: { lifecycleStage: "lead" },
    leadStatus: { leadStatus: "new" },
    tag: { tag: "vip" },
    companyId: { companyId: ID },
    email: { email: "an@example.com" },
    created: { createdFrom: NOW - 86_400_000, createdTo: NOW },
    updated: { updatedFrom: NOW - 86_400_000, updatedTo: NOW },
    custom: { custom: { plan: "gold" } },
    q: { q: "nguyen van" },
  };

  it("uses an index for the default sort, first page and a page by cursor", async () => {
    await expectIndexed(listContactsQuery(t.db, me, base));
    await expectIndexed(listContactsQuery(t.db, me, { ...base, cursor: [ID, ID] }));
    await expectIndexed(listContactsQuery(t.db, apiKeyCaller, base));
  });

  for (const key of ["id", "name", "createdAt", "updatedAt"] as const) {
    for (const desc of [false, true]) {
      it(`uses an index sorted by ${desc ? "-" : ""}${key}, first page and by cursor`, async () => {
        const sort = { key, desc };
        const value = key === "name" || key === "id" ? ID : NOW;
        await expectIndexed(listContactsQuery(t.db, me, { ...base, sort }));
        await expectIndexed(listContactsQuery(t.db, me, { ...base, sort, cursor: [value, ID] }));
      });
    }
  }

  for (const [name, filter] of Object.entries(filters)) {
    it(`uses an index filtered by ${name}`, async () => {
      await expectIndexed(listContactsQuery(t.db, me, { ...base, ...filter }));
      await expectIndexed(
        listContactsQuery(t.db, me, { ...base, ...filter, sort: { key: "name", desc: false } }),
      );
    });
  }
});

describe("lists with q and no sort, and a rep's list", () => {
  const match = { key: "match", desc: true } as const;

  it("lets the search index drive a search in its own order, so the page stops early (no sort of every match)", async () => {
    for (const query of [
      listContactsQuery(t.db, me, { sort: match, limit: 50, q: "nguyen van" }),
      listContactsQuery(t.db, me, { sort: match, limit: 50, q: "nguyen van", cursor: [42, ID] }),
      listContactsQuery(t.db, me, { sort: match, limit: 50, q: "an", lifecycleStage: "lead" }),
      listCompaniesQuery(t.db, me, { sort: match, limit: 50, q: "an phat" }),
    ]) {
      const plan = await planOf(query);
      expect(fullScans(plan), plan.join("\n")).toEqual([]);
      expect(
        plan.find((step) => /^(SCAN|SEARCH) /.test(step)),
        plan.join("\n"),
      ).toMatch(/^SCAN (contacts|companies)_fts VIRTUAL TABLE INDEX/);
      expect(plan.join("\n")).not.toContain("TEMP B-TREE FOR ORDER BY");
    }
  });

  it("reads a caller's own and team rows through the owner and team indexes in id order", async () => {
    for (const caller of [me, apiKeyCaller]) {
      const plan = (
        await planOf(listContactsQuery(t.db, caller, { sort: { key: "id", desc: false }, limit: 50 }))
      ).join("\n");
      expect(plan).toContain("USING INDEX contacts_owner_idx (owner_id=?)");
      expect(plan).toMatch(/USING INDEX contacts_team_idx \(team_id=\?\)/);
    }
    const companies = (
      await planOf(listCompaniesQuery(t.db, me, { sort: { key: "id", desc: true }, limit: 50 }))
    ).join("\n");
    expect(companies).toContain("USING INDEX companies_owner_idx (owner_id=?)");
  });
});

describe("deals list and board", () => {
  const filters = {
    none: {},
    pipeline: { pipelineId: ID },
    stage: { pipelineId: ID, stageId: ID },
    owner: { ownerId: ID },
    team: { teamId: ID },
    status: { status: "open" },
    company: { companyId: ID },
    contact: { contactId: ID },
    expectedClose: { expectedCloseFrom: "2026-01-01", expectedCloseTo: "2026-12-31" },
    trash: { deleted: true },
    q: { q: "nguyen van" },
  } as const;

  for (const sort of DEAL_SORTS) {
    it(`uses an index sorted by ${sort}, first page and by cursor`, async () => {
      const value = sort.endsWith("expectedClose") ? "2026-06-01" : sort.endsWith("updated") ? NOW : ID;
      await expectIndexed(listDealsQuery(t.db, me, { sort, limit: 50 }));
      await expectIndexed(listDealsQuery(t.db, me, { sort, limit: 50, cursor: encodeCursor(value, ID) }));
    });
  }

  for (const [name, filter] of Object.entries(filters)) {
    it(`uses an index filtered by ${name}`, async () => {
      await expectIndexed(listDealsQuery(t.db, me, { ...filter, sort: "-created", limit: 50 }));
    });
  }

  it("reads the board's deals and totals through the pipeline's index", async () => {
    await expectIndexed(boardDealsQuery(t.db, me, ID, { limit: 20 }));
    await expectIndexed(boardTotalsQuery(t.db, me, ID, { limit: 20 }));
    await expectIndexed(boardDealsQuery(t.db, me, ID, { limit: 20, ownerId: ID }));
  });
});

describe("timeline, tasks and the contact 360", () => {
  it("pages a record's timeline on its (record, occurred_at, id) index", async () => {
    const cursor = { at: NOW, id: ID };
    for (const attached of [{ contactId: ID }, { companyId: ID }, { dealId: ID }, {}]) {
      await expectIndexed(listActivitiesQuery(t.db, me, { ...attached, limit: 50 }));
      await expectIndexed(listActivitiesQuery(t.db, me, { ...attached, limit: 50, cursor }));
    }
  });

  for (const view of TASK_VIEWS) {
    it(`lists the caller's ${view} tasks on an index`, async () => {
      const cursor = view === "all" ? ID : `${NOW}_${ID}`;
      await expectIndexed(listTasksQuery(t.db, me, { view, assigneeId: "me", limit: 50, now: NOW }));
      await expectIndexed(listTasksQuery(t.db, me, { view, assigneeId: "me", limit: 50, now: NOW, cursor }));
    });
  }

  it("lists everyone's tasks (no assignee) newest first on the primary key", async () => {
    await expectIndexed(listTasksQuery(t.db, me, { view: "all", limit: 50, now: NOW }));
    await expectIndexed(listTasksQuery(t.db, me, { view: "all", limit: 50, now: NOW, cursor: ID }));
  });

  // Without an assignee the dated views (today, overdue, upcoming) walk the (status, due_at, id) index.
  for (const view of TASK_VIEWS.filter((v) => v !== "all")) {
    it(`lists everyone's ${view} tasks (no assignee) through the status and due-date index`, async () => {
      await expectIndexed(listTasksQuery(t.db, me, { view, limit: 50, now: NOW }));
    });
  }

  it("reads every part of the 360 by key", async () => {
    for (const query of contact360Queries(t.db, me, ID, 20)) await expectIndexed(query);
  });
});
