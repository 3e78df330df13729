// API keys for integrations: list them (never their secret), create one (the secret shown once), revoke one.
import { z } from "@hono/zod-openapi";
import {
  apiKeyViewQuery,
  GRANTS,
  grantGuardStatement,
  insertApiKeyStatement,
  listApiKeysQuery,
  manageableKeyGuardStatement,
  revokeApiKeyStatement,
  revokedAtNow,
  toApiKeyView,
} from "../../../db/api-keys.ts";
import { callerAuditStatement } from "../../../db/audit-queries.ts";
import { newId } from "../../../db/ids.ts";
import { keysetPage } from "../../../db/paging.ts";
import { authorizedRead, authorizedWrite, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import { generateApiKey } from "../../auth/api-key-secret.ts";
import { ApiError } from "../../errors.ts";
import { body, json, pageQuery } from "../../openapi.ts";
import { requestOrigin } from "../../request-origin.ts";

const DAY_MS = 24 * 60 * 60_000;

const ApiKey = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string().openapi({ description: "The visible start of the key, to tell keys apart" }),
    scopes: z.array(z.string()).openapi({ example: ["contacts:read", "deals:*"] }),
    createdAt: z.number().int(),
    expiresAt: z.number().int().nullable(),
    lastUsedAt: z.number().int().nullable().openapi({ description: "To the minute" }),
    revokedAt: z.number().int().nullable(),
    owner: z.object({ id: z.string(), name: z.string(), email: z.string() }),
  })
  .openapi("ApiKey");

const CreatedApiKey = ApiKey.extend({
  key: z.string().openapi({
    description: "The secret. Shown in this answer only: store it now, it cannot be read again.",
  }),
}).openapi("CreatedApiKey");

const ApiKeyPage = z
  .object({ items: z.array(ApiKey), nextCursor: z.string().nullable() })
  .openapi("ApiKeyPage");

const CreateApiKeyBody = z
  .strictObject({
    name: z.string().trim().min(1).max(100).openapi({ example: "Website forms" }),
    scopes: z
      .array(z.enum(GRANTS))
      .min(1)
      .max(GRANTS.length)
      .openapi({ description: "Scopes, `resource:*`, or `admin`; only those your role may use" }),
    expiresAt: z
      .number()
      .int()
      .refine((at) => at > Date.now(), "must be in the future")
      .optional()
      .openapi({ description: "Epoch ms" }),
    expiresInDays: z.number().int().min(1).max(3650).optional(),
  })
  .refine((body) => body.expiresAt === undefined || body.expiresInDays === undefined, {
    message: "give expiresAt or expiresInDays, not both",
    path: ["expiresInDays"],
  })
  .openapi("CreateApiKeyRequest");

const listKeysRoute = defineRoute({
  method: "get",
  path: "/api/v1/api-keys",
  tags: ["API keys"],
  summary: "Your API keys (an admin sees everyone's); newest first",
  access: { scope: "api_keys:read" },
  record: "api_key",
  request: {
    query: z.object({
      userId: z.string().max(64).optional().openapi({ description: "Only this user's keys" }),
      ...pageQuery(),
    }),
  },
  responses: {
    200: json(ApiKeyPage, "A page of keys"),
  },
});

// Creating or revoking your own key is not a write to CRM data: read-only users may do it, and the grant
// rules keep their keys to read scopes.
const createKeyRoute = defineRoute({
  method: "post",
  path: "/api/v1/api-keys",
  tags: ["API keys"],
  summary: "Create an API key for yourself; the answer holds its secret, once",
  access: { scope: "api_keys:write", write: false },
  request: body(CreateApiKeyBody),
  responses: {
    201: json(CreatedApiKey, "Created"),
  },
});

const revokeKeyRoute = defineRoute({
  method: "delete",
  path: "/api/v1/api-keys/{id}",
  tags: ["API keys"],
  summary: "Revoke a key (yours, or anyone's for an admin); it stops working at once. Idempotent.",
  access: { scope: "api_keys:write", write: false },
  record: "api_key",
  request: { params: z.object({ id: z.string().min(1).max(64) }) },
  responses: { 200: json(ApiKey, "Revoked") },
});

const GRANT_REFUSED =
  "Not allowed. Creating a key needs the `api_keys:write` scope, and a key may only hold what its owner's role may use: " +
  "`admin`, users:write, teams:write, settings:write, audit:read and outbox:read are for admins, read-only users may " +
  "grant only `:read` scopes, and a key created by an API key may only hold scopes that key holds itself.";

export const apiKeyRoutes = createRouter()
  .openapi(listKeysRoute, async (c) => {
    const { userId, limit, cursor } = c.req.valid("query");
    const db = c.get("db");
    const { results } = await authorizedRead(
      c,
      (me) => [listApiKeysQuery(db, me, { userId, before: cursor, limit })] as const,
    );
    return c.json(keysetPage(results[0], limit, toApiKeyView), 200);
  })
  .openapi(createKeyRoute, async (c) => {
    const body = c.req.valid("json");
    const db = c.get("db");
    const now = Date.now();
    const grants = [...new Set(body.scopes)];
    const expiresAt = body.expiresAt ?? (body.expiresInDays ? now + body.expiresInDays * DAY_MS : null);
    const secret = await generateApiKey();
    const id = newId();
    const { results } = await authorizedWrite(
      c,
      (me) =>
        [
          grantGuardStatement(db, me, grants),
          insertApiKeyStatement(
            db,
            me,
            { id, name: body.name, prefix: secret.prefix, keyHash: secret.hash, grants, expiresAt },
            now,
          ),
          callerAuditStatement(
            db,
            me,
            {
              action: "api_key.created",
              targetType: "api_key",
              targetId: id,
              changes: { name: body.name, prefix: secret.prefix, scopes: grants, expiresAt },
            },
            requestOrigin(c),
            now,
          ),
          apiKeyViewQuery(db, id),
        ] as const,
    ).catch((error: unknown) => {
      // The route's own guard and the grant guard both answer "forbidden"; one message explains either.
      if (error instanceof ApiError && error.code === "forbidden")
        throw new ApiError("forbidden", GRANT_REFUSED);
      throw error;
    });
    const row = results[3][0];
    if (!row) throw new Error("the key just inserted was not read back");
    return c.json({ ...toApiKeyView(row), key: secret.key }, 201);
  })
  .openapi(revokeKeyRoute, async (c) => {
    const { id } = c.req.valid("param");
    const db = c.get("db");
    const now = Date.now();
    const { results } = await authorizedWrite(
      c,
      (me) =>
        [
          manageableKeyGuardStatement(db, me, id),
          revokeApiKeyStatement(db, id, now),
          callerAuditStatement(
            db,
            me,
            { action: "api_key.revoked", targetType: "api_key", targetId: id },
            requestOrigin(c),
            now,
            // Revoking again changes nothing, so it is not logged again.
            { when: revokedAtNow(id, now) },
          ),
          apiKeyViewQuery(db, id),
        ] as const,
    );
    const row = results[3][0];
    if (!row) throw new ApiError("not_found", "Not found");
    return c.json(toApiKeyView(row), 200);
  });
