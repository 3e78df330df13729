// Timeline entries: every interaction and change, written in the same batch as the change it records.
import type { Database } from "./client.ts";
import { newId } from "./ids.ts";
import { type ACTIVITY_TYPES, activities } from "./schema/index.ts";

export interface ActivityInput {
  type: (typeof ACTIVITY_TYPES)[number];
  occurredAt?: number;
  actorUserId: string | null;
  contactId?: string | null;
  companyId?: string | null;
  dealId?: string | null;
  subject?: string | null;
  body?: string | null;
  metadata?: Record<string, unknown>;
}

export function activityValues(input: ActivityInput, now = Date.now()) {
  return {
    id: newId(),
    type: input.type,
    occurredAt: input.occurredAt ?? now,
    actorUserId: input.actorUserId,
    contactId: input.contactId ?? null,
    companyId: input.companyId ?? null,
    dealId: input.dealId ?? null,
    subject: input.subject ?? null,
    body: input.body ?? null,
    metadata: JSON.stringify(input.metadata ?? {}),
    createdAt: now,
  };
}

/** An insert to put into the batch that makes the change the activity records. */
export function activityStatement(db: Database, input: ActivityInput, now = Date.now()) {
  return db.insert(activities).values(activityValues(input, now));
}
