import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { activities, dealStageHistory, deals } from "../../../db/schema/index.ts";
import { useTestDatabase } from "../support.ts";
import { caller, type People, people, SALES, STAGE } from "./deals-helpers.ts";

const t = useTestDatabase();
const call = caller(t);
let p: People;

beforeAll(async () => {
  p = await people(t);
});

const newDeal = (extra: Record<string, unknown> = {}) => ({
  name: "Big deal",
  amount: 150_000_000,
  currency: "vnd",
  ...extra,
});

describe("creating and reading deals", () => {
  it("creates a deal in the default pipeline's first stage, owned by the caller in their team", async () => {
    const created = await call(
      "POST",
      "/api/v1/deals",
      p.as.repA,
      newDeal({ expectedCloseDate: "2026-03-31" }),
    );
    expect(created.status).toBe(201);
    expect(created.trips).toBe(1);
    expect(created.body).toMatchObject({
      name: "Big deal",
      amount: 150_000_000,
      currency: "VND",
      pipelineId: SALES,
      stageId: STAGE.qualification,
      stageName: "Qualification",
      status: "open",
      probability: 10,
      forecastCategory: "pipeline",
      ownerId: p.repA.id,
      teamId: p.teamA,
      version: 1,
      contactIds: [],
      custom: {},
    });
    expect(created.headers.get("ETag")).toBe('W/"1"');
    const history = await t.db
      .select()
      .from(dealStageHistory)
      .where(eq(dealStageHistory.dealId, created.body.id));
    expect(history).toMatchObject([{ stageId: STAGE.qualification, leftAt: null, movedBy: p.repA.id }]);

    const read = await call("GET", `/api/v1/deals/${created.body.id}`, p.as.repA);
    expect(read.status).toBe(200);
    expect(read.trips).toBe(1);
    expect(read.headers.get("ETag")).toBe('W/"1"');
    expect(read.body).toEqual(created.body);
  });

  it("creates a won deal closed at once, and takes the pipeline from the stage", async () => {
    const created = await call(
      "POST",
      "/api/v1/deals",
      p.as.repA,
      newDeal({ stageId: STAGE.won, forecastOverride: "commit" }),
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: "won", pipelineId: SALES, forecastCategory: "commit" });
    expect(created.body.closedAt).toBeTypeOf("number");
  });

  it("refuses invalid input with 422 naming the field", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ amount: -1 }, "amount"],
      [{ amount: 1.5 }, "amount"],
      [{ currency: "dollars" }, "currency"],
      [{ expectedCloseDate: "31/03/2026" }, "expectedCloseDate"],
      [{ stageId: "no-such-stage" }, "stageId"],
      [{ pipelineId: "no-such-pipeline" }, "pipelineId"],
      [{ stageId: STAGE.lost }, "closeReason"],
      [{ companyId: "no-such-company" }, "companyId"],
      [{ contactIds: ["no-such-contact"] }, "contactIds"],
      [{ ownerId: "no-such-user" }, "ownerId"],
    ];
    for (const [extra, path] of cases) {
      const response = await call("POST", "/api/v1/deals", p.as.repA, newDeal(extra));
      expect(response.status, JSON.stringify(extra)).toBe(422);
      expect(response.body.errors[0].path, JSON.stringify(extra)).toBe(path);
    }
  });

  it("refuses a rep giving a deal to another team's rep (they could not see it)", async () => {
    const response = await call("POST", "/api/v1/deals", p.as.repA, newDeal({ ownerId: p.repB.id }));
    expect(response.status).toBe(422);
    expect(response.body.errors[0].path).toBe("ownerId");
    const asAdmin = await call("POST", "/api/v1/deals", p.as.admin, newDeal({ ownerId: p.repB.id }));
    expect(asAdmin.status).toBe(201);
    expect(asAdmin.body).toMatchObject({ ownerId: p.repB.id, teamId: p.teamB });
  });

  it("refuses a read-only user and answers 404 for another team's deal", async () => {
    expect((await call("POST", "/api/v1/deals", p.as.readOnly, newDeal())).status).toBe(403);
    const theirs = await call("POST", "/api/v1/deals", p.as.repB, newDeal());
    expect(theirs.status).toBe(201);
    const id = theirs.body.id as string;
    for (const [method, path, body] of [
      ["GET", `/api/v1/deals/${id}`, undefined],
      ["PATCH", `/api/v1/deals/${id}`, { name: "Mine now" }],
      ["POST", `/api/v1/deals/${id}/move`, { stageId: STAGE.meeting }],
      ["DELETE", `/api/v1/deals/${id}`, undefined],
      ["POST", `/api/v1/deals/${id}/restore`, undefined],
    ] as const) {
      const response = await call(method, path, p.as.repA, body);
      expect(response.status, `${method} ${path}`).toBe(404);
    }
    const [row] = await t.db.select().from(deals).where(eq(deals.id, id));
    expect(row).toMatchObject({
      name: "Big deal",
      stageId: STAGE.qualification,
      deletedAt: null,
      version: 1,
    });
    // The manager of team A does not see team B's deal either; the admin does.
    expect((await call("GET", `/api/v1/deals/${id}`, p.as.managerA)).status).toBe(404);
    expect((await call("GET", `/api/v1/deals/${id}`, p.as.admin)).status).toBe(200);
  });
});

