// Webhook subscriptions: create (the secret made here and shown once), read, list, update (If-Match; turning
// one off keeps what it would have received as skipped deliveries), delete, and secret rotation with a grace
// period in which deliveries carry both signatures. Each operation is statements for one batch.
import { and, desc, eq, lt, type SQL, sql } from "drizzle-orm";
import { generateSecret } from "../../queues/webhooks-out/sign.ts";
import { type CallerRef, callerUserId } from "../caller.ts";
import type { Database } from "../client.ts";
import { newId } from "../ids.ts";
import { rowsForPage } from "../paging.ts";
import { type WebhookDisabledReason, webhookDeliveries, webhookSubscriptions } from "../schema/index.ts";

export interface SubscriptionInput {
  url: string;
  events: string[];
  description?: string | null | undefined;
  enabled?: boolean | undefined;
}

const fields = {
  id: webhookSubscriptions.id,
  url: webhookSubscriptions.url,
  description: webhookSubscriptions.description,
  events: webhookSubscriptions.events,
  enabled: webhookSubscriptions.enabled,
  disabledReason: webhookSubscriptions.disabledReason,
  disabledAt: webhookSubscriptions.disabledAt,
  previousSecretExpiresAt: webhookSubscriptions.previousSecretExpiresAt,
  lastSequence: webhookSubscriptions.lastSequence,
  lastSuccessAt: webhookSubscriptions.lastSuccessAt,
  version: webhookSubscriptions.version,
  createdAt: webhookSubscriptions.createdAt,
  updatedAt: webhookSubscriptions.updatedAt,
};

export type SubscriptionRow = {
  id: string;
  url: string;
  description: string | null;
  events: string;
  enabled: boolean;
  disabledReason: WebhookDisabledReason | null;
  disabledAt: number | null;
  previousSecretExpiresAt: number | null;
  lastSequence: number;
  lastSuccessAt: number | null;
  version: number;
  createdAt: number;
  updatedAt: number;
};

/** The subscription as the API shows it: never its secret (that is shown once, when made or rotated). */
export function toSubscription(row: SubscriptionRow, now = Date.now()) {
  const { previousSecretExpiresAt, ...rest } = row;
  return {
    ...rest,
    events: JSON.parse(row.events) as string[],
    // A rotation's grace period that is over is no rotation any more.
    previousSecretExpiresAt:
      previousSecretExpiresAt !== null && previousSecretExpiresAt > now ? previousSecretExpiresAt : null,
  };
}

/** Newest first, keyset-paged by id. */
export function listSubscriptionsQuery(
  db: Database,
  options: { before?: string | undefined; limit: number },
) {
  return db
    .select(fields)
    .from(webhookSubscriptions)
    .where(options.before ? lt(webhookSubscriptions.id, options.before) : undefined)
    .orderBy(desc(webhookSubscriptions.id))
    .limit(rowsForPage(options.limit));
}

export function readSubscriptionQuery(db: Database, id: string) {
  return db.select(fields).from(webhookSubscriptions).where(eq(webhookSubscriptions.id, id));
}

/** The insert (returning the row, and the secret for the one answer that shows it). */
export function createSubscriptionStatement(
  db: Database,
  me: CallerRef,
  input: SubscriptionInput,
  now: number,
) {
  const enabled = input.enabled ?? true;
  return db
    .insert(webhookSubscriptions)
    .values({
      id: newId(),
      url: input.url,
      description: input.description ?? null,
      events: JSON.stringify(input.events),
      secret: generateSecret(),
      enabled,
      disabledReason: enabled ? null : "manual",
      disabledAt: enabled ? null : now,
      createdBy: callerUserId(me),
      createdAt: now,
      updatedAt: now,
    })
    .returning({ ...fields, secret: webhookSubscriptions.secret });
}

/**
 * Pending deliveries of a subscription that is now disabled become skipped: kept in the log, sent only when an
 * admin replays them. `when` narrows it to the batch that disabled it.
 */
export function skipPendingStatement(db: Database, subscriptionId: string, when: SQL = sql`1`) {
  return db.run(sql`update ${webhookDeliveries}
       set status = 'skipped', next_attempt_at = null,
           error = 'Not sent: the subscription was disabled. Replay it once the subscription is enabled again.'
     where ${webhookDeliveries.subscriptionId} = ${subscriptionId} and ${webhookDeliveries.status} = 'pending'
       and exists (select 1 from ${webhookSubscriptions} s where s.id = ${subscriptionId} and s.enabled = 0)
       and (${when})`);
}

/**
 * The update (only at the version If-Match names, when it names one), then, if it disabled the subscription,
 * its pending deliveries skipped, then the row as it is now (to tell a stale version from a missing row).
 */
export function updateSubscriptionStatements(
  db: Database,
  id: string,
  input: Partial<SubscriptionInput>,
  ifMatch: number | null,
  now: number,
) {
  const { enabled } = input;
  return [
    db
      .update(webhookSubscriptions)
      .set({
        ...(input.url !== undefined ? { url: input.url } : {}),
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(input.events !== undefined ? { events: JSON.stringify(input.events) } : {}),
        ...(enabled === true ? { enabled, disabledReason: null, disabledAt: null } : {}),
        // Turning off one already off keeps the reason it went off for (a 410, say).
        ...(enabled === false
          ? {
              enabled,
              disabledReason: sql`case when ${webhookSubscriptions.enabled} = 1 then 'manual' else ${webhookSubscriptions.disabledReason} end`,
              disabledAt: sql`coalesce(${webhookSubscriptions.disabledAt}, ${now})`,
            }
          : {}),
        version: sql`${webhookSubscriptions.version} + 1`,
        updatedAt: now,
      })
      .where(
        and(
          eq(webhookSubscriptions.id, id),
          ifMatch === null ? undefined : eq(webhookSubscriptions.version, ifMatch),
        ),
      )
      .returning(fields),
    skipPendingStatement(db, id, enabled === false ? sql`1` : sql`0`),
    readSubscriptionQuery(db, id),
  ] as const;
}

/** Deletes the subscription and its delivery log (the events stay for other subscriptions). */
export function deleteSubscriptionStatements(db: Database, id: string) {
  return [
    db.delete(webhookDeliveries).where(eq(webhookDeliveries.subscriptionId, id)),
    db
      .delete(webhookSubscriptions)
      .where(eq(webhookSubscriptions.id, id))
      .returning({ id: webhookSubscriptions.id }),
  ] as const;
}

/** How long the old secret keeps signing after a rotation, unless the request says otherwise. */
export const DEFAULT_ROTATION_GRACE_MS = 24 * 60 * 60_000;

/**
 * A new secret; the current one becomes the previous one and keeps signing until `now + graceMs` (0: at once).
 * Returns the row with the new secret, for the one answer that shows it.
 */
export function rotateSecretStatement(db: Database, id: string, graceMs: number, now: number) {
  return db
    .update(webhookSubscriptions)
    .set({
      previousSecret: graceMs > 0 ? sql`${webhookSubscriptions.secret}` : null,
      previousSecretExpiresAt: graceMs > 0 ? now + graceMs : null,
      secret: generateSecret(),
      version: sql`${webhookSubscriptions.version} + 1`,
      updatedAt: now,
    })
    .where(eq(webhookSubscriptions.id, id))
    .returning({ ...fields, secret: webhookSubscriptions.secret });
}
