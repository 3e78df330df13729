// The inbound-webhook cron jobs. Every minute: deliveries the edge wrote to the inbox while the capture queue
// was down (or too large for a message), and replays whose message went missing, are put back on the queue,
// without their bodies (the consumer reads them from the row); with the queue still down, a few are processed
// on the spot. Daily: settled deliveries older than their source's retention are deleted.
import { eq } from "drizzle-orm";
import { webhookInbox } from "../../db/schema/index.ts";
import { pendingDeliveriesQuery, pruneInbox, touchDeliveriesStatement } from "../../db/webhooks-in/inbox.ts";
import type { CronJob } from "../cron/job.ts";
import type { QueueMessage } from "../message.ts";
import { VerificationRecordSchema, WEBHOOK_DELIVERY_TYPE, type WebhookDeliveryData } from "./messages.ts";
import { processDelivery } from "./process.ts";

/** A delivery this long untouched in "received" is taken to have no message on its way. */
export const PENDING_AFTER_MS = 60_000;
const PER_RUN = 500;
const DIRECTLY_PER_RUN = 20;

type InboxRow = Awaited<ReturnType<typeof pendingDeliveriesQuery>>[number];

function parsedRecord(text: string): Record<string, string> {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, string>)
      : {};
  } catch {
    return {};
  }
}

/** The message for a kept delivery: everything but its body, which stays in the row. */
export function pointerData(row: InboxRow, replay: boolean): WebhookDeliveryData {
  let verification: WebhookDeliveryData["verification"];
  try {
    verification = VerificationRecordSchema.parse(JSON.parse(row.verification));
  } catch {
    verification = { kind: "unknown", secret: 1, timestamp: null, verifiedAt: row.receivedAt };
  }
  return {
    v: 1,
    inboxId: row.id,
    sourceId: row.sourceId,
    deliveryId: row.deliveryId,
    receivedAt: row.receivedAt,
    contentType: row.contentType,
    headers: parsedRecord(row.headers),
    query: parsedRecord(row.queryParams),
    body: null,
    bodyEncoding: row.bodyEncoding,
    verification,
    replay,
  };
}

export function pointerMessage(data: WebhookDeliveryData, now: number): QueueMessage {
  return { id: data.inboxId, type: WEBHOOK_DELIVERY_TYPE, createdAt: now, data };
}

export const webhooksInSweep: CronJob = {
  name: "webhooks-in-sweep",
  staleAfterMs: 5 * 60_000,
  async run(services) {
    const { db } = services;
    const now = Date.now();
    const rows = await pendingDeliveriesQuery(db, now, PENDING_AFTER_MS, PER_RUN);
    if (rows.length === 0) return null;
    const pending = rows.map((row) => pointerData(row, row.replays > 0));
    try {
      for (let i = 0; i < pending.length; i += 100) {
        await services.queues.capture.sendBatch(
          pending.slice(i, i + 100).map((data) => ({ body: pointerMessage(data, now) })),
        );
      }
      await touchDeliveriesStatement(
        db,
        pending.map((d) => d.inboxId),
        now,
      );
      return `webhooks: ${pending.length} pending deliveries queued`;
    } catch (error) {
      console.warn(
        JSON.stringify({
          level: "warn",
          message: "capture queue down; processing deliveries directly",
          error: String(error),
        }),
      );
    }
    let processed = 0;
    for (const data of pending.slice(0, DIRECTLY_PER_RUN)) {
      try {
        await processDelivery(data, services);
        processed += 1;
      } catch (error) {
        // Its row stays received (or is processed, its events to follow): the next sweep tries again.
        console.error(JSON.stringify({ level: "error", inboxId: data.inboxId, error: String(error) }));
        await db
          .update(webhookInbox)
          .set({ updatedAt: now })
          .where(eq(webhookInbox.id, data.inboxId))
          .catch(() => undefined);
      }
    }
    return `webhooks: queue down, ${processed} of ${pending.length} pending deliveries processed directly`;
  },
};

export const webhooksInRetention: CronJob = {
  name: "webhooks-in-retention",
  staleAfterMs: 60 * 60_000,
  async run({ db }, scheduledAt) {
    const pruned = await pruneInbox(db, scheduledAt);
    return `pruned ${pruned} inbound webhook deliveries`;
  },
};
