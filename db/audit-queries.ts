// Audit-log statements beyond db/audit.ts: entries whose actor (and content, and whether they are written at
// all) is decided inside the database, and the admin's list with a time range.
import { and, desc, eq, getTableColumns, gte, is, lt, lte, SQL, sql } from "drizzle-orm";
import { type AuditEntry, auditValues, type RequestOrigin } from "./audit.ts";
import { type CallerRef, callerApiKeyId, callerUserId } from "./caller.ts";
import type { Database } from "./client.ts";
import { rowsForPage } from "./paging.ts";
import { auditLog } from "./schema/index.ts";

export interface CallerAuditOptions {
  /** Write the entry only when this holds, e.g. when the change actually happened. */
  when?: SQL;
  /** The changes as an SQL expression yielding JSON text, e.g. old values read in the same transaction. */
  changes?: SQL;
  /** The target's id as an SQL expression, e.g. the caller's own user id when an API key calls. */
  targetId?: SQL;
}

/**
 * An entry whose actor is the caller, resolved in SQL so an API key's user and key id are recorded without
 * a read beforehand. Written as INSERT … SELECT so that it can be conditional.
 */
export function callerAuditStatement(
  db: Database,
  me: CallerRef,
  entry: Omit<AuditEntry, "actorUserId" | "actorApiKeyId">,
  origin: RequestOrigin,
  now: number,
  options: CallerAuditOptions = {},
) {
  const values: Record<string, unknown> = {
    ...auditValues({ ...entry, actorUserId: null }, origin, now),
    actorUserId: callerUserId(me),
    actorApiKeyId: callerApiKeyId(me),
    ...(options.changes ? { changes: options.changes } : {}),
    ...(options.targetId ? { targetId: options.targetId } : {}),
  };
  // drizzle lists the columns in table order for INSERT … SELECT, so the selected values follow that order.
  const selected = sql.join(
    Object.keys(getTableColumns(auditLog)).map((column) => {
      const value = values[column] ?? null;
      return is(value, SQL) ? value : sql`${value}`;
    }),
    sql`, `,
  );
  return db
    .insert(auditLog)
    .select(sql`select ${selected}${options.when ? sql` where ${options.when}` : sql``}`);
}

export interface AuditLogFilter {
  action?: string | undefined;
  actorUserId?: string | undefined;
  targetType?: string | undefined;
  targetId?: string | undefined;
  /** Epoch ms, inclusive. */
  from?: number | undefined;
  /** Epoch ms, inclusive. */
  to?: number | undefined;
  /** Entries older than this id (ids are time-ordered UUIDv7): the cursor. */
  before?: string | undefined;
  limit: number;
}

/** Newest first, keyset-paged by id, limit + 1 rows; listAuditQuery in db/audit.ts plus a time range. */
export function listAuditLogQuery(db: Database, filter: AuditLogFilter) {
  return db
    .select()
    .from(auditLog)
    .where(
      and(
        filter.action ? eq(auditLog.action, filter.action) : undefined,
        filter.actorUserId ? eq(auditLog.actorUserId, filter.actorUserId) : undefined,
        filter.targetType ? eq(auditLog.targetType, filter.targetType) : undefined,
        filter.targetId ? eq(auditLog.targetId, filter.targetId) : undefined,
        filter.from !== undefined ? gte(auditLog.at, filter.from) : undefined,
        filter.to !== undefined ? lte(auditLog.at, filter.to) : undefined,
        filter.before ? lt(auditLog.id, filter.before) : undefined,
      ),
    )
    .orderBy(desc(auditLog.id))
    .limit(rowsForPage(filter.limit));
}
