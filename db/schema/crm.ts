// The records a sales team lives in: contacts, companies, pipelines and deals, the timeline, tasks and custom
// fields. Every owned record has an owner and a team (the access rule in db/caller.ts reads them), a version
// for ETags, and a soft-delete time.
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { teams, users } from "./auth.ts";

export const LIFECYCLE_STAGES = [
  "subscriber",
  "lead",
  "mql",
  "sql",
  "opportunity",
  "customer",
  "evangelist",
  "disqualified",
  "churned",
] as const;
export const LEAD_STATUSES = ["new", "attempting", "connected", "qualified", "unqualified"] as const;
export const FORECAST_CATEGORIES = ["pipeline", "best_case", "commit", "closed_won", "omitted"] as const;
export const ACTIVITY_TYPES = [
  "note",
  "call",
  "email",
  "meeting",
  "form_submission",
  "stage_change",
  "lifecycle_change",
  "owner_change",
  "score_change",
  "webhook_event",
  "system",
] as const;
export const CUSTOM_FIELD_TYPES = [
  "text",
  "number",
  "date",
  "select",
  "multi_select",
  "boolean",
  "url",
  "email",
  "phone",
] as const;
export const CUSTOM_FIELD_OBJECTS = ["contact", "company", "deal"] as const;

const owned = () => ({
  ownerId: text().references(() => users.id),
  teamId: text().references(() => teams.id),
  version: integer().notNull().default(1),
  createdAt: integer().notNull(),
  updatedAt: integer().notNull(),
  deletedAt: integer(),
});

export const companies = sqliteTable(
  "companies",
  {
    id: text().primaryKey(),
    name: text().notNull(),
    /** Lower-cased, without scheme, `www.` or path: the key for upserts and duplicate checks. */
    domain: text(),
    industry: text(),
    size: text(),
    country: text(),
    custom: text().notNull().default("{}"),
    ...owned(),
  },
  (t) => [
    uniqueIndex("companies_domain_idx")
      .on(t.domain)
      .where(sql`${t.deletedAt} is null and ${t.domain} is not null`),
    index("companies_owner_idx").on(t.ownerId, t.id),
    index("companies_team_idx").on(t.teamId, t.id),
    index("companies_name_idx").on(t.name, t.id),
    index("companies_updated_idx").on(t.updatedAt, t.id),
  ],
);

export const contacts = sqliteTable(
  "contacts",
  {
    id: text().primaryKey(),
    firstName: text(),
    lastName: text(),
    /** The display name, as the person writes it. */
    name: text().notNull(),
    /** The primary email, lower-cased: the key for upserts. All emails, primary first, are in `emails`. */
    email: text(),
    emails: text().notNull().default("[]"),
    /** The primary phone in E.164; all phones in `phones`. */
    phone: text(),
    phones: text().notNull().default("[]"),
    companyId: text().references(() => companies.id),
    jobTitle: text(),
    address: text(),
    lifecycleStage: text({ enum: LIFECYCLE_STAGES }).notNull().default("lead"),
    leadStatus: text({ enum: LEAD_STATUSES }),
    source: text(),
    firstTouch: text(),
    latestTouch: text(),
    emailConsent: text({ enum: ["granted", "withdrawn"] }),
    consentAt: integer(),
    consentSource: text(),
    fitScore: integer(),
    engagementScore: integer(),
    grade: text(),
    custom: text().notNull().default("{}"),
    ...owned(),
  },
  (t) => [
    uniqueIndex("contacts_email_idx")
      .on(t.email)
      .where(sql`${t.deletedAt} is null and ${t.email} is not null`),
    index("contacts_phone_idx").on(t.phone),
    index("contacts_owner_idx").on(t.ownerId, t.id),
    index("contacts_team_idx").on(t.teamId, t.id),
    index("contacts_company_idx").on(t.companyId, t.id),
    index("contacts_lifecycle_idx").on(t.lifecycleStage, t.id),
    index("contacts_lead_status_idx").on(t.leadStatus, t.id),
    index("contacts_created_idx").on(t.createdAt, t.id),
    index("contacts_updated_idx").on(t.updatedAt, t.id),
    index("contacts_name_idx").on(t.name, t.id),
  ],
);

