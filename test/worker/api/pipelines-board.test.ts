import { beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "../support.ts";
import { caller, type Json, type People, people } from "./deals-helpers.ts";

const t = useTestDatabase();
const call = caller(t);
let p: People;
let pipelineId: string;
let first: string;
let second: string;
let archived: string;

beforeAll(async () => {
  p = await people(t);
  const { body } = await call("POST", "/api/v1/pipelines", p.as.admin, {
    name: "Board",
    stages: [
      { name: "Early", probability: 20, forecastCategory: "pipeline" },
      { name: "Late", probability: 50, forecastCategory: "best_case" },
      { name: "Old", probability: 70, forecastCategory: "commit" },
    ],
  });
  pipelineId = body.id;
  [first, second, archived] = body.stages.map((s: { id: string }) => s.id);
  const deal = (
    headers: Record<string, string>,
    stageId: string | undefined,
    amount: number,
    currency: string,
  ) =>
    call("POST", "/api/v1/deals", headers, {
      name: `${currency} ${amount}`,
      amount,
      currency,
      pipelineId,
      stageId,
    });
  await deal(p.as.repA, first, 1000, "USD");
  await deal(p.as.repA, first, 3000, "USD");
  await deal(p.as.repA, first, 500_000, "VND");
  await deal(p.as.repA, second, 333, "USD");
  await deal(p.as.repB, first, 7000, "USD");
  // A deleted deal counts nowhere.
  const { body: gone } = await deal(p.as.repA, first, 9999, "USD");
  await call("DELETE", `/api/v1/deals/${gone.id}`, p.as.repA);
  await call("PATCH", `/api/v1/stages/${archived}`, p.as.admin, { archived: true });
});

const stageOf = (board: Json, id: string | undefined) => board.stages.find((s: Json) => s.stage.id === id);

describe("the pipeline board", () => {
  it("gives a rep their own deals' counts, totals per currency and weighted totals, in one round trip", async () => {
    const { status, body, trips } = await call("GET", `/api/v1/pipelines/${pipelineId}/board`, p.as.repA);
    expect(status).toBe(200);
    expect(trips).toBe(1);
    expect(body.pipeline.id).toBe(pipelineId);
    // The archived stage holds no deal, so it is not shown; the others are in order.
    expect(body.stages.map((s: Json) => s.stage.name)).toEqual(["Early", "Late"]);
    const early = stageOf(body, first);
    expect(early.count).toBe(3);
    expect(early.totals).toEqual([
      { currency: "USD", count: 2, amount: 4000, weightedAmount: 800 },
      { currency: "VND", count: 1, amount: 500_000, weightedAmount: 100_000 },
    ]);
    expect(early.deals.map((d: Json) => d.amount)).toEqual([500_000, 3000, 1000]);
    expect(early.nextCursor).toBeNull();
    // 333 × 50% = 166.5, rounded once.
    expect(stageOf(body, second).totals).toEqual([
      { currency: "USD", count: 1, amount: 333, weightedAmount: 167 },
    ]);
  });

  it("never shows another team's deal, in the deals or the figures", async () => {
    const asB = await call("GET", `/api/v1/pipelines/${pipelineId}/board`, p.as.repB);
    const early = stageOf(asB.body, first);
    expect(early.count).toBe(1);
    expect(early.totals).toEqual([{ currency: "USD", count: 1, amount: 7000, weightedAmount: 1400 }]);
    expect(stageOf(asB.body, second).count).toBe(0);
    const asManager = await call("GET", `/api/v1/pipelines/${pipelineId}/board`, p.as.managerA);
    expect(stageOf(asManager.body, first).totals[0]).toEqual({
      currency: "USD",
      count: 2,
      amount: 4000,
      weightedAmount: 800,
    });
    const asAdmin = await call("GET", `/api/v1/pipelines/${pipelineId}/board`, p.as.admin);
    expect(stageOf(asAdmin.body, first).totals[0]).toEqual({
      currency: "USD",
      count: 3,
      amount: 11_000,
      weightedAmount: 2200,
    });
  });

  it("follows a new stage probability at once", async () => {
    await call("PATCH", `/api/v1/stages/${second}`, p.as.admin, { probability: 100 });
    const { body } = await call("GET", `/api/v1/pipelines/${pipelineId}/board`, p.as.repA);
    expect(stageOf(body, second).totals[0].weightedAmount).toBe(333);
    await call("PATCH", `/api/v1/stages/${second}`, p.as.admin, { probability: 50 });
  });

  it("pages a stage: the first `limit` deals, then the deal list continues from the stage's cursor", async () => {
    const { body } = await call("GET", `/api/v1/pipelines/${pipelineId}/board?limit=2`, p.as.repA);
    const early = stageOf(body, first);
    expect(early.deals).toHaveLength(2);
    expect(early.count).toBe(3);
    expect(early.nextCursor).toBeTypeOf("string");
    const rest = await call(
      "GET",
      `/api/v1/deals?pipelineId=${pipelineId}&stageId=${first}&sort=-created&cursor=${encodeURIComponent(early.nextCursor)}`,
      p.as.repA,
    );
    expect(rest.body.items.map((d: Json) => d.amount)).toEqual([1000]);
    expect(rest.body.nextCursor).toBeNull();
  });

  it("shows a manager the team's deals in the columns, newest first, as well as in the figures", async () => {
    const { body } = await call("GET", `/api/v1/pipelines/${pipelineId}/board`, p.as.managerA);
    expect(stageOf(body, first).deals.map((d: Json) => d.amount)).toEqual([500_000, 3000, 1000]);
    const asAdmin = await call("GET", `/api/v1/pipelines/${pipelineId}/board?limit=3`, p.as.admin);
    expect(stageOf(asAdmin.body, first).deals.map((d: Json) => d.amount)).toEqual([7000, 500_000, 3000]);
  });

  it("keeps its figures equal to the deals themselves through moves, edits, hand-overs, deletes and restores", async () => {
    const made = await call("POST", "/api/v1/deals", p.as.repA, {
      name: "Changing",
      amount: 100,
      currency: "USD",
      pipelineId,
      stageId: first,
    });
    const id = made.body.id as string;
    const patch = async (change: Json) => {
      const res = await call("PATCH", `/api/v1/deals/${id}`, p.as.admin, change);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    };
    expect((await call("POST", `/api/v1/deals/${id}/move`, p.as.repA, { stageId: second })).status).toBe(200);
    await patch({ amount: 250 });
    await patch({ currency: "EUR" });
    await patch({ ownerId: p.repB.id });
    expect((await call("DELETE", `/api/v1/deals/${id}`, p.as.admin)).status).toBe(204);
    expect((await call("POST", `/api/v1/deals/${id}/restore`, p.as.admin)).status).toBe(200);
    await patch({ teamId: null });
    const counted = await t.db.$client.execute({
      sql: `select stage_id, currency, count(*) as n, sum(amount) as amount from deals
        where pipeline_id = ? and deleted_at is null group by 1, 2 order by 1, 2`,
      args: [pipelineId],
    });
    const expected = counted.rows.map((r) => ({
      stageId: r.stage_id,
      currency: r.currency,
      count: Number(r.n),
      amount: Number(r.amount),
    }));
    const { body } = await call("GET", `/api/v1/pipelines/${pipelineId}/board`, p.as.admin);
    const shown = body.stages
      .flatMap((s: Json) => s.totals.map((x: Json) => ({ stageId: s.stage.id, ...x })))
      .map(({ stageId, currency, count, amount }: Json) => ({ stageId, currency, count, amount }))
      .sort((a: Json, b: Json) => (a.stageId + a.currency < b.stageId + b.currency ? -1 : 1));
    expect(shown).toEqual(expected);
    expect(stageOf(body, second).totals).toContainEqual(
      expect.objectContaining({ currency: "EUR", count: 1, amount: 250 }),
    );
  });

  it("answers 404 for an unknown pipeline and 422 for a bad limit", async () => {
    expect((await call("GET", "/api/v1/pipelines/nope/board", p.as.repA)).status).toBe(404);
    expect((await call("GET", `/api/v1/pipelines/${pipelineId}/board?limit=0`, p.as.repA)).status).toBe(422);
  });
});
