// Fixtures for the access matrix: scoring recompute jobs (organisation-wide: every caller let through sees
// them), and valid bodies for the scoring write routes.
import { newId } from "../../../db/ids.ts";
import { scoringJobs } from "../../../db/schema/index.ts";
import { DEFAULT_RULES } from "../../../queues/scoring/rules.ts";
import type { BodyMaker } from "./bodies.ts";
import type { FixtureMaker } from "./types.ts";

export const scoringFixtures: Record<string, FixtureMaker> = {
  scoring_job: async ({ db }) => {
    const id = newId();
    const now = Date.now();
    await db.insert(scoringJobs).values({
      id,
      kind: "rules",
      status: "done",
      rulesVersion: 0,
      asOf: now,
      createdAt: now,
      finishedAt: now,
    });
    return { id };
  },
};

export const scoringBodies: Record<string, BodyMaker> = {
  "PUT /api/v1/scoring/rules": () => DEFAULT_RULES,
  "POST /api/v1/scoring/contacts/{id}/dry-run": () => ({}),
};