export const contactTags = sqliteTable(
  "contact_tags",
  {
    contactId: text()
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    tag: text().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.contactId, t.tag] }),
    index("contact_tags_tag_idx").on(t.tag, t.contactId),
  ],
);

export const pipelines = sqliteTable("pipelines", {
  id: text().primaryKey(),
  name: text().notNull(),
  position: integer().notNull(),
  /** Archived pipelines keep their deals and history; they are hidden from new work. */
  archivedAt: integer(),
  createdAt: integer().notNull(),
  updatedAt: integer().notNull(),
});

export const stages = sqliteTable(
  "stages",
  {
    id: text().primaryKey(),
    pipelineId: text()
      .notNull()
      .references(() => pipelines.id),
    name: text().notNull(),
    position: integer().notNull(),
    /** Win probability, 0–100. */
    probability: integer().notNull(),
    forecastCategory: text({ enum: FORECAST_CATEGORIES }).notNull(),
    /** Closing stages: a deal entering one is won or lost. */
    outcome: text({ enum: ["won", "lost"] }),
    archivedAt: integer(),
    createdAt: integer().notNull(),
    updatedAt: integer().notNull(),
  },
  (t) => [index("stages_pipeline_idx").on(t.pipelineId, t.position)],
);

export const deals = sqliteTable(
  "deals",
  {
    id: text().primaryKey(),
    name: text().notNull(),
    /** Integer minor units of `currency` (cents, đồng). */
    amount: integer().notNull().default(0),
    currency: text().notNull(),
    pipelineId: text()
      .notNull()
      .references(() => pipelines.id),
    stageId: text()
      .notNull()
      .references(() => stages.id),
    stageEnteredAt: integer().notNull(),
    status: text({ enum: ["open", "won", "lost"] })
      .notNull()
      .default("open"),
    expectedCloseDate: text(),
    closedAt: integer(),
    companyId: text().references(() => companies.id),
    forecastOverride: text({ enum: FORECAST_CATEGORIES }),
    closeReason: text(),
    custom: text().notNull().default("{}"),
    ...owned(),
  },
  (t) => [
    index("deals_stage_idx").on(t.pipelineId, t.stageId, t.id),
    index("deals_owner_idx").on(t.ownerId, t.id),
    index("deals_team_idx").on(t.teamId, t.id),
    // The board's per-stage columns for a caller who sees their own or their teams' deals (db/deals.ts).
    index("deals_owner_stage_idx").on(t.ownerId, t.stageId, t.id),
    index("deals_team_stage_idx").on(t.teamId, t.stageId, t.id),
    index("deals_company_idx").on(t.companyId, t.id),
    index("deals_close_date_idx").on(t.expectedCloseDate, t.id),
    index("deals_updated_idx").on(t.updatedAt, t.id),
    // Report rollups recompute day buckets by creation and close time (queues/rollups/).
    index("deals_created_idx").on(t.createdAt),
    index("deals_closed_idx").on(t.closedAt).where(sql`${t.closedAt} is not null`),
  ],
);

/**
 * The board's counts and totals, kept by triggers on deals (migration 0009): live deals per stage, owner, team
 * and currency. The board sums the rows the caller may see, so its totals cost the same at any number of deals.
 * Owner and team are '' rather than null here, so that the key is unique.
 */
export const dealStageTotals = sqliteTable(
  "deal_stage_totals",
  {
    stageId: text().notNull(),
    ownerId: text().notNull(),
    teamId: text().notNull(),
    currency: text().notNull(),
    count: integer().notNull(),
    amount: integer().notNull(),
  },
  (t) => [primaryKey({ columns: [t.stageId, t.ownerId, t.teamId, t.currency] })],
);

export const dealContacts = sqliteTable(
  "deal_contacts",
  {
    dealId: text()
      .notNull()
      .references(() => deals.id, { onDelete: "cascade" }),
    contactId: text()
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
  },
  (t) => [
    primaryKey({ columns: [t.dealId, t.contactId] }),
    index("deal_contacts_contact_idx").on(t.contactId, t.dealId),
  ],
);

