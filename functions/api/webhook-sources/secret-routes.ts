// Rotating a source's secret: add a second one (shown once; both verify while the sender switches), then
// retire the old one. A source holds one or two; the last cannot go. One database round trip each.
import { callerAuditStatement } from "../../../db/audit-queries.ts";
import { WEBHOOK_VERIFICATIONS } from "../../../db/schema/index.ts";
import {
  addSecretStatement,
  MAX_SECRETS,
  newSecret,
  parseSecrets,
  retireSecretStatement,
  type SecretCandidates,
  sourceQuery,
} from "../../../db/webhooks-in/sources.ts";
import { authorizedWrite, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import { ApiError, problemContent } from "../../errors.ts";
import { etag } from "../../etag.ts";
import { generateSecret, secretProblem } from "../../hooks/verification.ts";
import { body, json } from "../../openapi.ts";
import { requestOrigin } from "../../request-origin.ts";
import { IdParams } from "../contacts/schemas.ts";
import { changedAt, notFound, remembered, secretOrProblem, tags, view, WEBHOOKS_WRITE } from "./common.ts";
import { SecretCreate, SecretCreated, SecretRetire, SourceSchema } from "./schemas.ts";

const addSecretRoute = defineRoute({
  method: "post",
  path: "/api/v1/webhook-sources/{id}/secrets",
  tags,
  summary: "Add a secret for a rotation: both verify until the old one is retired (shown once)",
  access: WEBHOOKS_WRITE,
  record: "webhook_source",
  request: { params: IdParams, ...body(SecretCreate) },
  responses: {
    201: json(SecretCreated, "Added, with the new secret in full"),
    409: problemContent("The source holds two secrets already: retire one first"),
  },
});

const retireSecretRoute = defineRoute({
  method: "post",
  path: "/api/v1/webhook-sources/{id}/secrets/retire",
  tags,
  summary: "Retire one of a source's two secrets (deliveries signed with it are refused from now on)",
  access: WEBHOOKS_WRITE,
  record: "webhook_source_rotating",
  request: { params: IdParams, ...body(SecretRetire) },
  responses: {
    200: json(SourceSchema, "Retired"),
    409: problemContent("The secret is the source's only one, or not one of its secrets"),
  },
});

export const webhookSecretRoutes = createRouter()
  .openapi(addSecretRoute, async (c) => {
    const { id } = c.req.valid("param");
    const given = c.req.valid("json").secret;
    const now = Date.now();
    const db = c.get("db");
    // What a secret must look like depends on the source's kind, read in this same batch: one candidate each.
    const candidates = Object.fromEntries(
      WEBHOOK_VERIFICATIONS.map((kind) => {
        const value = given ?? generateSecret(kind);
        return [kind, value !== null && secretProblem(kind, value) === null ? newSecret(value, now) : null];
      }),
    ) as SecretCandidates;
    const {
      results: [rows, current],
    } = await authorizedWrite(
      c,
      (me) =>
        [
          addSecretStatement(db, id, candidates, now),
          sourceQuery(db, id),
          callerAuditStatement(
            db,
            me,
            { action: "webhook_source.secret_added", targetType: "webhook_source", targetId: id },
            requestOrigin(c),
            now,
            { when: changedAt(id, now) },
          ),
        ] as const,
    );
    const row = rows[0];
    if (!row) {
      const held = current[0] ?? notFound();
      if (parseSecrets(held).length >= MAX_SECRETS) {
        throw new ApiError(
          "conflict",
          "The source holds two secrets already: retire one (POST …/secrets/retire), then add the new one.",
        );
      }
      secretOrProblem(held.verification, given);
      throw new Error("a fitting secret was not added");
    }
    const secret = parseSecrets(row)[0];
    if (!secret) throw new Error("the source has no secret after adding one");
    await remembered(c, row);
    return c.json({ secretId: secret.id, secret: secret.value, source: view(c, row) }, 201);
  })
  .openapi(retireSecretRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { secretId } = c.req.valid("json");
    const now = Date.now();
    const db = c.get("db");
    const {
      results: [rows, current],
    } = await authorizedWrite(
      c,
      (me) =>
        [
          retireSecretStatement(db, id, secretId, now),
          sourceQuery(db, id),
          callerAuditStatement(
            db,
            me,
            {
              action: "webhook_source.secret_retired",
              targetType: "webhook_source",
              targetId: id,
              changes: { secretId },
            },
            requestOrigin(c),
            now,
            { when: changedAt(id, now) },
          ),
        ] as const,
    );
    const row = rows[0];
    if (!row) {
      const held = current[0] ?? notFound();
      const secrets = parseSecrets(held);
      throw new ApiError(
        "conflict",
        secrets.some((s) => s.id === secretId)
          ? "This is the source's only secret: add the new one first, then retire this one."
          : "The source has no secret with this id.",
      );
    }
    await remembered(c, row);
    return c.json(view(c, row), 200, { ETag: etag(row.version) });
  });
