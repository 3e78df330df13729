// Fixtures for the report API: a campaign cost entry (the organisation's: every caller who reads reports sees
// it), and a valid cost to enter.
import { newId } from "../../../db/ids.ts";
import { reportCosts } from "../../../db/schema/index.ts";
import type { BodyMaker } from "./bodies.ts";
import type { FixtureMaker } from "./types.ts";

let n = 0;

export const reportFixtures: Record<string, FixtureMaker> = {
  report_cost: async ({ db }) => {
    const id = newId();
    n += 1;
    const now = Date.now();
    await db.insert(reportCosts).values({
      id,
      dimension: "campaign",
      value: `matrix-${n}-${id.slice(-6)}`,
      month: "2026-05",
      currency: "VND",
      amount: 1_000_000,
      createdAt: now,
      updatedAt: now,
    });
    return { id };
  },
};

export const reportBodies: Record<string, BodyMaker> = {
  "PUT /api/v1/reports/costs": () => ({
    dimension: "campaign",
    value: "tet-2026",
    month: "2026-01",
    currency: "VND",
    amount: 5_000_000,
  }),
};
