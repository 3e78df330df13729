// Inbound webhook sources, for admins: create (from a preset or from scratch; the secret is shown once),
// list, read, change (If-Match), archive and restore; and the presets. Secrets rotate in secret-routes.ts.
// Each request is one database round trip; a change is remembered at this location's edge at once
// (functions/hooks/source-cache.ts), so the endpoint verifies with it from the next delivery.
import { sql } from "drizzle-orm";
import { callerAuditStatement } from "../../../db/audit-queries.ts";
import { newId } from "../../../db/ids.ts";
import { keysetPage } from "../../../db/paging.ts";
import {
  archiveSourceStatement,
  createSourceStatements,
  listSourcesQuery,
  newSecret,
  restoreSourceStatement,
  type SourceValues,
  sourceQuery,
  updateSourceStatements,
} from "../../../db/webhooks-in/sources.ts";
import { MappingSchema } from "../../../queues/webhooks-in/mapping.ts";
import { PRESETS, presetById } from "../../../queues/webhooks-in/presets.ts";
import { authorizedRead, authorizedWrite, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import { problemContent } from "../../errors.ts";
import { etag, ifMatchVersion, preconditionFailed } from "../../etag.ts";
import { body, json } from "../../openapi.ts";
import { requestOrigin } from "../../request-origin.ts";
import { IdParams } from "../contacts/schemas.ts";
import {
  changedAt,
  invalid,
  notFound,
  remembered,
  ruleErrors,
  secretOrProblem,
  tags,
  view,
  WEBHOOKS_READ,
  WEBHOOKS_WRITE,
} from "./common.ts";
import {
  PresetList,
  SourceCreate,
  SourceCreated,
  SourceListQuery,
  SourcePage,
  SourcePatch,
  SourceSchema,
} from "./schemas.ts";

const presetsRoute = defineRoute({
  method: "get",
  path: "/api/v1/webhook-presets",
  tags,
  summary: "Ready-made mappings for common senders, each with a sample payload",
  access: WEBHOOKS_READ,
  record: "webhook_preset",
  responses: { 200: json(PresetList, "The presets") },
});

const listRoute = defineRoute({
  method: "get",
  path: "/api/v1/webhook-sources",
  tags,
  summary: "List inbound webhook sources, newest first (live ones unless state says otherwise)",
  access: WEBHOOKS_READ,
  record: "webhook_source",
  request: { query: SourceListQuery },
  responses: { 200: json(SourcePage, "One page of sources") },
});

const createRoute = defineRoute({
  method: "post",
  path: "/api/v1/webhook-sources",
  tags,
  summary: "Create an inbound webhook source (its secret is shown in the answer, and never again)",
  access: WEBHOOKS_WRITE,
  request: body(SourceCreate),
  responses: { 201: json(SourceCreated, "Created, with the secret in full") },
});

const getRoute = defineRoute({
  method: "get",
  path: "/api/v1/webhook-sources/{id}",
  tags,
  summary: "Read an inbound webhook source (ETag); secrets as hints",
  access: WEBHOOKS_READ,
  record: "webhook_source",
  request: { params: IdParams },
  responses: { 200: json(SourceSchema, "The source") },
});

const patchRoute = defineRoute({
  method: "patch",
  path: "/api/v1/webhook-sources/{id}",
  tags,
  summary:
    "Change a source's name, verification settings, mapping, attribution, owner or retention (If-Match)",
  access: WEBHOOKS_WRITE,
  record: "webhook_source",
  request: { params: IdParams, ...body(SourcePatch) },
  responses: {
    200: json(SourceSchema, "Updated"),
    412: problemContent("If-Match names a version that is no longer current"),
  },
});

const deleteRoute = defineRoute({
  method: "delete",
  path: "/api/v1/webhook-sources/{id}",
  tags,
  summary: "Archive a source: its endpoint answers 404 until it is restored; its inbox is kept",
  access: WEBHOOKS_WRITE,
  record: "webhook_source",
  request: { params: IdParams },
  responses: { 204: { description: "Archived" } },
});

const restoreRoute = defineRoute({
  method: "post",
  path: "/api/v1/webhook-sources/{id}/restore",
  tags,
  summary: "Restore an archived source",
  access: WEBHOOKS_WRITE,
  record: "webhook_source",
  request: { params: IdParams },
  responses: { 200: json(SourceSchema, "Restored") },
});

export const webhookSourceRoutes = createRouter()
  .openapi(presetsRoute, async (c) => {
    await authorizedRead(c, () => [] as const);
    return c.json({ items: PRESETS.map((preset) => ({ ...preset })) }, 200);
  })
  .openapi(listRoute, async (c) => {
    const { limit, cursor, state } = c.req.valid("query");
    const {
      results: [rows],
    } = await authorizedRead(
      c,
      () => [listSourcesQuery(c.get("db"), { state, before: cursor, limit })] as const,
    );
    return c.json(
      keysetPage(rows, limit, (row) => view(c, row)),
      200,
    );
  })
  .openapi(createRoute, async (c) => {
    const input = c.req.valid("json");
    const preset = input.preset ? presetById(input.preset) : undefined;
    const verification = input.verification ?? preset?.verification;
    const mapping = input.mapping ?? (preset ? MappingSchema.parse(preset.mapping) : undefined);
    if (!verification || !mapping)
      throw invalid([{ path: "mapping", message: "Required without a preset." }]);
    const { kind, ...config } = verification;
    const now = Date.now();
    const secret = newSecret(secretOrProblem(kind, input.secret), now);
    const id = newId();
    const values: SourceValues = {
      name: input.name,
      verification: kind,
      verificationConfig: config,
      mapping,
      preset: preset?.id ?? null,
      attribution: input.attribution ?? preset?.attribution ?? {},
      defaultOwnerId: input.defaultOwnerId ?? null,
      retentionDays: input.retentionDays,
    };
    const db = c.get("db");
    const { rules, statements } = createSourceStatements(db, id, values, secret, now);
    const {
      results: [flags, rows],
    } = await authorizedWrite(
      c,
      (me) =>
        [
          ...statements,
          callerAuditStatement(
            db,
            me,
            {
              action: "webhook_source.created",
              targetType: "webhook_source",
              targetId: id,
              changes: { name: values.name, verification: kind, preset: values.preset },
            },
            requestOrigin(c),
            now,
            { when: sql`exists (select 1 from webhook_sources where id = ${id})` },
          ),
        ] as const,
    );
    const row = rows[0];
    if (!row) throw invalid(ruleErrors(rules, flags[0]));
    await remembered(c, row);
    return c.json({ ...view(c, row), secret: secret.value }, 201, {
      ETag: etag(row.version),
      Location: `/api/v1/webhook-sources/${row.id}`,
    });
  })
  .openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const {
      results: [rows],
    } = await authorizedRead(c, () => [sourceQuery(c.get("db"), id)] as const);
    const row = rows[0] ?? notFound();
    return c.json(view(c, row), 200, { ETag: etag(row.version) });
  })
  .openapi(patchRoute, async (c) => {
    const { id } = c.req.valid("param");
    const ifMatch = ifMatchVersion(c);
    const input = c.req.valid("json");
    const now = Date.now();
    const db = c.get("db");
    const { kind, ...config } = input.verification ?? { kind: undefined };
    const { rules, statements } = updateSourceStatements(
      db,
      id,
      {
        name: input.name,
        ...(kind ? { verification: kind, verificationConfig: config } : {}),
        mapping: input.mapping,
        attribution: input.attribution,
        defaultOwnerId: input.defaultOwnerId,
        retentionDays: input.retentionDays,
      },
      ifMatch,
      now,
    );
    const {
      results: [flags, updated, current],
    } = await authorizedWrite(
      c,
      (me) =>
        [
          ...statements,
          callerAuditStatement(
            db,
            me,
            {
              action: "webhook_source.updated",
              targetType: "webhook_source",
              targetId: id,
              changes: { fields: Object.keys(input) },
            },
            requestOrigin(c),
            now,
            { when: changedAt(id, now) },
          ),
        ] as const,
    );
    const row = updated[0];
    if (!row) {
      const held = current[0] ?? notFound();
      if (kind && held.verification !== kind) {
        throw invalid([
          {
            path: "verification.kind",
            message: `This source verifies with ${held.verification}; create another source for ${kind}.`,
          },
        ]);
      }
      const failed = ruleErrors(rules, flags[0]);
      if (failed.length > 0) throw invalid(failed);
      throw preconditionFailed();
    }
    await remembered(c, row);
    return c.json(view(c, row), 200, { ETag: etag(row.version) });
  })
  .openapi(deleteRoute, async (c) => {
    const { id } = c.req.valid("param");
    const now = Date.now();
    const db = c.get("db");
    const {
      results: [archived, rows],
    } = await authorizedWrite(
      c,
      (me) =>
        [
          archiveSourceStatement(db, id, now),
          sourceQuery(db, id),
          callerAuditStatement(
            db,
            me,
            { action: "webhook_source.archived", targetType: "webhook_source", targetId: id },
            requestOrigin(c),
            now,
            { when: sql`exists (select 1 from webhook_sources where id = ${id} and archived_at = ${now})` },
          ),
        ] as const,
    );
    const row = archived[0] ?? rows[0] ?? notFound();
    await remembered(c, row);
    return c.body(null, 204);
  })
  .openapi(restoreRoute, async (c) => {
    const { id } = c.req.valid("param");
    const now = Date.now();
    const db = c.get("db");
    const {
      results: [rows],
    } = await authorizedWrite(
      c,
      (me) =>
        [
          restoreSourceStatement(db, id, now),
          callerAuditStatement(
            db,
            me,
            { action: "webhook_source.restored", targetType: "webhook_source", targetId: id },
            requestOrigin(c),
            now,
            { when: changedAt(id, now) },
          ),
        ] as const,
    );
    const row = rows[0] ?? notFound();
    await remembered(c, row);
    return c.json(view(c, row), 200, { ETag: etag(row.version) });
  });
