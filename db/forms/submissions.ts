// The submission log: the row the edge writes when the queue is down, the admin's filtered list and replay, and
// the sweep's work list. The consumer's own batch is in queues/capture/.
import { and, asc, desc, eq, gte, inArray, lt, lte, sql } from "drizzle-orm";
import type { CaptureData } from "../../queues/capture/message.ts";
import type { Database } from "../client.ts";
import { beforeCursor, containsText, rowsForPage } from "../paging.ts";
import { type FormSubmissionStatus, formSubmissions } from "../schema/index.ts";

export type SubmissionRow = typeof formSubmissions.$inferSelect;

/** The submission as the edge saw it, kept when the queue could not take it: the sweep processes it later. */
export function receivedSubmissionStatement(db: Database, data: CaptureData) {
  return db
    .insert(formSubmissions)
    .values({
      id: data.submissionId,
      formId: data.formId,
      status: "received",
      payload: JSON.stringify(data),
      pageUrl: data.page.url,
      referrer: data.page.referrer,
      utm: JSON.stringify(data.utm),
      userAgent: data.userAgent,
      clientIp: data.ip,
      origin: data.origin,
      visitorId: data.visitorId,
      receivedAt: data.receivedAt,
      updatedAt: data.receivedAt,
    })
    .onConflictDoNothing({ target: formSubmissions.id });
}

export interface SubmissionFilter {
  formId: string;
  status?: FormSubmissionStatus | undefined;
  q?: string | undefined;
  from?: number | undefined;
  to?: number | undefined;
  cursor?: { at: number; id: string } | null | undefined;
  limit: number;
}

/**
 * Newest first, keyset-paged on (receivedAt, id) along the form's (form, received) or (form, status, received)
 * index. `q` looks in the email and name the consumer extracted, and in the raw payload of rows not yet read.
 */
export function listSubmissionsQuery(db: Database, filter: SubmissionFilter) {
  const { cursor } = filter;
  const search = filter.q
    ? containsText([formSubmissions.email, formSubmissions.name, formSubmissions.payload], filter.q)
    : undefined;
  return db
    .select()
    .from(formSubmissions)
    .where(
      and(
        eq(formSubmissions.formId, filter.formId),
        filter.status ? eq(formSubmissions.status, filter.status) : undefined,
        filter.from !== undefined ? gte(formSubmissions.receivedAt, filter.from) : undefined,
        filter.to !== undefined ? lte(formSubmissions.receivedAt, filter.to) : undefined,
        cursor ? beforeCursor(formSubmissions.receivedAt, formSubmissions.id, cursor) : undefined,
        search,
      ),
    )
    .orderBy(desc(formSubmissions.receivedAt), desc(formSubmissions.id))
    .limit(rowsForPage(filter.limit));
}

export function submissionQuery(db: Database, id: string) {
  return db.select().from(formSubmissions).where(eq(formSubmissions.id, id));
}

/**
 * Puts a spam or failed submission back to "received", to be processed again (spam checks skipped). Returns
 * the row when it was replayable; nothing when it is missing or was not spam or failed.
 */
export function replaySubmissionStatement(db: Database, id: string, now: number) {
  return (
    db
      .update(formSubmissions)
      // Marked in the payload too, so that the sweep, should it take the row up first, replays it as well.
      .set({
        status: "received",
        updatedAt: now,
        error: null,
        payload: sql`json_set(${formSubmissions.payload}, '$.replay', json('true'))`,
      })
      .where(and(eq(formSubmissions.id, id), inArray(formSubmissions.status, ["spam", "failed"])))
      .returning()
  );
}

/** The sweep's work: submissions still "received" and untouched for `olderThanMs`, oldest first. */
export function pendingSubmissionsQuery(db: Database, now: number, olderThanMs: number, limit: number) {
  return db
    .select()
    .from(formSubmissions)
    .where(and(eq(formSubmissions.status, "received"), lt(formSubmissions.updatedAt, now - olderThanMs)))
    .orderBy(asc(formSubmissions.updatedAt))
    .limit(limit);
}

/** Marks pending submissions as handed on (to the queue or to processing), so the next sweep waits for them. */
export function touchSubmissionsStatement(db: Database, ids: string[], now: number) {
  return db
    .update(formSubmissions)
    .set({ updatedAt: now })
    .where(and(inArray(formSubmissions.id, ids), eq(formSubmissions.status, "received")));
}