/** When a deal entered and left each stage. */
export const dealStageHistory = sqliteTable(
  "deal_stage_history",
  {
    id: text().primaryKey(),
    dealId: text()
      .notNull()
      .references(() => deals.id, { onDelete: "cascade" }),
    stageId: text()
      .notNull()
      .references(() => stages.id),
    enteredAt: integer().notNull(),
    leftAt: integer(),
    movedBy: text(),
  },
  (t) => [
    index("deal_stage_history_deal_idx").on(t.dealId, t.enteredAt),
    // Report rollups: stays in a stage by the day they began.
    index("deal_stage_history_entered_idx").on(t.enteredAt),
  ],
);

/** The timeline: every interaction and change, attached to the records it concerns. */
export const activities = sqliteTable(
  "activities",
  {
    id: text().primaryKey(),
    type: text({ enum: ACTIVITY_TYPES }).notNull(),
    occurredAt: integer().notNull(),
    actorUserId: text(),
    contactId: text().references(() => contacts.id),
    companyId: text().references(() => companies.id),
    dealId: text().references(() => deals.id),
    subject: text(),
    body: text(),
    /** Type-specific details: a call's outcome and duration, a stage change's from and to, … */
    metadata: text().notNull().default("{}"),
    createdAt: integer().notNull(),
    deletedAt: integer(),
  },
  (t) => [
    index("activities_contact_idx").on(t.contactId, t.occurredAt, t.id),
    index("activities_company_idx").on(t.companyId, t.occurredAt, t.id),
    index("activities_deal_idx").on(t.dealId, t.occurredAt, t.id),
    index("activities_occurred_idx").on(t.occurredAt, t.id),
  ],
);

export const tasks = sqliteTable(
  "tasks",
  {
    id: text().primaryKey(),
    title: text().notNull(),
    notes: text(),
    dueAt: integer(),
    remindAt: integer(),
    /** Set by the reminder engine once the reminder went out, so it goes out once. */
    reminderSentAt: integer(),
    /** Set by the reminders sweep when an open task's due time passed (it emits task.due); cleared when the due time moves later. */
    overdueAt: integer(),
    status: text({ enum: ["open", "done"] })
      .notNull()
      .default("open"),
    priority: text({ enum: ["low", "normal", "high"] })
      .notNull()
      .default("normal"),
    completedAt: integer(),
    contactId: text().references(() => contacts.id),
    companyId: text().references(() => companies.id),
    dealId: text().references(() => deals.id),
    ...owned(),
  },
  (t) => [
    index("tasks_owner_due_idx").on(t.ownerId, t.status, t.dueAt, t.id),
    index("tasks_team_idx").on(t.teamId, t.id),
    index("tasks_contact_idx").on(t.contactId, t.status),
    index("tasks_deal_idx").on(t.dealId, t.status),
    index("tasks_status_due_idx").on(t.status, t.dueAt, t.id),
    index("tasks_remind_idx").on(t.remindAt).where(sql`${t.reminderSentAt} is null and ${t.status} = 'open'`),
    index("tasks_overdue_idx").on(t.dueAt).where(sql`${t.overdueAt} is null and ${t.status} = 'open'`),
  ],
);

export const customFieldDefinitions = sqliteTable(
  "custom_field_definitions",
  {
    id: text().primaryKey(),
    object: text({ enum: CUSTOM_FIELD_OBJECTS }).notNull(),
    /** The key values are stored under, e.g. `budget_range`. */
    key: text().notNull(),
    label: text().notNull(),
    type: text({ enum: CUSTOM_FIELD_TYPES }).notNull(),
    required: integer({ mode: "boolean" }).notNull().default(false),
    /** For select and multi-select: the allowed values. */
    options: text().notNull().default("[]"),
    /** Extra rules: min/max for numbers, a pattern for text. */
    validation: text().notNull().default("{}"),
    position: integer().notNull().default(0),
    archivedAt: integer(),
    createdAt: integer().notNull(),
    updatedAt: integer().notNull(),
  },
  (t) => [uniqueIndex("custom_field_definitions_key_idx").on(t.object, t.key)],
);

/** Replays of POSTs sent with an Idempotency-Key: the first response, kept for a day. */
export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    /** The caller (user or API key) and the key they sent. */
    scope: text().notNull(),
    key: text().notNull(),
    method: text().notNull(),
    path: text().notNull(),
    bodyHash: text().notNull(),
    status: integer().notNull(),
    response: text().notNull(),
    createdAt: integer().notNull(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.key] }), index("idempotency_keys_created_idx").on(t.createdAt)],
);
