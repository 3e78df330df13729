// Fixtures for the access matrix: deals records, and who may see each.
import type { FixtureMaker } from "./types.ts";

export const dealsFixtures: Record<string, FixtureMaker> = {};
