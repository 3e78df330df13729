// Outgoing-webhook history is pruned by the daily housekeeping: delivered attempts after a month, failed and
// skipped ones (still replayable) after three, and an event's payload once no delivery needs it.
import { expect, it } from "vitest";
import { newId } from "../../db/ids.ts";
import { webhookDeliveries, webhookEvents, webhookSubscriptions } from "../../db/schema/index.ts";
import {
  KEEP_DELIVERED_MS,
  KEEP_UNDELIVERED_MS,
  pruneWebhookHistory,
} from "../../db/webhooks-out/retention.ts";
import { useTestDatabase } from "./support.ts";

const t = useTestDatabase();
const NOW = Date.UTC(2026, 10, 23, 3, 17);
const DAY = 24 * 60 * 60_000;

it("keeps what may still be needed and prunes the rest", async () => {
  const subscriptionId = newId();
  await t.db.insert(webhookSubscriptions).values({
    id: subscriptionId,
    url: "https://hooks.example.com/crm",
    events: '["*"]',
    secret: "whsec_dGVzdA==",
    createdAt: 0,
    updatedAt: 0,
  });
  const at = {
    oldDelivered: NOW - KEEP_DELIVERED_MS - DAY,
    recentDelivered: NOW - KEEP_DELIVERED_MS + DAY,
    oldFailed: NOW - KEEP_UNDELIVERED_MS - DAY,
    failedWithinThreeMonths: NOW - KEEP_DELIVERED_MS - DAY,
  };
  const status = {
    oldDelivered: "delivered",
    recentDelivered: "delivered",
    oldFailed: "failed",
    failedWithinThreeMonths: "skipped",
  } as const;
  let sequence = 0;
  for (const [name, createdAt] of Object.entries(at) as [keyof typeof at, number][]) {
    await t.db
      .insert(webhookEvents)
      .values({ id: name, type: "contact.created", occurredAt: createdAt, data: "{}", createdAt });
    await t.db.insert(webhookDeliveries).values({
      id: `d-${name}`,
      subscriptionId,
      eventId: name,
      eventType: "contact.created",
      sequence: ++sequence,
      status: status[name],
      createdAt,
    });
  }

  expect(await pruneWebhookHistory(t.db, NOW)).toBe(4);
  const deliveries = await t.db.select({ id: webhookDeliveries.id }).from(webhookDeliveries);
  expect(deliveries.map((d) => d.id).sort()).toEqual(["d-failedWithinThreeMonths", "d-recentDelivered"]);
  const events = await t.db.select({ id: webhookEvents.id }).from(webhookEvents);
  expect(events.map((e) => e.id).sort()).toEqual(["failedWithinThreeMonths", "recentDelivered"]);
  expect(await pruneWebhookHistory(t.db, NOW)).toBe(0);
});
