// Lead routing: assignment and speed-to-lead rules, users' availability, the round-robin rotation state, the
// log of assignments, the first-response clocks with their breaches, and the per-rep figures for reports.
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { users } from "./auth.ts";

export const RULESET_KINDS = ["assignment", "sla"] as const;
export type RulesetKind = (typeof RULESET_KINDS)[number];

/** One versioned JSON document per kind of rules (queues/assignment/rules.ts, queues/sla/rules.ts). */
export const routingRulesets = sqliteTable("routing_rulesets", {
  kind: text({ enum: RULESET_KINDS }).primaryKey(),
  definition: text().notNull(),
  version: integer().notNull().default(1),
  updatedAt: integer().notNull(),
  updatedBy: text(),
});

/** When a user takes leads: working hours in their own time zone, out-of-office ranges, a capacity. */
export const userAvailability = sqliteTable("user_availability", {
  userId: text()
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  /** JSON `{ mon: [{ start: "09:00", end: "17:00" }], … }`; null: any time. */
  workingHours: text(),
  /** JSON `[{ from, to }]`, epoch ms, `to` exclusive. */
  outOfOffice: text().notNull().default("[]"),
  /** Most contacts in an open lead status the user may own; null: no limit. */
  maxOpenLeads: integer(),
  version: integer().notNull().default(1),
  updatedAt: integer().notNull(),
});

/**
 * Smooth weighted round robin, one row per team member: every pick adds each eligible member's weight to
 * their credit, and the member with the most credit is picked and pays back the eligible weights' sum.
 */
export const rotationMembers = sqliteTable(
  "rotation_members",
  {
    rotation: text().notNull(),
    userId: text().notNull(),
    weight: integer().notNull().default(1),
    credit: integer().notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.rotation, t.userId] })],
);

/** One row per rotation (a team): the pick counter and the last pick, written by the pick itself. */
export const rotationState = sqliteTable("rotation_state", {
  rotation: text().primaryKey(),
  seq: integer().notNull().default(0),
  picked: text(),
  /** The claim of the run that made the last pick: later statements of that run's batch read `picked`. */
  lastClaim: text(),
  updatedAt: integer().notNull(),
});

/** Every assignment the engine made (or declined), keyed by the event that asked: a redelivery finds it. */
export const assignments = sqliteTable(
  "assignments",
  {
    eventId: text().primaryKey(),
    contactId: text().notNull(),
    claim: text().notNull(),
    reason: text({ enum: ["form", "sla_breach", "workflow"] }).notNull(),
    ruleId: text(),
    teamId: text(),
    previousOwnerId: text(),
    userId: text(),
    createdAt: integer().notNull(),
  },
  (t) => [index("assignments_contact_idx").on(t.contactId, t.createdAt)],
);

/** A new lead's first-response clock: started when the lead came in, stopped by a person's first touch. */
export const slaClocks = sqliteTable(
  "sla_clocks",
  {
    id: text().primaryKey(),
    contactId: text().notNull(),
    ownerId: text(),
    ruleId: text().notNull(),
    startedAt: integer().notNull(),
    dueAt: integer().notNull(),
    respondedAt: integer(),
    respondedBy: text(),
    responseMs: integer(),
    withinSla: integer({ mode: "boolean" }),
    breachedAt: integer(),
    createdAt: integer().notNull(),
  },
  (t) => [
    // One clock waiting for a first response per contact.
    uniqueIndex("sla_clocks_waiting_idx").on(t.contactId).where(sql`${t.respondedAt} is null`),
    index("sla_clocks_due_idx").on(t.dueAt).where(sql`${t.respondedAt} is null and ${t.breachedAt} is null`),
    index("sla_clocks_owner_response_idx")
      .on(t.ownerId, t.responseMs)
      .where(sql`${t.responseMs} is not null`),
    // Report rollups: clocks by the day they started, a contact's clocks, and the breaches since the last run.
    index("sla_clocks_created_idx").on(t.createdAt),
    index("sla_clocks_contact_idx").on(t.contactId, t.createdAt),
    index("sla_clocks_breached_idx").on(t.breachedAt).where(sql`${t.breachedAt} is not null`),
  ],
);

/** One row per breached clock: the key that makes a breach notify and escalate once. */
export const slaBreaches = sqliteTable("sla_breaches", {
  clockId: text().primaryKey(),
  contactId: text().notNull(),
  ownerId: text(),
  claim: text().notNull(),
  reassign: integer({ mode: "boolean" }).notNull(),
  createdAt: integer().notNull(),
});

/** Per-rep speed-to-lead figures, kept current by the first-response trigger and the breach job. */
export const slaRepStats = sqliteTable("sla_rep_stats", {
  userId: text().primaryKey(),
  responses: integer().notNull().default(0),
  withinSla: integer().notNull().default(0),
  breaches: integer().notNull().default(0),
  totalResponseMs: integer().notNull().default(0),
  updatedAt: integer().notNull(),
});
