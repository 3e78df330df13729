// The audit log for admins: read-only and filtered, newest first, paged by cursor. No route changes an entry.
import { z } from "@hono/zod-openapi";
import { AUDIT_ACTIONS } from "../../../db/audit.ts";
import { listAuditLogQuery } from "../../../db/audit-queries.ts";
import { keysetPage } from "../../../db/paging.ts";
import { authorizedRead, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import { json, pageQuery } from "../../openapi.ts";

const AuditEntry = z
  .object({
    id: z.string(),
    at: z.number().int().openapi({ description: "Epoch ms" }),
    action: z.string().openapi({ example: "api_key.created" }),
    actorUserId: z.string().nullable(),
    actorApiKeyId: z
      .string()
      .nullable()
      .openapi({ description: "Set when the actor acted through an API key" }),
    targetType: z.string().nullable(),
    targetId: z.string().nullable(),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    requestId: z.string().nullable(),
    changes: z
      .unknown()
      .openapi({ description: "What changed, e.g. { field: { from, to } }; null when nothing to say" }),
  })
  .openapi("AuditEntry");

const AuditPage = z
  .object({ items: z.array(AuditEntry), nextCursor: z.string().nullable() })
  .openapi("AuditPage");

const epochMs = z.coerce.number().int().min(0);

const listAuditRoute = defineRoute({
  method: "get",
  path: "/api/v1/audit-log",
  tags: ["Audit log"],
  summary: "Who did what, when and from where; newest first",
  access: { scope: "audit:read", roles: ["admin"] },
  record: "audit_entry",
  request: {
    query: z
      .object({
        action: z.enum(AUDIT_ACTIONS).optional(),
        actorUserId: z.string().max(64).optional(),
        targetType: z.string().max(64).optional(),
        targetId: z.string().max(128).optional(),
        from: epochMs.optional().openapi({ description: "Epoch ms, inclusive" }),
        to: epochMs.optional().openapi({ description: "Epoch ms, inclusive" }),
        ...pageQuery(),
      })
      .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, {
        message: "must not be before from",
        path: ["to"],
      }),
  },
  responses: {
    200: json(AuditPage, "A page of entries"),
  },
});

export const auditLogRoutes = createRouter().openapi(listAuditRoute, async (c) => {
  const { cursor, limit, ...filter } = c.req.valid("query");
  const db = c.get("db");
  const { results } = await authorizedRead(
    c,
    () => [listAuditLogQuery(db, { ...filter, before: cursor, limit })] as const,
  );
  const page = keysetPage(results[0], limit, (row) => ({
    ...row,
    changes: row.changes === null ? null : (JSON.parse(row.changes) as unknown),
  }));
  return c.json(page, 200);
});
