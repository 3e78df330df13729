// How long outgoing-webhook history is kept: delivered attempts for a month, failed and skipped ones (which
// an admin may still replay) for three months, and each event's payload as long as a delivery needs it.
import { sql } from "drizzle-orm";
import type { Database } from "../client.ts";
import { webhookDeliveries, webhookEvents } from "../schema/index.ts";

const DAY = 24 * 60 * 60_000;
export const KEEP_DELIVERED_MS = 30 * DAY;
export const KEEP_UNDELIVERED_MS = 90 * DAY;

export async function pruneWebhookHistory(db: Database, now: number): Promise<number> {
  const [deliveries, events] = await db.batch([
    db.run(sql`delete from ${webhookDeliveries}
      where (status = 'delivered' and created_at < ${now - KEEP_DELIVERED_MS})
         or (status in ('failed', 'skipped') and created_at < ${now - KEEP_UNDELIVERED_MS})`),
    db.run(sql`delete from ${webhookEvents} where created_at < ${now - KEEP_DELIVERED_MS}
      and not exists (select 1 from ${webhookDeliveries} d where d.event_id = ${webhookEvents.id})`),
  ]);
  return deliveries.rowsAffected + events.rowsAffected;
}
