// Fixtures for the CRM records (contacts, companies, pipelines, deals, activities, tasks, custom fields).
import type { FixtureMaker } from "./types.ts";

export const crmFixtures: Record<string, FixtureMaker> = {};
