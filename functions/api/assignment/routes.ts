// Assignment rules (admins replace them, with If-Match), users' availability (their own, or anyone's for an
// admin), and the dry run of the routing rules on one contact. One database round trip per request.
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { dryRunQueries } from "../../../db/assignment/dry-run.ts";
import { rulesetQuery } from "../../../db/assignment/queries.ts";
import {
  availabilityAccess,
  availabilityQuery,
  referencesGuard,
  replaceAvailabilityStatement,
  replaceRulesetStatement,
  routingAuditStatement,
} from "../../../db/assignment/rulesets.ts";
import { AvailabilitySchema, availabilityOf } from "../../../queues/assignment/availability.ts";
import { dryRun } from "../../../queues/assignment/dry-run.ts";
import { parseAssignmentRuleset } from "../../../queues/assignment/engine.ts";
import { AssignmentRulesetSchema, referencesOf } from "../../../queues/assignment/rules.ts";
import { authorizedRead, authorizedWrite, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import type { AppEnv } from "../../env.ts";
import { ApiError, problemContent } from "../../errors.ts";
import { etag, ifMatchVersion, preconditionFailed } from "../../etag.ts";
import { body, json } from "../../openapi.ts";
import { requestOrigin } from "../../request-origin.ts";

const tags = ["Routing"];
const rulesRead = { scope: "rules:read", roles: ["admin", "manager"] } as const;
const rulesWrite = { scope: "rules:write", roles: ["admin"], write: true } as const;

const RulesView = z
  .object({ rules: AssignmentRulesetSchema, version: z.number().int() })
  .openapi("AssignmentRulesView");

const AvailabilityView = z
  .object({
    userId: z.string(),
    timeZone: z.string(),
    availability: AvailabilitySchema,
    version: z.number().int().openapi({ description: "0 until first set" }),
  })
  .openapi("AvailabilityView");

const IdParams = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "id", in: "path" } }),
});
const IfMatch = z.object({ "if-match": z.string().optional() });

const readRules = defineRoute({
  method: "get",
  path: "/api/v1/assignment/rules",
  tags,
  summary: "The assignment rules (ETag)",
  access: rulesRead,
  responses: { 200: json(RulesView, "The rules, first match wins") },
});

const replaceRules = defineRoute({
  method: "put",
  path: "/api/v1/assignment/rules",
  tags,
  summary: "Replace the assignment rules (If-Match)",
  access: rulesWrite,
  request: { headers: IfMatch, ...body(AssignmentRulesetSchema) },
  responses: {
    200: json(RulesView, "The rules now in force"),
    412: problemContent("The rules changed since they were read"),
  },
});

const readAvailability = defineRoute({
  method: "get",
  path: "/api/v1/users/{id}/availability",
  tags,
  summary: "A user's availability for assignment (ETag): their own, or anyone's for an admin",
  access: { scope: "rules:read" },
  record: "availability",
  request: { params: IdParams },
  responses: { 200: json(AvailabilityView, "Working hours, out of office, capacity") },
});

const replaceAvailability = defineRoute({
  method: "put",
  path: "/api/v1/users/{id}/availability",
  tags,
  summary: "Replace a user's availability (If-Match): their own, or anyone's for an admin",
  access: { scope: "rules:write", write: true },
  record: "availability",
  request: { params: IdParams, headers: IfMatch, ...body(AvailabilitySchema) },
  responses: {
    200: json(AvailabilityView, "The availability now in force"),
    412: problemContent("The availability changed since it was read"),
  },
});

const DryRunBody = z
  .strictObject({
    contactId: z.string().min(1).max(64),
    formId: z.string().min(1).max(64).nullable().default(null),
    at: z.number().int().optional().openapi({ description: "Epoch ms to evaluate at; now by default." }),
  })
  .openapi("RoutingDryRunRequest");