describe("changing deals", () => {
  it("patches fields, merges custom values and bumps the version; a stale If-Match is 412", async () => {
    const { body: deal } = await call(
      "POST",
      "/api/v1/deals",
      p.as.repA,
      newDeal({ custom: { source: "web", seats: 10 } }),
    );
    const patched = await call(
      "PATCH",
      `/api/v1/deals/${deal.id}`,
      { ...p.as.repA, "If-Match": 'W/"1"' },
      {
        name: "Bigger deal",
        amount: 200_000_000,
        custom: { seats: 20, source: null },
        expectedCloseDate: "2026-06-30",
      },
    );
    expect(patched.status).toBe(200);
    expect(patched.trips).toBe(1);
    expect(patched.headers.get("ETag")).toBe('W/"2"');
    expect(patched.body).toMatchObject({
      name: "Bigger deal",
      amount: 200_000_000,
      version: 2,
      custom: { seats: 20 },
      expectedCloseDate: "2026-06-30",
    });

    const stale = await call(
      "PATCH",
      `/api/v1/deals/${deal.id}`,
      { ...p.as.repA, "If-Match": 'W/"1"' },
      { name: "Lost update" },
    );
    expect(stale.status).toBe(412);
    const [row] = await t.db.select().from(deals).where(eq(deals.id, deal.id));
    expect(row?.name).toBe("Bigger deal");
  });

  it("refuses pipelineId without stageId", async () => {
    const { body: deal } = await call("POST", "/api/v1/deals", p.as.repA, newDeal());
    const response = await call("PATCH", `/api/v1/deals/${deal.id}`, p.as.repA, { pipelineId: SALES });
    expect(response.status).toBe(422);
  });

  it("deletes to the trash (404 afterwards, listed in the trash) and restores", async () => {
    const { body: deal } = await call("POST", "/api/v1/deals", p.as.repA, newDeal({ name: "Trash me" }));
    const deleted = await call("DELETE", `/api/v1/deals/${deal.id}`, p.as.repA);
    expect(deleted.status).toBe(204);
    expect(deleted.trips).toBe(1);
    expect((await call("GET", `/api/v1/deals/${deal.id}`, p.as.repA)).status).toBe(404);
    expect((await call("DELETE", `/api/v1/deals/${deal.id}`, p.as.repA)).status).toBe(404);
    const trash = await call("GET", "/api/v1/deals?deleted=true&limit=200", p.as.repA);
    expect(trash.body.items.map((d: { id: string }) => d.id)).toContain(deal.id);
    const live = await call("GET", "/api/v1/deals?limit=200", p.as.repA);
    expect(live.body.items.map((d: { id: string }) => d.id)).not.toContain(deal.id);

    const restored = await call("POST", `/api/v1/deals/${deal.id}/restore`, p.as.repA);
    expect(restored.status).toBe(200);
    expect(restored.body).toMatchObject({ id: deal.id, deletedAt: null, version: 3 });
    expect((await call("GET", `/api/v1/deals/${deal.id}`, p.as.repA)).status).toBe(200);
  });

  it("refuses to delete with a stale If-Match", async () => {
    const { body: deal } = await call("POST", "/api/v1/deals", p.as.repA, newDeal());
    await call("PATCH", `/api/v1/deals/${deal.id}`, p.as.repA, { name: "v2" });
    const response = await call("DELETE", `/api/v1/deals/${deal.id}`, { ...p.as.repA, "If-Match": 'W/"1"' });
    expect(response.status).toBe(412);
    expect((await call("GET", `/api/v1/deals/${deal.id}`, p.as.repA)).status).toBe(200);
  });
});

