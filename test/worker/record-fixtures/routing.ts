// Fixtures for the access matrix: a user's availability (seen by that user and by admins only; the matrix's
// fresh user is none of its callers, so only the admin and the admin's keys see it), and valid rules bodies.
import { createUser } from "../factories.ts";
import type { BodyMaker } from "./bodies.ts";
import type { FixtureMaker } from "./types.ts";

export const routingFixtures: Record<string, FixtureMaker> = {
  availability: async ({ db }) => ({
    id: (await createUser(db, { role: "rep", name: "Available rep" })).id,
    visibleTo: ["admin", "keyWithScope", "keyWithoutScope"],
  }),
};

export const routingBodies: Record<string, BodyMaker> = {
  "PUT /api/v1/assignment/rules": () => ({ rules: [], fallbackOwnerId: null }),
  "PUT /api/v1/sla/rules": () => ({ rules: [] }),
  "PUT /api/v1/users/{id}/availability": () => ({ outOfOffice: [], maxOpenLeads: 25 }),
};
