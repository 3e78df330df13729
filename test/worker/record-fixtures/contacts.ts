// Fixtures for the access matrix: contacts, companies and custom-field definitions, and who may see each.
import { insertDefinitionStatement } from "../../../db/custom-fields.ts";
import { newId } from "../../../db/ids.ts";
import { companies, contacts } from "../../../db/schema/index.ts";
import { type FixtureMaker, VISIBLE_TO_OWNER_REP_A } from "./types.ts";

export const contactsFixtures: Record<string, FixtureMaker> = {
  contact: async ({ db, people, teamA }) => {
    const id = newId();
    const now = Date.now();
    await db.insert(contacts).values({
      id,
      name: `Fixture ${id.slice(-6)}`,
      ownerId: people.repA.id,
      teamId: teamA,
      createdAt: now,
      updatedAt: now,
    });
    return { id, visibleTo: VISIBLE_TO_OWNER_REP_A };
  },
  company: async ({ db, people, teamA }) => {
    const id = newId();
    const now = Date.now();
    await db.insert(companies).values({
      id,
      name: `Fixture ${id.slice(-6)}`,
      ownerId: people.repA.id,
      teamId: teamA,
      createdAt: now,
      updatedAt: now,
    });
    return { id, visibleTo: VISIBLE_TO_OWNER_REP_A };
  },
  // Definitions are organisation-wide: every caller the route lets through sees them.
  custom_field: async ({ db }) => {
    const [row] = await insertDefinitionStatement(
      db,
      { object: "company", key: `f_${newId().slice(-8).replace(/-/g, "")}`, label: "Fixture", type: "text" },
      Date.now(),
    );
    if (!row) throw new Error("no definition");
    return { id: row.id };
  },
};
