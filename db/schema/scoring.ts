// Lead scoring: the versioned rule sets, each contact's score with the rules that made it (the "why"), the
// ledger of engagement events (keyed by event id, so a second delivery counts once), and the recompute jobs
// that fan a rules change or the daily decay out over every contact.
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, real, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { contacts } from "./crm.ts";

/** Every rule set ever saved; the current one is the highest version (none saved: the built-in default, 0). */
export const scoringRuleSets = sqliteTable("scoring_rule_sets", {
  version: integer().primaryKey(),
  /** The rule set as JSON (queues/scoring/rules.ts). */
  rules: text().notNull(),
  createdBy: text(),
  createdAt: integer().notNull(),
});

/** A contact's current scores, and the contributions of each rule that made them. */
export const contactScores = sqliteTable("contact_scores", {
  contactId: text()
    .primaryKey()
    .references(() => contacts.id, { onDelete: "cascade" }),
  fit: integer().notNull(),
  engagement: integer().notNull(),
  /** Engagement before rounding, so that decay does not lose what rounding would. */
  engagementExact: real().notNull(),
  grade: text(),
  rulesVersion: integer().notNull(),
  /** The explanation as JSON: per score, each rule's points and each group's raw and capped totals. */
  explanation: text().notNull(),
  /** As of when (the clock the computation used: the event's delivery, the job's time, the decay run's). */
  computedAt: integer().notNull(),
  /** Bumped by every write: a computation made from an older state does not overwrite a newer one. */
  version: integer().notNull(),
});

/** Engagement events, once each: the same event id delivered twice is one row. */
export const scoringEvents = sqliteTable(
  "scoring_events",
  {
    eventId: text().primaryKey(),
    contactId: text().notNull(),
    kind: text().notNull(),
    /** When it happened (not when it arrived): decay counts from here. */
    at: integer().notNull(),
    /** For form submissions: which form, so a rule can single one out. */
    formId: text(),
    receivedAt: integer().notNull(),
  },
  (t) => [index("scoring_events_contact_idx").on(t.contactId, t.at)],
);

export const SCORING_JOB_KINDS = ["rules", "decay"] as const;

/** A recompute over many contacts: planned into chunks of contacts, each chunk a queue message done once. */
export const scoringJobs = sqliteTable(
  "scoring_jobs",
  {
    id: text().primaryKey(),
    kind: text({ enum: SCORING_JOB_KINDS }).notNull(),
    status: text({ enum: ["planning", "running", "done"] }).notNull(),
    rulesVersion: integer().notNull(),
    /** The clock of the whole job: decay is computed as of this time. */
    asOf: integer().notNull(),
    /** Contacts to recompute (known once planned), and recomputed so far. */
    total: integer().notNull().default(0),
    done: integer().notNull().default(0),
    chunks: integer().notNull().default(0),
    chunksDone: integer().notNull().default(0),
    /** Contacts whose score changed. */
    changed: integer().notNull().default(0),
    /** The first contact id of each chunk (JSON), fixed when planned so that a redelivered plan sends the same chunks. */
    boundaries: text(),
    createdBy: text(),
    createdAt: integer().notNull(),
    finishedAt: integer(),
  },
  (t) => [index("scoring_jobs_status_idx").on(t.status, t.createdAt).where(sql`${t.status} != 'done'`)],
);

/** The chunks of a job that are done: a message delivered twice finds its chunk here and does nothing. */
export const scoringJobChunks = sqliteTable(
  "scoring_job_chunks",
  {
    jobId: text()
      .notNull()
      .references(() => scoringJobs.id, { onDelete: "cascade" }),
    chunk: integer().notNull(),
    contacts: integer().notNull(),
    changed: integer().notNull().default(0),
    finishedAt: integer().notNull(),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.chunk] })],
);
