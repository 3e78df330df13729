// The audit log: who did what, when, from where, and what changed. Entries are only ever appended (the
// database refuses updates and deletes), and each is written in the same batch as the change it records.
import { and, desc, eq, lt, type SQL, sql } from "drizzle-orm";
import type { Database } from "./client.ts";
import { newId } from "./ids.ts";
import { auditLog } from "./schema/index.ts";

export const AUDIT_ACTIONS = [
  "auth.login.succeeded",
  "auth.login.failed",
  "auth.logout",
  "auth.password.changed",
  "auth.password.reset",
  "auth.refresh_token.reused",
  "auth.totp.enabled",
  "auth.totp.disabled",
  "auth.recovery_codes.regenerated",
  "auth.recovery_code.used",
  "user.invited",
  "user.invitation.accepted",
  "user.updated",
  "user.role.changed",
  "user.deactivated",
  "user.reactivated",
  "team.created",
  "team.updated",
  "team.members.changed",
  "api_key.created",
  "api_key.revoked",
  "settings.changed",
  "export.created",
  "export.downloaded",
  "import.started",
  "import.undone",
  "record.merged",
  "contact.erased",
  "contact.data_exported",
  "record.deleted",
  "form.created",
  "form.updated",
  "form.archived",
  "form.restored",
  "form_submission.replayed",
  "webhook_source.created",
  "webhook_source.updated",
  "webhook_source.archived",
  "webhook_source.restored",
  "webhook_source.secret_added",
  "webhook_source.secret_retired",
  "webhook_inbox.replayed",
  "dead_letter.replayed",
  "outbox.replayed",
  "scoring_rules.updated",
  "routing_rules.updated",
  "availability.updated",
  "workflow.created",
  "workflow.updated",
  "workflow.enabled",
  "workflow.disabled",
  "workflow.deleted",
  "workflow.secret_rotated",
  "workflow_run.retried",
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Where a request came from, for the log. */
export interface RequestOrigin {
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}

export interface AuditEntry {
  action: AuditAction;
  actorUserId: string | null;
  actorApiKeyId?: string | null;
  targetType?: string | null;
  targetId?: string | null;
  changes?: unknown;
}

/** An insert to put into the batch that makes the change. */
export function auditStatement(db: Database, entry: AuditEntry, origin: RequestOrigin, now = Date.now()) {
  return db.insert(auditLog).values(auditValues(entry, origin, now));
}

/**
 * An audit insert that happens only when `condition` holds when the batch reaches it (for example: the
 * previous statement really changed something). `actorUserId` may be a SQL expression.
 */
export function auditWhereStatement(
  db: Database,
  entry: Omit<AuditEntry, "actorUserId"> & { actorUserId: string | null | SQL },
  origin: RequestOrigin,
  condition: SQL,
  now = Date.now(),
) {
  const values = auditValues({ ...entry, actorUserId: null }, origin, now);
  return db.run(sql`insert into ${auditLog} (id, at, actor_user_id, actor_api_key_id, action, target_type, target_id, ip, user_agent, request_id, changes)
    select ${values.id}, ${values.at}, ${entry.actorUserId}, ${values.actorApiKeyId}, ${values.action}, ${values.targetType},
      coalesce(${values.targetId}, ${entry.actorUserId}), ${values.ip}, ${values.userAgent}, ${values.requestId}, ${values.changes}
    where ${condition}`);
}

export function auditValues(entry: AuditEntry, origin: RequestOrigin, now = Date.now()) {
  return {
    id: newId(),
    at: now,
    actorUserId: entry.actorUserId,
    actorApiKeyId: entry.actorApiKeyId ?? null,
    action: entry.action,
    targetType: entry.targetType ?? null,
    targetId: entry.targetId ?? null,
    ip: origin.ip,
    userAgent: origin.userAgent?.slice(0, 512) ?? null,
    requestId: origin.requestId,
    changes: entry.changes === undefined ? null : JSON.stringify(entry.changes),
  };
}

export interface AuditFilter {
  action?: string;
  actorUserId?: string;
  targetType?: string;
  targetId?: string;
  /** Entries older than this id (ids are time-ordered UUIDv7): the cursor. */
  before?: string;
  limit: number;
}

/** Newest first, keyset-paged by id. */
export function listAuditQuery(db: Database, filter: AuditFilter) {
  const conditions: SQL[] = [];
  if (filter.action) conditions.push(eq(auditLog.action, filter.action));
  if (filter.actorUserId) conditions.push(eq(auditLog.actorUserId, filter.actorUserId));
  if (filter.targetType) conditions.push(eq(auditLog.targetType, filter.targetType));
  if (filter.targetId) conditions.push(eq(auditLog.targetId, filter.targetId));
  if (filter.before) conditions.push(lt(auditLog.id, filter.before));
  return db
    .select()
    .from(auditLog)
    .where(and(...conditions))
    .orderBy(desc(auditLog.id))
    .limit(filter.limit + 1);
}
