// Lead capture: form definitions, and the log of every submission (kept, searchable, replayable), whatever
// became of it: processed into a lead, recognised as a double click, marked as spam, or failed.
import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { users } from "./auth.ts";

export const FORM_SUBMISSION_STATUSES = ["received", "processed", "duplicate", "spam", "failed"] as const;
export type FormSubmissionStatus = (typeof FORM_SUBMISSION_STATUSES)[number];

export const forms = sqliteTable(
  "forms",
  {
    id: text().primaryKey(),
    name: text().notNull(),
    /** The definition as the admin API takes it (functions/forms/definition.ts), without the secret below. */
    definition: text().notNull(),
    /** Cloudflare Turnstile's secret key, kept apart so that no read of the definition carries it by accident. */
    turnstileSecret: text(),
    /** Owner of the leads the form brings in, until assignment rules decide otherwise. */
    defaultOwnerId: text().references(() => users.id),
    version: integer().notNull().default(1),
    createdAt: integer().notNull(),
    updatedAt: integer().notNull(),
    /** Archived forms take no submissions (what still arrives is kept as failed, for replay after a restore). */
    archivedAt: integer(),
  },
  (t) => [index("forms_name_idx").on(t.name, t.id), index("forms_updated_idx").on(t.updatedAt, t.id)],
);

/**
 * One row per submission, keyed by the submission id the embed or the server made, so a second delivery of
 * the same submission finds its row and changes nothing. No foreign key to forms: a submission written
 * straight to the database while the queue is down is kept before anyone knows whether its form exists.
 */
export const formSubmissions = sqliteTable(
  "form_submissions",
  {
    id: text().primaryKey(),
    formId: text().notNull(),
    status: text({ enum: FORM_SUBMISSION_STATUSES }).notNull(),
    /** JSON list of why it is spam: honeypot, too_fast, turnstile, origin, ip_limit. */
    spamReasons: text().notNull().default("[]"),
    /** What was posted (fields, consent, render time, honeypot), as JSON; the Turnstile token is not kept. */
    payload: text().notNull(),
    /** The submitted email and name, once the form's mapping has said which fields they are: for search. */
    email: text(),
    name: text(),
    pageUrl: text(),
    referrer: text(),
    /** JSON: source, medium, campaign, term, content, read from the page URL. */
    utm: text(),
    userAgent: text(),
    clientIp: text(),
    origin: text(),
    visitorId: text(),
    /** Hash of the form, the submitter and the checked values: equal fingerprints close together are one lead. */
    fingerprint: text(),
    duplicateOf: text(),
    contactId: text(),
    dealId: text(),
    /** Why it failed: field errors (JSON) or a message. */
    error: text(),
    attempts: integer().notNull().default(0),
    /** The consumer run that decided the row; later statements of that run's batch act only under it. */
    claim: text(),
    receivedAt: integer().notNull(),
    processedAt: integer(),
    updatedAt: integer().notNull(),
  },
  (t) => [
    index("form_submissions_form_idx").on(t.formId, t.receivedAt, t.id),
    index("form_submissions_form_status_idx").on(t.formId, t.status, t.receivedAt, t.id),
    index("form_submissions_fingerprint_idx").on(t.formId, t.fingerprint, t.receivedAt),
    index("form_submissions_ip_idx").on(t.formId, t.clientIp, t.receivedAt),
    index("form_submissions_visitor_idx")
      .on(t.visitorId, t.receivedAt)
      .where(sql`${t.visitorId} is not null`),
    // The sweep's work list: submissions written straight to the database and not yet processed.
    index("form_submissions_pending_idx").on(t.updatedAt).where(sql`${t.status} = 'received'`),
  ],
);
