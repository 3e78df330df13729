// Fixtures for the access matrix: contacts records, and who may see each.
import type { FixtureMaker } from "./types.ts";

export const contactsFixtures: Record<string, FixtureMaker> = {};