const dryRunRoute = defineRoute({
  method: "post",
  path: "/api/v1/assignment/dry-run",
  tags,
  summary: "What the current assignment and SLA rules would do to a contact (changes nothing)",
  access: rulesRead,
  request: body(DryRunBody),
  responses: {
    200: json(z.object({}).passthrough().openapi("RoutingDryRun"), "The rule, the pick, the deadline"),
  },
});

/**
 * The references guard's conflict, as the 422 it is. The batch's access guard ran before it, so the caller was
 * let through: marked authorized, so that the error path does not check them again in a second round trip.
 */
function rulesConflict(c: Context<AppEnv>, error: unknown): never {
  if (error instanceof ApiError && error.code === "conflict") {
    c.set("authorized", true);
    throw new ApiError(
      "validation_failed",
      "The rules name a user who is not active, or a team that does not exist.",
    );
  }
  throw error;
}

function availabilityView(row: Awaited<ReturnType<typeof availabilityQuery>>[number]) {
  return {
    userId: row.userId,
    timeZone: row.timeZone,
    availability: availabilityOf(row),
    version: row.version ?? 0,
  };
}

export const assignmentRoutes = createRouter()
  .openapi(readRules, async (c) => {
    const db = c.get("db");
    const { results } = await authorizedRead(c, () => [rulesetQuery(db, "assignment")] as const);
    const row = results[0][0];
    const version = row?.version ?? 0;
    return c.json({ rules: parseAssignmentRuleset(row?.definition), version }, 200, { ETag: etag(version) });
  })
  .openapi(replaceRules, async (c) => {
    const db = c.get("db");
    const rules = c.req.valid("json");
    const expected = ifMatchVersion(c);
    const now = Date.now();
    const { results } = await authorizedWrite(
      c,
      (me) =>
        [
          referencesGuard(db, referencesOf(rules)),
          replaceRulesetStatement(db, "assignment", rules, expected, me, now),
          routingAuditStatement(db, me, { kind: "assignment" }, requestOrigin(c), now),
        ] as const,
    ).catch((error: unknown) => rulesConflict(c, error));
    const version = results[1][0]?.version;
    if (version === undefined) throw preconditionFailed();
    return c.json({ rules, version }, 200, { ETag: etag(version) });
  })
  .openapi(readAvailability, async (c) => {
    const db = c.get("db");
    const { id } = c.req.valid("param");
    const { results } = await authorizedRead(c, (me) => [availabilityQuery(db, id, me)] as const);
    const row = results[0][0];
    if (!row) throw new ApiError("not_found", "Not found");
    return c.json(availabilityView(row), 200, { ETag: etag(row.version ?? 0) });
  })
  .openapi(replaceAvailability, async (c) => {
    const db = c.get("db");
    const { id } = c.req.valid("param");
    const value = c.req.valid("json");
    const expected = ifMatchVersion(c);
    const now = Date.now();
    const { results } = await authorizedWrite(
      c,
      (me) =>
        [
          availabilityAccess(db, me, id),
          replaceAvailabilityStatement(db, id, value, expected, now),
          routingAuditStatement(db, me, { userId: id }, requestOrigin(c), now),
          availabilityQuery(db, id),
        ] as const,
    );
    const row = results[3][0];
    if (results[1].length === 0 || !row) throw preconditionFailed();
    return c.json(availabilityView(row), 200, { ETag: etag(row.version ?? 0) });
  })
  .openapi(dryRunRoute, async (c) => {
    const db = c.get("db");
    const input = c.req.valid("json");
    const { results } = await authorizedRead(c, (me) => dryRunQueries(db, me, input.contactId));
    const [leads, assignment, sla, team, users] = results;
    const lead = leads[0];
    if (!lead || lead.deletedAt !== null) throw new ApiError("not_found", "Not found");
    const view = dryRun(
      lead,
      { assignment: assignment[0]?.definition, sla: sla[0]?.definition, team, users },
      input.formId,
      input.at ?? Date.now(),
    );
    return c.json(view, 200);
  });
