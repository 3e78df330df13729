// The timeline: logging, reading, editing and removing activities. An activity is seen by whoever may see one
// of the records it is attached to (contact, company, deal), and changed by whoever may change one of them.
import { and, desc, eq, isNull, type SQL, sql } from "drizzle-orm";
import type { BatchResponse } from "drizzle-orm/batch";
import { denyUnless } from "./access.ts";
import { activityValues } from "./activities.ts";
import { callerAuditStatement } from "./audit-queries.ts";
import { type CallerRef, callerUserId, canSeeRecord, canWriteRecord } from "./caller.ts";
import type { Database } from "./client.ts";
import { NotFoundError } from "./errors.ts";
import { type Page, rowsForPage } from "./paging.ts";
import { type ACTIVITY_TYPES, activities, companies, contacts, deals } from "./schema/index.ts";
import type { WriteContext } from "./statements.ts";

/** What people log by hand; only these can be edited or removed. System entries are history. */
export const LOGGED_TYPES = ["note", "call", "email", "meeting"] as const;
export type LoggedType = (typeof LOGGED_TYPES)[number];
export const CALL_OUTCOMES = ["connected", "no_answer", "left_voicemail", "busy", "wrong_number"] as const;

export interface Attachments {
  contactId?: string | undefined;
  companyId?: string | undefined;
  dealId?: string | undefined;
}

export interface LogActivityInput extends Attachments {
  type: LoggedType;
  occurredAt?: number | undefined;
  subject?: string | undefined;
  body?: string | undefined;
  /** Type-specific details: a call's outcome and duration, a meeting's times and attendees. */
  metadata: Record<string, unknown>;
}

export interface ActivityView {
  id: string;
  type: (typeof ACTIVITY_TYPES)[number];
  occurredAt: number;
  actorUserId: string | null;
  contactId: string | null;
  companyId: string | null;
  dealId: string | null;
  subject: string | null;
  body: string | null;
  metadata: Record<string, unknown>;
  createdAt: number;
  /** Whether people may edit or remove it (notes, calls, emails and meetings they logged). */
  editable: boolean;
}

// ---- keyset cursors over (time, id) ----

/** A cursor naming a row by its sort time and id, e.g. `1730000000000_0190…`. */
export interface TimeCursor {
  at: number;
  id: string;
}

export const TIME_CURSOR_PATTERN = /^(-?\d{1,15})_([0-9a-f-]{1,40})$/i;

export function encodeTimeCursor(cursor: TimeCursor): string {
  return `${cursor.at}_${cursor.id}`;
}

/** Null when the text is not a cursor this module made (the route rejects it with a 422 before). */
export function decodeTimeCursor(text: string | undefined): TimeCursor | null {
  const match = text === undefined ? null : TIME_CURSOR_PATTERN.exec(text);
  if (!match?.[1] || !match[2]) return null;
  return { at: Number(match[1]), id: match[2] };
}

// ---- who sees and changes an activity ----

type Parent = typeof contacts | typeof companies | typeof deals;

function parentAllows(me: CallerRef, parent: Parent, id: SQL | string, write: boolean): SQL {
  const rule = write ? canWriteRecord : canSeeRecord;
  return sql`exists (select 1 from ${parent} p where p.id = ${id} and p.deleted_at is null and ${rule(me, sql`p.owner_id`, sql`p.team_id`)})`;
}

/**
 * Whether the caller may see (or change) the activity row in scope: one of the records it is attached to is
 * visible (or writable) to them and not deleted.
 */
export function activityAllowed(me: CallerRef, write = false): SQL {
  return sql`((${activities.contactId} is not null and ${parentAllows(me, contacts, sql`${activities.contactId}`, write)})
    or (${activities.companyId} is not null and ${parentAllows(me, companies, sql`${activities.companyId}`, write)})
    or (${activities.dealId} is not null and ${parentAllows(me, deals, sql`${activities.dealId}`, write)}))`;
}

