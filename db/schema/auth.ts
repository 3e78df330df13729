// Users, teams, sessions, credentials and the audit log: who may do what, and the trace of what they did.

import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

export const ROLES = ["admin", "manager", "rep", "read_only"] as const;
export type Role = (typeof ROLES)[number];

export const users = sqliteTable(
  "users",
  {
    id: text().primaryKey(),
    email: text().notNull(),
    name: text().notNull(),
    locale: text().notNull().default("en"),
    timeZone: text().notNull().default("UTC"),
    role: text({ enum: ROLES }).notNull(),
    active: integer({ mode: "boolean" }).notNull().default(true),
    /** `pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>`; null until an invited user sets a password. */
    passwordHash: text(),
    totpSecret: text(),
    totpEnabledAt: integer(),
    /** The last TOTP time step accepted, so a code is accepted once only. */
    totpLastStep: integer(),
    createdAt: integer().notNull(),
    updatedAt: integer().notNull(),
  },
  (t) => [uniqueIndex("users_email_idx").on(t.email)],
);

export const teams = sqliteTable(
  "teams",
  {
    id: text().primaryKey(),
    name: text().notNull(),
    createdAt: integer().notNull(),
  },
  (t) => [uniqueIndex("teams_name_idx").on(t.name)],
);

export const teamMembers = sqliteTable(
  "team_members",
  {
    teamId: text()
      .notNull()
      .references(() => teams.id, { onDelete: "cascade" }),
    userId: text()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** A manager who leads the team sees its records. */
    isLead: integer({ mode: "boolean" }).notNull().default(false),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.userId] }), index("team_members_user_idx").on(t.userId)],
);

/** A login: the family of refresh tokens issued from it. Revoking it ends every token of the family. */
export const sessions = sqliteTable(
  "sessions",
  {
    id: text().primaryKey(),
    userId: text()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: integer().notNull(),
    expiresAt: integer().notNull(),
    lastUsedAt: integer().notNull(),
    revokedAt: integer(),
    revokedReason: text(),
    ip: text(),
    userAgent: text(),
  },
  (t) => [index("sessions_user_idx").on(t.userId)],
);

/** Refresh tokens, stored hashed; each is spent on use and replaced by the next of its family. */
export const refreshTokens = sqliteTable(
  "refresh_tokens",
  {
    tokenHash: text().primaryKey(),
    sessionId: text()
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    createdAt: integer().notNull(),
    expiresAt: integer().notNull(),
    spentAt: integer(),
  },
  (t) => [index("refresh_tokens_session_idx").on(t.sessionId)],
);

/** Single-use, expiring tokens sent by email: invitations and password resets. Stored hashed. */
export const oneTimeTokens = sqliteTable(
  "one_time_tokens",
  {
    tokenHash: text().primaryKey(),
    kind: text({ enum: ["invite", "password_reset"] }).notNull(),
    userId: text()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: integer().notNull(),
    expiresAt: integer().notNull(),
    usedAt: integer(),
  },
  (t) => [index("one_time_tokens_user_idx").on(t.userId, t.kind)],
);

export const recoveryCodes = sqliteTable(
  "recovery_codes",
  {
    userId: text()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    codeHash: text().notNull(),
    usedAt: integer(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.codeHash] })],
);

/** Failed-login counters per account and per IP: the authority behind the lockout. */
export const loginThrottle = sqliteTable("login_throttle", {
  key: text().primaryKey(),
  windowStart: integer().notNull(),
  failures: integer().notNull(),
  lockedUntil: integer(),
});

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text().primaryKey(),
    name: text().notNull(),
    /** The visible start of the key, to tell keys apart; the rest is only ever stored hashed. */
    prefix: text().notNull(),
    keyHash: text().notNull(),
    /** JSON array of scopes, e.g. ["contacts:read","deals:*"]. */
    scopes: text().notNull(),
    /** The key acts as this user, within its scopes. */
    userId: text()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: integer().notNull(),
    expiresAt: integer(),
    lastUsedAt: integer(),
    revokedAt: integer(),
  },
  (t) => [uniqueIndex("api_keys_hash_idx").on(t.keyHash), index("api_keys_user_idx").on(t.userId)],
);

/**
 * Messages that leave the system (invitations, reset links, notifications), delivered by the outbound engine
 * (queues/outbound/): `recipient` is an email address, or for Slack / Teams the id of a notification webhook
 * (the URL itself is a credential and stays in its table).
 */
export const outbox = sqliteTable(
  "outbox",
  {
    id: text().primaryKey(),
    channel: text({ enum: ["email", "slack", "teams"] }).notNull(),
    recipient: text().notNull(),
    subject: text().notNull(),
    body: text().notNull(),
    template: text().notNull(),
    /** pending → sending (claimed by one run until `leaseUntil`) → sent, or back to pending, or failed. */
    status: text({ enum: ["pending", "sending", "sent", "failed"] })
      .notNull()
      .default("pending"),
    createdAt: integer().notNull(),
    sentAt: integer(),
    html: text(),
    kind: text(),
    userId: text(),
    contactId: text(),
    notificationId: text(),
    link: text(),
    attempts: integer().notNull().default(0),
    /** Not sent before this time (the backoff after a failed attempt); null means at once. */
    nextAttemptAt: integer(),
    leaseUntil: integer(),
    /** What went wrong last, without secrets (a status code, an error class). */
    lastError: text(),
    providerMessageId: text(),
  },
  (t) => [
    index("outbox_status_idx").on(t.status, t.createdAt),
    index("outbox_due_idx").on(t.status, t.nextAttemptAt),
  ],
);

/** Append-only: no API updates or deletes an entry. */
export const auditLog = sqliteTable(
  "audit_log",
  {
    id: text().primaryKey(),
    at: integer().notNull(),
    actorUserId: text(),
    actorApiKeyId: text(),
    action: text().notNull(),
    targetType: text(),
    targetId: text(),
    ip: text(),
    userAgent: text(),
    requestId: text(),
    changes: text(),
  },
  (t) => [
    index("audit_log_action_idx").on(t.action, t.id),
    index("audit_log_actor_idx").on(t.actorUserId, t.id),
    index("audit_log_target_idx").on(t.targetType, t.targetId),
  ],
);

/** Organisation settings, one JSON value per key. */
export const settings = sqliteTable("settings", {
  key: text().primaryKey(),
  value: text().notNull(),
  updatedAt: integer().notNull(),
});
