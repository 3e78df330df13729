// Fixtures for sequences: a sequence (the organisation's: every caller who may read sequences sees it), with a
// contact of rep A's that the sample bodies enrol and unenrol (callers who may not see the contact get a
// per-contact not_found in a 200).
import { newId } from "../../../db/ids.ts";
import { contacts, sequences } from "../../../db/schema/index.ts";
import type { BodyMaker } from "./bodies.ts";
import type { FixtureMaker, World } from "./types.ts";

const STEPS = [{ type: "task", delayDays: 1, title: "Call", priority: "normal", dueInDays: 0 }];

async function contactOfRepA({ db, people, teamA }: World) {
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
  return id;
}

/** The contact each sequence fixture's sample bodies name. */
const contactFor = new Map<string, string>();

export const sequenceFixtures: Record<string, FixtureMaker> = {
  sequence: async (world) => {
    const { db } = world;
    const id = newId();
    const now = Date.now();
    await db
      .insert(sequences)
      .values({ id, name: "Fixture cadence", steps: JSON.stringify(STEPS), createdAt: now, updatedAt: now });
    contactFor.set(id, await contactOfRepA(world));
    return { id };
  },
};

const contactIds: BodyMaker = (_, fixture) => ({
  contactIds: [(fixture && contactFor.get(fixture.id)) ?? "none"],
});

export const sequenceBodies: Record<string, BodyMaker> = {
  "POST /api/v1/sequences": () => ({ name: "Matrix cadence", steps: STEPS }),
  "PATCH /api/v1/sequences/{id}": () => ({ name: "Renamed by the matrix" }),
  "POST /api/v1/sequences/{id}/enrolments": contactIds,
  "POST /api/v1/sequences/{id}/unenrolments": contactIds,
};
