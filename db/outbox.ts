// The outbox: messages that leave the system (invitations, reset links) are written here, in the same batch
// as the change that causes them, and delivered later by the email engine. Locally it is the sink.
import { desc, lt } from "drizzle-orm";
import type { Database } from "./client.ts";
import { newId } from "./ids.ts";
import { rowsForPage } from "./paging.ts";
import { outbox } from "./schema/index.ts";

export interface OutboxMessage {
  recipient: string;
  subject: string;
  body: string;
  template: string;
}

export function outboxValues(message: OutboxMessage, now = Date.now()) {
  return { id: newId(), channel: "email" as const, status: "pending" as const, createdAt: now, ...message };
}

export function outboxStatement(db: Database, message: OutboxMessage, now = Date.now()) {
  return db.insert(outbox).values(outboxValues(message, now));
}

/** Newest first, keyset-paged by id. */
export function listOutboxQuery(db: Database, options: { before?: string; limit: number }) {
  return db
    .select()
    .from(outbox)
    .where(options.before ? lt(outbox.id, options.before) : undefined)
    .orderBy(desc(outbox.id))
    .limit(rowsForPage(options.limit));
}
