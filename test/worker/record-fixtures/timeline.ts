// Fixtures for the access matrix: timeline records, and who may see each.
import type { FixtureMaker } from "./types.ts";

export const timelineFixtures: Record<string, FixtureMaker> = {};