describe("moving deals between stages", () => {
  it("moves in one round trip, closing and opening history rows and writing a stage_change activity", async () => {
    const { body: deal } = await call("POST", "/api/v1/deals", p.as.repA, newDeal());
    const moved = await call("POST", `/api/v1/deals/${deal.id}/move`, p.as.repA, { stageId: STAGE.proposal });
    expect(moved.status).toBe(200);
    expect(moved.trips).toBe(1);
    expect(moved.body).toMatchObject({
      stageId: STAGE.proposal,
      stageName: "Proposal",
      probability: 50,
      forecastCategory: "best_case",
      version: 2,
      status: "open",
    });
    expect(moved.body.stageEnteredAt).toBeGreaterThanOrEqual(deal.stageEnteredAt);

    const history = await t.db
      .select()
      .from(dealStageHistory)
      .where(eq(dealStageHistory.dealId, deal.id))
      .orderBy(dealStageHistory.id);
    expect(history).toHaveLength(2);
    expect(history[0]).toMatchObject({ stageId: STAGE.qualification });
    expect(history[0]?.leftAt).toBeTypeOf("number");
    expect(history[1]).toMatchObject({ stageId: STAGE.proposal, leftAt: null, movedBy: p.repA.id });

    const timeline = await t.db.select().from(activities).where(eq(activities.dealId, deal.id));
    expect(timeline).toHaveLength(1);
    expect(timeline[0]).toMatchObject({
      type: "stage_change",
      actorUserId: p.repA.id,
      subject: "Qualification → Proposal",
    });
    expect(JSON.parse(timeline[0]?.metadata ?? "{}")).toMatchObject({
      fromStageId: STAGE.qualification,
      fromStage: "Qualification",
      toStageId: STAGE.proposal,
      toStage: "Proposal",
    });
  });

  it("treats a move to the same stage as a no-op", async () => {
    const { body: deal } = await call("POST", "/api/v1/deals", p.as.repA, newDeal());
    const same = await call("POST", `/api/v1/deals/${deal.id}/move`, p.as.repA, {
      stageId: STAGE.qualification,
    });
    expect(same.status).toBe(200);
    expect(same.body.version).toBe(1);
    expect(
      await t.db.select().from(dealStageHistory).where(eq(dealStageHistory.dealId, deal.id)),
    ).toHaveLength(1);
    expect(await t.db.select().from(activities).where(eq(activities.dealId, deal.id))).toHaveLength(0);
  });

  it("closes a deal won or lost (a lost stage needs a reason) and reopens it", async () => {
    const { body: deal } = await call("POST", "/api/v1/deals", p.as.repA, newDeal());
    const noReason = await call("POST", `/api/v1/deals/${deal.id}/move`, p.as.repA, { stageId: STAGE.lost });
    expect(noReason.status).toBe(422);
    expect(noReason.body.errors[0].path).toBe("closeReason");
    expect(
      await t.db.select().from(dealStageHistory).where(eq(dealStageHistory.dealId, deal.id)),
    ).toHaveLength(1);

    const lost = await call("POST", `/api/v1/deals/${deal.id}/move`, p.as.repA, {
      stageId: STAGE.lost,
      closeReason: "Budget cut",
    });
    expect(lost.body).toMatchObject({
      status: "lost",
      closeReason: "Budget cut",
      forecastCategory: "omitted",
    });
    expect(lost.body.closedAt).toBeTypeOf("number");

    // PATCH with a stageId is a move too.
    const reopened = await call("PATCH", `/api/v1/deals/${deal.id}`, p.as.repA, {
      stageId: STAGE.negotiation,
    });
    expect(reopened.body).toMatchObject({
      status: "open",
      closedAt: null,
      closeReason: null,
      stageId: STAGE.negotiation,
    });
    const won = await call("PATCH", `/api/v1/deals/${deal.id}`, p.as.repA, { stageId: STAGE.won, amount: 1 });
    expect(won.body).toMatchObject({ status: "won", amount: 1 });
    const history = await t.db.select().from(dealStageHistory).where(eq(dealStageHistory.dealId, deal.id));
    expect(history).toHaveLength(4);
    expect(history.filter((h) => h.leftAt === null)).toHaveLength(1);
    expect(await t.db.select().from(activities).where(eq(activities.dealId, deal.id))).toHaveLength(3);
  });

  it("refuses a stale If-Match and an unknown stage without writing history", async () => {
    const { body: deal } = await call("POST", "/api/v1/deals", p.as.repA, newDeal());
    await call("PATCH", `/api/v1/deals/${deal.id}`, p.as.repA, { name: "v2" });
    const stale = await call(
      "POST",
      `/api/v1/deals/${deal.id}/move`,
      { ...p.as.repA, "If-Match": 'W/"1"' },
      { stageId: STAGE.meeting },
    );
    expect(stale.status).toBe(412);
    const missing = await call("POST", `/api/v1/deals/${deal.id}/move`, p.as.repA, {});
    expect(missing.status).toBe(422);
    expect(missing.body.errors[0].path).toBe("stageId");
    const unknown = await call("POST", `/api/v1/deals/${deal.id}/move`, p.as.repA, { stageId: "nope" });
    expect(unknown.status).toBe(422);
    expect(
      await t.db.select().from(dealStageHistory).where(eq(dealStageHistory.dealId, deal.id)),
    ).toHaveLength(1);
    expect(await t.db.select().from(activities).where(eq(activities.dealId, deal.id))).toHaveLength(0);
  });
});
