// Fixtures for workflows: a workflow (the organisation's: every caller the routes allow sees it), and runs on a
// contact of rep A's (seen as that contact is: rep A, the manager of team A, the admin and the admin's keys),
// one of them failed so that a retry succeeds. Sample bodies are valid workflows; the dry run tries the
// workflow fixture against a contact of rep A's.
import { newId } from "../../../db/ids.ts";
import { contacts, workflowRuns, workflows, workflowVersions } from "../../../db/schema/index.ts";
import type { BodyMaker } from "./bodies.ts";
import { type FixtureMaker, VISIBLE_TO_OWNER_REP_A, type World } from "./types.ts";

const definition = {
  trigger: { type: "record.created", recordType: "contact" },
  conditions: { all: [{ field: "lifecycleStage", op: "equals", value: "lead" }] },
  actions: [{ type: "create_task", title: "Call {{record.name}}", dueInDays: 1 }],
};

async function contactOfRepA({ db, people, teamA }: World) {
  const id = newId();
  const now = Date.now();
  await db.insert(contacts).values({
    id,
    name: `Workflow fixture ${id.slice(-6)}`,
    ownerId: people.repA.id,
    teamId: teamA,
    createdAt: now,
    updatedAt: now,
  });
  return id;
}

async function workflow(db: World["db"]) {
  const id = newId();
  const now = Date.now();
  await db.insert(workflows).values({
    id,
    name: "Fixture workflow",
    triggerType: "contact.created",
    signingSecret: "whsec_Zml4dHVyZS1zZWNyZXQtZml4dHVyZS1zZWNyZXQ=",
    createdAt: now,
    updatedAt: now,
  });
  await db.insert(workflowVersions).values({
    workflowId: id,
    version: 1,
    definition: JSON.stringify(definition),
    createdAt: now,
  });
  return id;
}

async function run(world: World, status: "completed" | "failed") {
  const workflowId = await workflow(world.db);
  const recordId = await contactOfRepA(world);
  const id = newId();
  const now = Date.now();
  await world.db.insert(workflowRuns).values({
    id,
    workflowId,
    version: 1,
    triggerKey: `fixture:${id}`,
    eventType: "contact.created",
    recordType: "contact",
    recordId,
    status,
    failedStep: status === "failed" ? 0 : null,
    error: status === "failed" ? "fixture failure" : null,
    startedAt: now,
    updatedAt: now,
    finishedAt: now,
  });
  return id;
}

/** The contact each workflow fixture's dry-run body tries. */
const contactFor = new Map<string, string>();

export const workflowFixtures: Record<string, FixtureMaker> = {
  workflow: async (world) => {
    const id = await workflow(world.db);
    contactFor.set(id, await contactOfRepA(world));
    return { id };
  },
  workflow_run: async (world) => ({ id: await run(world, "completed"), visibleTo: VISIBLE_TO_OWNER_REP_A }),
  failed_workflow_run: async (world) => ({
    id: await run(world, "failed"),
    visibleTo: VISIBLE_TO_OWNER_REP_A,
  }),
};

const body = (name: string) => ({ name, ...definition });

export const workflowBodies: Record<string, BodyMaker> = {
  "POST /api/v1/workflows": () => body("Matrix workflow"),
  "POST /api/v1/workflows/validate": () => body("Matrix workflow"),
  "PUT /api/v1/workflows/{id}": () => body("Replaced by the matrix"),
  "POST /api/v1/workflows/{id}/test": (_, fixture) => ({
    recordId: (fixture && contactFor.get(fixture.id)) ?? "none",
  }),
  "POST /api/v1/workflow-runs/{id}/retry": () => ({}),
};
