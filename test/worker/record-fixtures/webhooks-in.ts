// Fixtures for inbound webhooks: sources (one secret, or two during a rotation), deliveries in the inbox (a
// failed one, so that a replay may take it up), presets, and dead letters. All are the organisation's: every
// caller a route lets through sees them (the routes themselves keep them to admins).
import { newId } from "../../../db/ids.ts";
import { deadLetters, webhookInbox, webhookSources } from "../../../db/schema/index.ts";
import { PRESETS } from "../../../queues/webhooks-in/presets.ts";
import type { BodyMaker } from "./bodies.ts";
import type { FixtureMaker, World } from "./types.ts";

const genericLead = PRESETS.find((preset) => preset.id === "generic-lead");

/** The secret the retire sample names, by fixture id. */
const retirable = new Map<string, string>();

async function insertSource({ db }: World, secrets: number): Promise<string> {
  const id = newId();
  const now = Date.now();
  const list = Array.from({ length: secrets }, (_, i) => ({
    id: newId(),
    value: `fixture-secret-${i}-${crypto.randomUUID()}`,
    createdAt: now - i,
  }));
  await db.insert(webhookSources).values({
    id,
    name: "Fixture source",
    verification: "token",
    verificationConfig: JSON.stringify({ in: "header", name: "X-Token" }),
    secrets: JSON.stringify(list),
    mapping: JSON.stringify(genericLead?.mapping),
    createdAt: now,
    updatedAt: now,
  });
  const second = list[1];
  if (second) retirable.set(id, second.id);
  return id;
}

export const webhooksInFixtures: Record<string, FixtureMaker> = {
  webhook_preset: async () => ({ id: "generic-lead" }),
  webhook_source: async (world) => ({ id: await insertSource(world, 1) }),
  webhook_source_rotating: async (world) => ({ id: await insertSource(world, 2) }),
  webhook_inbox_delivery: async (world) => {
    const sourceId = await insertSource(world, 1);
    const id = newId();
    const now = Date.now();
    await world.db.insert(webhookInbox).values({
      id,
      sourceId,
      deliveryId: `fixture-${id}`,
      status: "failed",
      contentType: "application/json",
      body: JSON.stringify({ email: "matrix@example.com" }),
      verification: JSON.stringify({ kind: "token", secret: 1, timestamp: null, verifiedAt: now }),
      error: "Fixture failure",
      receivedAt: now,
      updatedAt: now,
    });
    return { id };
  },
  dead_letter: async ({ db }) => {
    const messageId = newId();
    const id = `crm-events:${messageId}`;
    await db.insert(deadLetters).values({
      id,
      queue: "crm-events",
      messageId,
      type: "matrix.test",
      body: JSON.stringify({ id: messageId, type: "matrix.test", createdAt: Date.now(), data: {} }),
      attempts: 10,
      error: "Failed every retry on crm-events",
      receivedAt: Date.now(),
    });
    return { id };
  },
};

export const webhooksInBodies: Record<string, BodyMaker> = {
  "POST /api/v1/webhook-sources": () => ({ name: "Matrix source", preset: "generic-lead" }),
  "PATCH /api/v1/webhook-sources/{id}": () => ({ name: "Renamed by the matrix", retentionDays: 14 }),
  "POST /api/v1/webhook-sources/{id}/secrets": () => ({}),
  "POST /api/v1/webhook-sources/{id}/secrets/retire": (_, fixture) => ({
    secretId: (fixture && retirable.get(fixture.id)) ?? "none",
  }),
  "POST /api/v1/webhook-inbox/replay": () => ({ status: "failed" }),
  "POST /api/v1/dead-letters/replay": () => ({ ids: ["crm-events:none"] }),
};
