// Fixtures for the outbound side: a failed outbox message (which an admin may replay) and a team's webhooks,
// which only admins and the team's own managers may see: here a fresh team that manager A leads.
import { newId } from "../../../db/ids.ts";
import { outboxValues } from "../../../db/outbox.ts";
import { notificationWebhooks, outbox } from "../../../db/schema/index.ts";
import { createTeam } from "../factories.ts";
import type { BodyMaker } from "./bodies.ts";
import type { FixtureMaker } from "./types.ts";

let count = 0;

export const outboundFixtures: Record<string, FixtureMaker> = {
  failed_outbox_message: async ({ db }) => {
    const message = outboxValues({
      recipient: "fixture@example.com",
      subject: "Fixture",
      body: "-",
      template: "test",
    });
    await db.insert(outbox).values({ ...message, status: "failed", attempts: 5, lastError: "HTTP 500" });
    return { id: message.id };
  },
  team_webhooks: async ({ db, people }) => {
    count += 1;
    const id = await createTeam(db, `Webhook team ${count}-${newId().slice(-6)}`, [
      { user: people.repA },
      { user: people.managerA, lead: true },
    ]);
    await db.insert(notificationWebhooks).values({
      id: newId(),
      teamId: id,
      channel: "slack",
      url: "https://hooks.slack.com/services/T0/B0/FIXTURE",
      createdAt: Date.now(),
    });
    return { id, visibleTo: ["managerA", "admin", "keyWithScope", "keyWithoutScope"] };
  },
};

export const outboundBodies: Record<string, BodyMaker> = {
  "POST /api/v1/outbox/{id}/replay": () => ({}),
  "POST /api/v1/outbox/replay": () => ({ template: "matrix", limit: 10 }),
  "PUT /api/v1/teams/{id}/webhooks": () => ({
    teams: "https://prod-01.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?sig=x",
  }),
};
