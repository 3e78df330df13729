// Fixtures for the records of users and access: users, teams, API keys, audit entries, outbox messages.
import { auditValues } from "../../../db/audit.ts";
import { newId } from "../../../db/ids.ts";
import { outboxValues } from "../../../db/outbox.ts";
import { auditLog, outbox, users } from "../../../db/schema/index.ts";
import { apiKeyFor, createTeam } from "../factories.ts";
import type { FixtureMaker } from "./types.ts";

let count = 0;

export const authFixtures: Record<string, FixtureMaker> = {
  // An invited user (no password yet), so the invitation route has something to send.
  user: async ({ db }) => {
    const id = newId();
    const now = Date.now();
    count += 1;
    await db.insert(users).values({
      id,
      email: `fixture-${count}-${id.slice(-6)}@example.com`,
      name: `Fixture ${count}`,
      role: "rep",
      createdAt: now,
      updatedAt: now,
    });
    return { id };
  },
  team: async ({ db }) => {
    count += 1;
    return { id: await createTeam(db, `Fixture team ${count}`) };
  },
  // A key is seen by its owner and by admins: this one is the admin's, so reps and the read-only user may not.
  api_key: async ({ db, people }) => {
    const key = await apiKeyFor(db, people.admin, ["contacts:read"]);
    return { id: key.id, visibleTo: ["admin", "keyWithScope", "keyWithoutScope"] };
  },
  audit_entry: async ({ db, people }) => {
    const entry = auditValues(
      { action: "settings.changed", actorUserId: people.admin.id },
      { ip: null, userAgent: null, requestId: null },
    );
    await db.insert(auditLog).values(entry);
    return { id: entry.id };
  },
  outbox_message: async ({ db }) => {
    const message = outboxValues({
      recipient: "fixture@example.com",
      subject: "Fixture",
      body: "-",
      template: "test",
    });
    await db.insert(outbox).values(message);
    return { id: message.id };
  },
};
