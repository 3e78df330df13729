// Fixtures for outgoing webhooks: an enabled subscription to a public endpoint, and a failed delivery of one
// (which an admin may read and replay). Both are the organisation's: every caller the routes let through
// (admins and their keys) sees them.
import { newId } from "../../../db/ids.ts";
import { webhookDeliveries, webhookEvents, webhookSubscriptions } from "../../../db/schema/index.ts";
import { generateSecret } from "../../../queues/webhooks-out/sign.ts";
import type { BodyMaker } from "./bodies.ts";
import type { FixtureMaker, World } from "./types.ts";

async function subscription(db: World["db"]) {
  const id = newId();
  const now = Date.now();
  await db.insert(webhookSubscriptions).values({
    id,
    url: "https://hooks.example.com/matrix",
    events: JSON.stringify(["contact.created"]),
    secret: generateSecret(),
    createdAt: now,
    updatedAt: now,
  });
  return id;
}

export const webhooksOutFixtures: Record<string, FixtureMaker> = {
  webhook_subscription: async ({ db }) => ({ id: await subscription(db) }),
  webhook_delivery: async ({ db }) => {
    const subscriptionId = await subscription(db);
    const eventId = `evt_fixture_${newId()}`;
    const id = newId();
    const now = Date.now();
    await db.insert(webhookEvents).values({
      id: eventId,
      type: "contact.created",
      occurredAt: now,
      data: JSON.stringify({ object: "contact", id: "c-fixture", record: { id: "c-fixture" } }),
      createdAt: now,
    });
    await db.insert(webhookDeliveries).values({
      id,
      subscriptionId,
      eventId,
      eventType: "contact.created",
      sequence: 1,
      status: "failed",
      attempts: 8,
      error: "HTTP 500; gave up after 8 attempts",
      createdAt: now,
    });
    return { id };
  },
};

export const webhooksOutBodies: Record<string, BodyMaker> = {
  "POST /api/v1/webhook-subscriptions": () => ({
    url: "https://hooks.example.com/matrix",
    events: ["contact.created", "deal.won"],
  }),
  "PATCH /api/v1/webhook-subscriptions/{id}": () => ({ description: "Renamed by the matrix" }),
  "POST /api/v1/webhook-subscriptions/{id}/rotate-secret": () => ({ graceSeconds: 60 }),
  "POST /api/v1/webhook-subscriptions/{id}/test": () => ({}),
  "POST /api/v1/webhook-deliveries/{id}/replay": () => ({}),
  "POST /api/v1/webhook-deliveries/replay": () => ({ ids: [newId()] }),
};
