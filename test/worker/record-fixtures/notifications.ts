// Fixtures for notifications: one in rep A's feed, which only rep A may see (a feed is its owner's alone).
import { newId } from "../../../db/ids.ts";
import { notifications } from "../../../db/schema/index.ts";
import type { BodyMaker } from "./bodies.ts";
import type { FixtureMaker } from "./types.ts";

export const notificationFixtures: Record<string, FixtureMaker> = {
  notification: async ({ db, people }) => {
    const id = newId();
    await db.insert(notifications).values({
      id,
      userId: people.repA.id,
      kind: "mention",
      title: "You were mentioned",
      body: "-",
      createdAt: Date.now(),
    });
    return { id, visibleTo: ["repA"] };
  },
};

export const notificationBodies: Record<string, BodyMaker> = {
  "PUT /api/v1/notifications/preferences": () => ({ reminder: ["in_app", "slack"] }),
  "PUT /api/v1/notifications/webhooks": () => ({ teams: null }),
};
