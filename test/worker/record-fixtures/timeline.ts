// Fixtures for the access matrix: timeline entries and tasks, and who may see each.
import { activityValues } from "../../../db/activities.ts";
import { newId } from "../../../db/ids.ts";
import { activities, contacts, tasks } from "../../../db/schema/index.ts";
import { type FixtureMaker, VISIBLE_TO_OWNER_REP_A } from "./types.ts";

export const timelineFixtures: Record<string, FixtureMaker> = {
  // A note rep A logged on a contact rep A owns in team A: seen by whoever sees the contact.
  activity: async ({ db, people, teamA }) => {
    const now = Date.now();
    const contactId = newId();
    await db.insert(contacts).values({
      id: contactId,
      name: "Timeline Fixture",
      ownerId: people.repA.id,
      teamId: teamA,
      createdAt: now,
      updatedAt: now,
    });
    const entry = activityValues(
      { type: "note", actorUserId: people.repA.id, contactId, body: "Fixture note" },
      now,
    );
    await db.insert(activities).values(entry);
    return { id: entry.id, visibleTo: VISIBLE_TO_OWNER_REP_A };
  },
  // A task assigned to rep A in team A.
  task: async ({ db, people, teamA }) => {
    const now = Date.now();
    const id = newId();
    await db.insert(tasks).values({
      id,
      title: "Fixture task",
      dueAt: now + 60 * 60_000,
      ownerId: people.repA.id,
      teamId: teamA,
      createdAt: now,
      updatedAt: now,
    });
    return { id, visibleTo: VISIBLE_TO_OWNER_REP_A };
  },
};
