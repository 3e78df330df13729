// Workflows: create, list, read, update (a new version; If-Match), validate without saving, enable, disable,
// delete, a new webhook signing secret, and the dry run against a record. Admins and managers only: a
// workflow acts on every record it matches. Each request is one database round trip.

import type { Context } from "hono";
import { keysetPage } from "../../../db/paging.ts";
import type { WriteContext } from "../../../db/statements.ts";
import { dryRunQueries, dryRunRecord } from "../../../db/workflows/dry-run.ts";
import { recordLabel, toFacts } from "../../../db/workflows/records.ts";
import {
  createWorkflowStatements,
  deleteWorkflowStatements,
  listWorkflowsQuery,
  readWorkflowQuery,
  rotateSecretStatements,
  setEnabledStatements,
  updateWorkflowStatements,
  type WorkflowRow,
} from "../../../db/workflows/workflows.ts";
import { generateSecret } from "../../../queues/webhooks-out/sign.ts";
import { type Definition, recordTypeOf, triggerEventType } from "../../../queues/workflows/definition.ts";
import { dryRun } from "../../../queues/workflows/dry-run.ts";
import { parseDefinition } from "../../../queues/workflows/validation.ts";
import { authorizedRead, authorizedWrite, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import type { AppEnv } from "../../env.ts";
import { ApiError, problemContent } from "../../errors.ts";
import { etag, ifMatchVersion, preconditionFailed } from "../../etag.ts";
import { body, json } from "../../openapi.ts";
import { requestOrigin } from "../../request-origin.ts";
import { IdParams } from "../contacts/schemas.ts";
import {
  DryRunRequest,
  DryRunResult,
  SigningSecret,
  Validated,
  WorkflowCreate,
  WorkflowCreated,
  WorkflowListQuery,
  WorkflowPage,
  WorkflowSchema,
  WorkflowUpdate,
  WorkflowValidate,
} from "./schemas.ts";

const tags = ["Workflows"];
export const READ = { scope: "workflows:read", roles: ["admin", "manager"] } as const;
export const WRITE = { scope: "workflows:write", write: true, roles: ["admin", "manager"] } as const;
const invalid = problemContent("The workflow is not valid: `errors` gives each problem with its path");

const listRoute = defineRoute({
  method: "get",
  path: "/api/v1/workflows",
  tags,
  summary: "List workflows, newest first (keyset pages)",
  access: READ,
  record: "workflow",
  request: { query: WorkflowListQuery },
  responses: { 200: json(WorkflowPage, "One page of workflows") },
});

const createRoute = defineRoute({
  method: "post",
  path: "/api/v1/workflows",
  tags,
  summary: "Create a workflow (version 1; disabled unless `enabled`)",
  access: WRITE,
  request: body(WorkflowCreate),
  responses: { 201: json(WorkflowCreated, "Created, with its webhook signing secret"), 422: invalid },
});

const validateRoute = defineRoute({
  method: "post",
  path: "/api/v1/workflows/validate",
  tags,
  summary: "Check a workflow definition without saving it",
  access: READ,
  request: body(WorkflowValidate),
  responses: { 200: json(Validated, "The definition is valid"), 422: invalid },
});

const getRoute = defineRoute({
  method: "get",
  path: "/api/v1/workflows/{id}",
  tags,
  summary: "Read a workflow and its current version (ETag)",
  access: READ,
  record: "workflow",
  request: { params: IdParams },
  responses: { 200: json(WorkflowSchema, "The workflow") },
});

const updateRoute = defineRoute({
  method: "put",
  path: "/api/v1/workflows/{id}",
  tags,
  summary: "Replace a workflow's definition: a new version (If-Match); runs in flight keep theirs",
  access: WRITE,
  record: "workflow",
  request: { params: IdParams, ...body(WorkflowUpdate) },
  responses: {
    200: json(WorkflowSchema, "The workflow at its new version"),
    412: problemContent("If-Match names a version that is no longer current"),
    422: invalid,
  },
});

const toggleRoute = (action: "enable" | "disable") =>
  defineRoute({
    method: "post",
    path: `/api/v1/workflows/{id}/${action}`,
    tags,
    summary:
      action === "enable"
        ? "Enable a workflow: its trigger starts runs from now on"
        : "Disable a workflow: it starts no more runs (runs in flight go on)",
    access: WRITE,
    record: "workflow",
    request: { params: IdParams },
    responses: { 200: json(WorkflowSchema, "The workflow") },
  });
const enableRoute = toggleRoute("enable");
const disableRoute = toggleRoute("disable");

const deleteRoute = defineRoute({
  method: "delete",
  path: "/api/v1/workflows/{id}",
  tags,
  summary: "Delete a workflow: it starts nothing more, and its runs in flight stop at their next step",
  access: WRITE,
  record: "workflow",
  request: { params: IdParams },
  responses: { 204: { description: "Deleted" } },
});

const secretRoute = defineRoute({
  method: "post",
  path: "/api/v1/workflows/{id}/signing-secret",
  tags,
  summary: "Replace the secret that signs the workflow's webhook calls (shown once)",
  access: WRITE,
  record: "workflow",
  request: { params: IdParams },
  responses: { 200: json(SigningSecret, "The new secret; the old one stops signing at once") },
});

const testRoute = defineRoute({
  method: "post",
  path: "/api/v1/workflows/{id}/test",
  tags,
  summary: "Dry run: would the workflow start for this record, and what would each action do",
  description:
    "Nothing is written or sent. Give `before` to try a change (for changed, changed_from and changed_to) and " +
    "`event` for the trigger event's own data (a form id, a webhook's payload).",
  access: READ,
  record: "workflow",
  request: { params: IdParams, ...body(DryRunRequest) },
  responses: { 200: json(DryRunResult, "What would happen") },
});

/** The origin and clock of a write, for its audit entry. */
export function writeContext(c: Context<AppEnv>): WriteContext {
  return { origin: requestOrigin(c), now: Date.now() };
}

function notFound(): never {
  throw new ApiError("not_found", "Not found");
}

export function toWorkflow(row: WorkflowRow) {
  const definition = JSON.parse(row.definition) as Definition;
  const { definition: _, ...rest } = row;
  return {
    ...rest,
    trigger: definition.trigger,
    ...(definition.conditions ? { conditions: definition.conditions } : {}),
    actions: definition.actions,
  };
}

/** The parts of a write that are stored as the version, and the trigger key it is found by. */
function split(input: { name: string; description?: string | null | undefined } & Definition) {
  const { name, description, trigger, conditions, actions } = input;
  const definition = { trigger, ...(conditions ? { conditions } : {}), actions };
  return { name, description, definition, triggerType: triggerEventType(trigger) };
}

export const workflowRoutes = createRouter()
  .openapi(listRoute, async (c) => {
    const { cursor, limit, enabled } = c.req.valid("query");
    const filter = { before: cursor, limit, enabled: enabled === undefined ? undefined : enabled === "true" };
    const {
      results: [rows],
    } = await authorizedRead(c, () => [listWorkflowsQuery(c.get("db"), filter)] as const);
    return c.json(keysetPage(rows, limit, toWorkflow), 200);
  })
  .openapi(createRoute, async (c) => {
    const input = c.req.valid("json");
    const signingSecret = generateSecret();
    const {
      results: [, , , rows],
    } = await authorizedWrite(c, (me) => {
      const write = { ...split(input), enabled: input.enabled, signingSecret };
      return createWorkflowStatements(c.get("db"), me, write, writeContext(c)).statements;
    });
    const row = rows[0];
    if (!row) throw new Error("the insert returned no row");
    return c.json({ ...toWorkflow(row), signingSecret }, 201, {
      ETag: etag(row.version),
      Location: `/api/v1/workflows/${row.id}`,
    });
  })
  .openapi(validateRoute, async (c) => {
    const input = c.req.valid("json");
    await authorizedRead(c, () => [] as const);
    const recordType = recordTypeOf(input.trigger);
    return c.json(
      {
        valid: true as const,
        triggerEventType: triggerEventType(input.trigger),
        recordType: recordType === "contact?" ? null : recordType,
      },
      200,
    );
  })
  .openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const {
      results: [rows],
    } = await authorizedRead(c, () => [readWorkflowQuery(c.get("db"), id)] as const);
    const row = rows[0] ?? notFound();
    return c.json(toWorkflow(row), 200, { ETag: etag(row.version) });
  })
  .openapi(updateRoute, async (c) => {
    const { id } = c.req.valid("param");
    const ifMatch = ifMatchVersion(c);
    const input = c.req.valid("json");
    const {
      results: [, moved, , current],
    } = await authorizedWrite(c, (me) =>
      updateWorkflowStatements(c.get("db"), me, id, split(input), ifMatch, writeContext(c)),
    );
    const row = current[0] ?? notFound();
    if (moved.length === 0) throw preconditionFailed();
    return c.json(toWorkflow(row), 200, { ETag: etag(row.version) });
  })
  .openapi(enableRoute, async (c) => {
    const { id } = c.req.valid("param");
    const {
      results: [, , rows],
    } = await authorizedWrite(c, (me) => setEnabledStatements(c.get("db"), me, id, true, writeContext(c)));
    const row = rows[0] ?? notFound();
    return c.json(toWorkflow(row), 200, { ETag: etag(row.version) });
  })
  .openapi(disableRoute, async (c) => {
    const { id } = c.req.valid("param");
    const {
      results: [, , rows],
    } = await authorizedWrite(c, (me) => setEnabledStatements(c.get("db"), me, id, false, writeContext(c)));
    const row = rows[0] ?? notFound();
    return c.json(toWorkflow(row), 200, { ETag: etag(row.version) });
  })
  .openapi(deleteRoute, async (c) => {
    const { id } = c.req.valid("param");
    const {
      results: [deleted],
    } = await authorizedWrite(c, (me) => deleteWorkflowStatements(c.get("db"), me, id, writeContext(c)));
    if (deleted.length === 0) notFound();
    return c.body(null, 204);
  })
  .openapi(secretRoute, async (c) => {
    const { id } = c.req.valid("param");
    const signingSecret = generateSecret();
    const {
      results: [rows],
    } = await authorizedWrite(c, (me) =>
      rotateSecretStatements(c.get("db"), me, id, signingSecret, writeContext(c)),
    );
    if (rows.length === 0) notFound();
    return c.json({ signingSecret }, 200);
  })
  .openapi(testRoute, async (c) => {
    const { id } = c.req.valid("param");
    const request = c.req.valid("json");
    const db = c.get("db");
    const { results } = await authorizedRead(
      c,
      (me) => [readWorkflowQuery(db, id), ...dryRunQueries(db, me, id, request.recordId)] as const,
    );
    const [workflows, , , , , contacts, templates, users] = results;
    const workflow = workflows[0] ?? notFound();
    const found = dryRunRecord(results.slice(1, 5));
    if (!found) throw new ApiError("not_found", "Record not found");
    const record = toFacts(found.row);
    if (!record) throw new ApiError("not_found", "Record not found");
    const definition = parseDefinition(workflow.definition);
    if (!definition) {
      throw new ApiError(
        "conflict",
        "The workflow's current version no longer passes validation: update it first.",
      );
    }
    const result = dryRun({
      definition,
      record,
      recordType: found.kind,
      contact: contacts[0] ?? null,
      templates,
      users,
      before: request.before,
      event: request.event,
      allowPrivateTargets: c.get("config").WEBHOOKS_ALLOW_PRIVATE_TARGETS,
      now: Date.now(),
    });
    return c.json(
      {
        workflowId: workflow.id,
        version: workflow.version,
        record: { type: found.kind, id: record.id, label: recordLabel(record) },
        ...result,
      },
      200,
    );
  });
