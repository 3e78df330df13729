// The outbox processor: claims due rows one by one (so overlapping runs never send a row twice), sends them,
// and records each outcome: sent, retried later with backoff, or failed for good after MAX_ATTEMPTS.
import { sql } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { idList } from "../../db/statements.ts";
import type { Config } from "../../functions/env.ts";
import { type OutgoingMessage, type SendOutcome, sendMessage } from "./channels.ts";

export const MAX_ATTEMPTS = 5;
/** A claimed row not recorded by then (the run died) is claimed again by a later run. */
export const SEND_LEASE_MS = 2 * 60_000;
const BATCH_LIMIT = 25;

/** 30 s after the first failure, doubling, at most an hour. */
export function backoffMs(attempts: number): number {
  return Math.min(30_000 * 2 ** Math.max(0, attempts - 1), 60 * 60_000);
}

interface Claimed extends OutgoingMessage {
  attempts: number;
}

export interface ProcessSummary {
  sent: number;
  retrying: number;
  failed: number;
}

type OutboxConfig = Pick<Config, "EMAIL_PROVIDER" | "EMAIL_API_KEY" | "EMAIL_FROM" | "APP_URL">;

/**
 * Claims up to BATCH_LIMIT due rows in one UPDATE (atomic, so a row is claimed by one run), each claim
 * counting an attempt. With the "log" provider, email rows stay pending: the outbox is the sink.
 */
async function claimDue(db: Database, config: OutboxConfig, now: number): Promise<Claimed[]> {
  const channels = config.EMAIL_PROVIDER === "log" ? ["slack", "teams"] : ["email", "slack", "teams"];
  const due = sql`(status = 'pending' and coalesce(next_attempt_at, 0) <= ${now})
                   or (status = 'sending' and lease_until <= ${now})`;
  const result = await db.run(sql`update outbox
       set status = 'sending', lease_until = ${now + SEND_LEASE_MS}, attempts = attempts + 1
     where id in (select id from outbox where (${due}) and channel in (${idList(channels)})
                   order by created_at limit ${BATCH_LIMIT})
       and (${due})
    returning id, channel, recipient, subject, body, html, link, attempts,
              (select url from notification_webhooks w where w.id = outbox.recipient) as webhook_url`);
  return result.rows.map((row) => ({
    id: String(row.id),
    channel: row.channel as Claimed["channel"],
    recipient: String(row.recipient),
    subject: String(row.subject),
    body: String(row.body),
    html: row.html === null ? null : String(row.html),
    link: row.link === null ? null : String(row.link),
    webhookUrl: row.webhook_url === null ? null : String(row.webhook_url),
    attempts: Number(row.attempts),
  }));
}

/** The update recording one outcome, applied only while the row is still this run's claim. */
function recordStatement(db: Database, message: Claimed, outcome: SendOutcome, now: number) {
  const mine = sql`id = ${message.id} and status = 'sending' and attempts = ${message.attempts}`;
  if (outcome.status === "sent") {
    return db.run(sql`update outbox set status = 'sent', sent_at = ${now}, provider_message_id = ${outcome.providerMessageId},
      last_error = null, lease_until = null, next_attempt_at = null where ${mine}`);
  }
  const giveUp = outcome.status === "failed" || message.attempts >= MAX_ATTEMPTS;
  const error =
    giveUp && outcome.status === "retry"
      ? `${outcome.error}; gave up after ${message.attempts} attempts`
      : outcome.error;
  return giveUp
    ? db.run(sql`update outbox set status = 'failed', last_error = ${error}, lease_until = null, next_attempt_at = null
        where ${mine}`)
    : db.run(sql`update outbox set status = 'pending', last_error = ${error}, lease_until = null,
        next_attempt_at = ${now + backoffMs(message.attempts)} where ${mine}`);
}

/** One pass: claim, send side by side, record all outcomes in one batch. */
export async function processOutbox(
  db: Database,
  config: OutboxConfig,
  now: number,
): Promise<ProcessSummary> {
  const claimed = await claimDue(db, config, now);
  const summary: ProcessSummary = { sent: 0, retrying: 0, failed: 0 };
  if (claimed.length === 0) return summary;
  const outcomes = await Promise.all(claimed.map((message) => sendMessage(config, message)));
  const statements = claimed.map((message, i) => {
    const outcome = outcomes[i] ?? { status: "retry" as const, error: "no outcome" };
    if (outcome.status === "sent") summary.sent += 1;
    else if (outcome.status === "retry" && message.attempts < MAX_ATTEMPTS) summary.retrying += 1;
    else summary.failed += 1;
    if (outcome.status !== "sent") {
      // The id, channel and a status code or error class: never the recipient URL, the body or a key.
      console.warn(
        JSON.stringify({
          level: "warn",
          engine: "outbound",
          outbox: message.id,
          channel: message.channel,
          attempts: message.attempts,
          error: outcome.error,
        }),
      );
    }
    return recordStatement(db, message, outcome, now);
  });
  const [first, ...rest] = statements;
  if (first) await db.batch([first, ...rest]);
  return summary;
}
