// Fixtures for the access matrix: pipelines and stages (every deals reader sees them), and a deal owned by rep A
// in team A.
import { newId } from "../../../db/ids.ts";
import { dealStageHistory, deals, pipelines, stages } from "../../../db/schema/index.ts";
import { type FixtureMaker, VISIBLE_TO_OWNER_REP_A } from "./types.ts";

let count = 0;

async function makePipeline(db: Parameters<FixtureMaker>[0]["db"]) {
  const now = Date.now();
  const id = newId();
  const stageId = newId();
  count += 1;
  await db
    .insert(pipelines)
    .values({ id, name: `Fixture pipeline ${count}`, position: 100 + count, createdAt: now, updatedAt: now });
  await db.insert(stages).values({
    id: stageId,
    pipelineId: id,
    name: "Open",
    position: 0,
    probability: 40,
    forecastCategory: "pipeline",
    createdAt: now,
    updatedAt: now,
  });
  return { id, stageId };
}

export const dealsFixtures: Record<string, FixtureMaker> = {
  pipeline: async ({ db }) => ({ id: (await makePipeline(db)).id }),
  stage: async ({ db }) => ({ id: (await makePipeline(db)).stageId }),
  deal: async ({ db, people, teamA }) => {
    const { id: pipelineId, stageId } = await makePipeline(db);
    const id = newId();
    const now = Date.now();
    await db.insert(deals).values({
      id,
      name: "Fixture deal",
      amount: 100_000,
      currency: "USD",
      pipelineId,
      stageId,
      stageEnteredAt: now,
      ownerId: people.repA.id,
      teamId: teamA,
      createdAt: now,
      updatedAt: now,
    });
    await db.insert(dealStageHistory).values({ id: newId(), dealId: id, stageId, enteredAt: now });
    return { id, visibleTo: VISIBLE_TO_OWNER_REP_A };
  },
};