const loggedTypesSql = sql.join(
  LOGGED_TYPES.map((type) => sql`${type}`),
  sql`, `,
);
const isLoggedByPerson = sql`(${activities.type} in (${loggedTypesSql}) and ${activities.actorUserId} is not null)`;

// ---- reading ----

const activityFields = {
  id: activities.id,
  type: activities.type,
  occurredAt: activities.occurredAt,
  actorUserId: activities.actorUserId,
  contactId: activities.contactId,
  companyId: activities.companyId,
  dealId: activities.dealId,
  subject: activities.subject,
  body: activities.body,
  metadata: activities.metadata,
  createdAt: activities.createdAt,
  editable: sql<number>`${isLoggedByPerson}`,
};

type ActivityRow = Omit<typeof activities.$inferSelect, "deletedAt"> & { editable: number };

export function toActivityView(row: ActivityRow): ActivityView {
  return {
    ...row,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    editable: row.editable === 1,
  };
}

export function readActivityQuery(db: Database, me: CallerRef, id: string) {
  return db
    .select(activityFields)
    .from(activities)
    .where(and(eq(activities.id, id), isNull(activities.deletedAt), activityAllowed(me)));
}

export interface ActivityFilter extends Attachments {
  type?: (typeof ACTIVITY_TYPES)[number] | undefined;
  cursor?: TimeCursor | null | undefined;
  limit: number;
}

/**
 * Newest first, keyset-paged on (occurredAt, id): with a contact, company or deal this walks that record's
 * (…, occurred_at, id) index from the cursor on, so a deep page costs what the first does.
 */
export function listActivitiesQuery(db: Database, me: CallerRef, filter: ActivityFilter) {
  const { cursor } = filter;
  return db
    .select(activityFields)
    .from(activities)
    .where(
      and(
        filter.contactId !== undefined ? eq(activities.contactId, filter.contactId) : undefined,
        filter.companyId !== undefined ? eq(activities.companyId, filter.companyId) : undefined,
        filter.dealId !== undefined ? eq(activities.dealId, filter.dealId) : undefined,
        filter.type !== undefined ? eq(activities.type, filter.type) : undefined,
        cursor ? sql`(${activities.occurredAt}, ${activities.id}) < (${cursor.at}, ${cursor.id})` : undefined,
        isNull(activities.deletedAt),
        activityAllowed(me),
      ),
    )
    .orderBy(desc(activities.occurredAt), desc(activities.id))
    .limit(rowsForPage(filter.limit));
}

/** The page out of the rows listActivitiesQuery read; nextCursor names the last entry when more follow. */
export function activityPage(rows: ActivityRow[], limit: number): Page<ActivityView> {
  const kept = rows.slice(0, limit);
  const last = kept.at(-1);
  return {
    items: kept.map(toActivityView),
    nextCursor: rows.length > limit && last ? encodeTimeCursor({ at: last.occurredAt, id: last.id }) : null,
  };
}

// ---- writing ----

const NOT_EDITABLE =
  "Only notes, calls, emails and meetings that people logged can be changed or removed; system entries " +
  "such as stage changes are the record's history.";

/** Says what the batch's conflict guard means, for authorizedWrite's `conflict` option. */
export const ACTIVITY_CONFLICT = NOT_EDITABLE;

/** Every record the entry is attached to exists, is not deleted, and may be changed by the caller. */
function attachmentsWritable(me: CallerRef, input: Attachments): SQL {
  const checks: SQL[] = [];
  if (input.contactId !== undefined) checks.push(parentAllows(me, contacts, input.contactId, true));
  if (input.companyId !== undefined) checks.push(parentAllows(me, companies, input.companyId, true));
  if (input.dealId !== undefined) checks.push(parentAllows(me, deals, input.dealId, true));
  return checks.length === 0 ? sql`0` : sql.join(checks, sql` and `);
}

