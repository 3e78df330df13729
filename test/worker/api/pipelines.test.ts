import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { deals } from "../../../db/schema/index.ts";
import { useTestDatabase } from "../support.ts";
import { caller, type People, people, SALES, STAGE } from "./deals-helpers.ts";

const t = useTestDatabase();
const call = caller(t);
let p: People;

beforeAll(async () => {
  p = await people(t);
});

const stageInput = [
  { name: "Discovery", probability: 20, forecastCategory: "pipeline" },
  { name: "Contract", probability: 90, forecastCategory: "commit" },
  { name: "Signed", probability: 100, forecastCategory: "closed_won", outcome: "won" },
];

describe("pipelines and stages", () => {
  it("lists the default Sales pipeline with its stages in order, to any deals reader", async () => {
    const list = await call("GET", "/api/v1/pipelines", p.as.readOnly);
    expect(list.status).toBe(200);
    expect(list.trips).toBe(1);
    const sales = list.body.items.find((x: { id: string }) => x.id === SALES);
    expect(sales.name).toBe("Sales");
    expect(
      sales.stages.map(
        (s: { name: string; probability: number; forecastCategory: string; outcome: string | null }) => [
          s.name,
          s.probability,
          s.forecastCategory,
          s.outcome,
        ],
      ),
    ).toEqual([
      ["Qualification", 10, "pipeline", null],
      ["Meeting", 20, "pipeline", null],
      ["Proposal", 50, "best_case", null],
      ["Negotiation", 80, "commit", null],
      ["Won", 100, "closed_won", "won"],
      ["Lost", 0, "omitted", "lost"],
    ]);
    const one = await call("GET", `/api/v1/pipelines/${SALES}`, p.as.repA);
    expect(one.body).toEqual(sales);
    expect((await call("GET", "/api/v1/pipelines/nope", p.as.repA)).status).toBe(404);
  });

  it("lets admins create, rename, reorder, move and archive pipelines; not reps", async () => {
    expect(
      (await call("POST", "/api/v1/pipelines", p.as.repA, { name: "Mine", stages: stageInput })).status,
    ).toBe(403);
    const created = await call("POST", "/api/v1/pipelines", p.as.admin, {
      name: "Enterprise",
      stages: stageInput,
    });
    expect(created.status).toBe(201);
    expect(created.trips).toBe(1);
    expect(created.body.position).toBeGreaterThan(0);
    const ids = created.body.stages.map((s: { id: string }) => s.id) as string[];
    expect(created.body.stages.map((s: { position: number }) => s.position)).toEqual([0, 1, 2]);

    const reordered = await call("PATCH", `/api/v1/pipelines/${created.body.id}`, p.as.admin, {
      name: "Enterprise deals",
      stageOrder: [ids[1], ids[0], ids[2]],
    });
    expect(reordered.status).toBe(200);
    expect(reordered.trips).toBe(1);
    expect(reordered.body.name).toBe("Enterprise deals");
    expect(reordered.body.stages.map((s: { name: string }) => s.name)).toEqual([
      "Contract",
      "Discovery",
      "Signed",
    ]);

    const partial = await call("PATCH", `/api/v1/pipelines/${created.body.id}`, p.as.admin, {
      stageOrder: [ids[0]],
      name: "Not applied",
    });
    expect(partial.status).toBe(422);
    const unchanged = await call("GET", `/api/v1/pipelines/${created.body.id}`, p.as.admin);
    expect(unchanged.body.name).toBe("Enterprise deals");

    const archived = await call("PATCH", `/api/v1/pipelines/${created.body.id}`, p.as.admin, {
      archived: true,
    });
    expect(archived.body.archivedAt).toBeTypeOf("number");
    const active = await call("GET", "/api/v1/pipelines", p.as.admin);
    expect(active.body.items.map((x: { id: string }) => x.id)).not.toContain(created.body.id);
    const all = await call("GET", "/api/v1/pipelines?includeArchived=true", p.as.admin);
    expect(all.body.items.map((x: { id: string }) => x.id)).toContain(created.body.id);
    // No deal enters an archived pipeline.
    const refused = await call("POST", "/api/v1/deals", p.as.admin, {
      name: "x",
      amount: 1,
      currency: "USD",
      pipelineId: created.body.id,
    });
    expect(refused.status).toBe(409);
    expect((await call("PATCH", "/api/v1/pipelines/nope", p.as.admin, { name: "x" })).status).toBe(404);
    expect((await call("POST", "/api/v1/pipelines", p.as.admin, { name: "Empty", stages: [] })).status).toBe(
      422,
    );
  });

  it("adds stages (at the end or a position) and changes them", async () => {
    const { body: pipeline } = await call("POST", "/api/v1/pipelines", p.as.admin, {
      name: "Partners",
      stages: stageInput,
    });
    const added = await call("POST", `/api/v1/pipelines/${pipeline.id}/stages`, p.as.admin, {
      name: "Demo",
      probability: 30,
      forecastCategory: "pipeline",
      position: 1,
    });
    expect(added.status).toBe(201);
    expect(added.trips).toBe(1);
    const after = await call("GET", `/api/v1/pipelines/${pipeline.id}`, p.as.admin);
    expect(after.body.stages.map((s: { name: string; position: number }) => [s.name, s.position])).toEqual([
      ["Discovery", 0],
      ["Demo", 1],
      ["Contract", 2],
      ["Signed", 3],
    ]);
    const changed = await call("PATCH", `/api/v1/stages/${added.body.id}`, p.as.admin, {
      probability: 35,
      forecastCategory: "best_case",
      name: "Live demo",
    });
    expect(changed.status).toBe(200);
    expect(changed.trips).toBe(1);
    expect(changed.body).toMatchObject({ name: "Live demo", probability: 35, forecastCategory: "best_case" });
    expect(
      (await call("PATCH", `/api/v1/stages/${added.body.id}`, p.as.repA, { probability: 1 })).status,
    ).toBe(403);
    expect((await call("PATCH", "/api/v1/stages/nope", p.as.admin, { probability: 1 })).status).toBe(404);
    expect(
      (await call("PATCH", `/api/v1/stages/${added.body.id}`, p.as.admin, { probability: 101 })).status,
    ).toBe(422);
    expect(
      (
        await call("POST", "/api/v1/pipelines/nope/stages", p.as.admin, {
          name: "x",
          probability: 1,
          forecastCategory: "pipeline",
        })
      ).status,
    ).toBe(404);
  });

  it("archives a stage: its deals stay and can leave, but none may enter (409)", async () => {
    const { body: pipeline } = await call("POST", "/api/v1/pipelines", p.as.admin, {
      name: "Renewals",
      stages: stageInput,
    });
    const [first, second] = pipeline.stages as { id: string }[];
    if (!first || !second) throw new Error("stages missing");
    const { body: inFirst } = await call("POST", "/api/v1/deals", p.as.repA, {
      name: "Stays",
      amount: 5,
      currency: "USD",
      stageId: first.id,
    });
    const { body: inSecond } = await call("POST", "/api/v1/deals", p.as.repA, {
      name: "Moves",
      amount: 5,
      currency: "USD",
      stageId: second.id,
    });
    const archived = await call("PATCH", `/api/v1/stages/${first.id}`, p.as.admin, { archived: true });
    expect(archived.body.archivedAt).toBeTypeOf("number");

    const [kept] = await t.db.select().from(deals).where(eq(deals.id, inFirst.id));
    expect(kept?.stageId).toBe(first.id);
    expect((await call("GET", `/api/v1/deals/${inFirst.id}`, p.as.repA)).status).toBe(200);

    const into = await call("POST", `/api/v1/deals/${inSecond.id}/move`, p.as.repA, { stageId: first.id });
    expect(into.status).toBe(409);
    const created = await call("POST", "/api/v1/deals", p.as.repA, {
      name: "x",
      amount: 1,
      currency: "USD",
      stageId: first.id,
    });
    expect(created.status).toBe(409);
    const out = await call("POST", `/api/v1/deals/${inFirst.id}/move`, p.as.repA, { stageId: second.id });
    expect(out.status).toBe(200);
    // A stage in another pipeline, named with this pipeline, is refused.
    const mismatch = await call("PATCH", `/api/v1/deals/${inSecond.id}`, p.as.repA, {
      pipelineId: pipeline.id,
      stageId: STAGE.meeting,
    });
    expect(mismatch.status).toBe(422);
    // Without a pipelineId, moving to another pipeline's stage moves the deal there.
    const across = await call("POST", `/api/v1/deals/${inSecond.id}/move`, p.as.repA, {
      stageId: STAGE.meeting,
    });
    expect(across.body).toMatchObject({ pipelineId: SALES, stageId: STAGE.meeting });
  });
});