/** Logs a note, call, email or meeting; 404 unless the caller may change every record it is attached to. */
export function logActivity(db: Database, input: LogActivityInput, ctx: WriteContext) {
  const values = activityValues(
    {
      type: input.type,
      occurredAt: input.occurredAt,
      actorUserId: null,
      contactId: input.contactId,
      companyId: input.companyId,
      dealId: input.dealId,
      subject: input.subject,
      body: input.body,
      metadata: input.metadata,
    },
    ctx.now,
  );
  const statements = (me: CallerRef) =>
    [
      denyUnless(db, attachmentsWritable(me, input), "not_found"),
      db.insert(activities).values({ ...values, actorUserId: callerUserId(me) }),
      readActivityQuery(db, me, values.id),
    ] as const;
  return {
    statements,
    result([, , rows]: BatchResponse<ReturnType<typeof statements>>): ActivityView {
      const row = rows[0];
      if (!row) throw new NotFoundError("The activity was not found after logging it.");
      return toActivityView(row);
    },
  };
}

export interface ActivityPatch {
  occurredAt?: number | undefined;
  subject?: string | null | undefined;
  body?: string | null | undefined;
  /** Merged into the stored details (RFC 7396: a null removes a key). */
  metadata?: Record<string, unknown> | undefined;
  /** The type the details belong to, when details are given: call fields fit calls only, and so on. */
  metadataType?: LoggedType | undefined;
}

/** The patch's details do not fit the entry's type (e.g. a call outcome on a note), or a meeting would end before it starts. */
export class ActivityFieldsError extends Error {
  override name = "ActivityFieldsError";
}

function guards(db: Database, me: CallerRef, id: string) {
  const exists = sql`exists (select 1 from ${activities} where ${activities.id} = ${id} and ${activities.deletedAt} is null and ${activityAllowed(me, true)})`;
  const editable = sql`exists (select 1 from ${activities} where ${activities.id} = ${id} and ${isLoggedByPerson})`;
  return [denyUnless(db, exists, "not_found"), denyUnless(db, editable, "conflict")] as const;
}

/** Edits a logged entry: 404 when the caller may not change it, 409 for a system entry. */
export function editActivity(db: Database, id: string, patch: ActivityPatch) {
  const merged =
    patch.metadata === undefined
      ? sql`${activities.metadata}`
      : sql`json_patch(${activities.metadata}, ${JSON.stringify(patch.metadata)})`;
  // A meeting may not end before it starts, whichever of the two times the patch changes.
  const fits = and(
    patch.metadataType !== undefined ? eq(activities.type, patch.metadataType) : undefined,
    sql`(${activities.type} != 'meeting' or coalesce(json_extract(${merged}, '$.endsAt'), 0) >= coalesce(json_extract(${merged}, '$.startsAt'), 0))`,
  );
  const statements = (me: CallerRef) =>
    [
      ...guards(db, me, id),
      db
        .update(activities)
        .set({
          ...(patch.occurredAt !== undefined ? { occurredAt: patch.occurredAt } : {}),
          ...(patch.subject !== undefined ? { subject: patch.subject } : {}),
          ...(patch.body !== undefined ? { body: patch.body } : {}),
          metadata: merged,
        })
        .where(and(eq(activities.id, id), fits))
        .returning({ id: activities.id }),
      readActivityQuery(db, me, id),
    ] as const;
  return {
    statements,
    result([, , updated, rows]: BatchResponse<ReturnType<typeof statements>>): ActivityView {
      const row = rows[0];
      if (!row) throw new NotFoundError("Not found");
      if (updated.length === 0) {
        throw new ActivityFieldsError(
          patch.metadataType !== undefined && patch.metadataType !== row.type
            ? `These details belong to a ${patch.metadataType}; this entry is a ${row.type}.`
            : "A meeting cannot end before it starts.",
        );
      }
      return toActivityView(row);
    },
  };
}

/** Removes a logged entry from the timeline (soft delete), with an audit entry. */
export function removeActivity(db: Database, id: string, ctx: WriteContext) {
  return (me: CallerRef) =>
    [
      ...guards(db, me, id),
      db.update(activities).set({ deletedAt: ctx.now }).where(eq(activities.id, id)),
      callerAuditStatement(
        db,
        me,
        { action: "record.deleted", targetType: "activity", targetId: id },
        ctx.origin,
        ctx.now,
      ),
    ] as const;
}
