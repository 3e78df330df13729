// Sequences (drip cadences): list, create, read, change (If-Match), delete. Everyone reads them; admins and
// managers write them. Each request is one database round trip. Enrolments (mounted here): ./enrolment-routes.ts.

import { callerUserId } from "../../../db/caller.ts";
import { keysetPage } from "../../../db/paging.ts";
import {
  createSequenceStatements,
  deleteSequenceStatements,
  listSequencesQuery,
  readSequenceQuery,
  updateSequenceStatements,
} from "../../../db/sequences/sequences.ts";
import { authorizedRead, authorizedWrite, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import { ApiError, problemContent } from "../../errors.ts";
import { etag, ifMatchVersion, preconditionFailed } from "../../etag.ts";
import { body, json } from "../../openapi.ts";
import { IdParams } from "../contacts/schemas.ts";
import { sequenceEnrolmentRoutes } from "./enrolment-routes.ts";
import { SequenceCreate, SequenceListQuery, SequencePage, SequencePatch, SequenceSchema } from "./schemas.ts";
import { toSequence } from "./views.ts";

const tags = ["Sequences"];
const read = { scope: "workflows:read" } as const;
const write = { scope: "workflows:write", write: true, roles: ["admin", "manager"] } as const;

const listRoute = defineRoute({
  method: "get",
  path: "/api/v1/sequences",
  tags,
  summary: "List sequences, newest first (keyset pages)",
  access: read,
  record: "sequence",
  request: { query: SequenceListQuery },
  responses: { 200: json(SequencePage, "One page of sequences") },
});

const createRoute = defineRoute({
  method: "post",
  path: "/api/v1/sequences",
  tags,
  summary: "Create a sequence: email and task steps with business-day delays",
  description:
    "Steps run in order, each `delayDays` business days (Monday to Friday, in the contact owner's time zone) " +
    "after the one before, at 09:00 owner-local time; a delay of 0 runs at once. An email step sends an email " +
    "template (marketing templates only with the contact's consent); a task step makes a task for the owner, " +
    "due at 17:00 owner-local time `dueInDays` business days later. A contact leaves the sequence when a reply " +
    "or a meeting is logged, a deal of theirs changes stage, they unsubscribe, or an email to them bounces.",
  access: write,
  request: body(SequenceCreate),
  responses: {
    201: json(SequenceSchema, "Created"),
    422: problemContent("The steps are not valid, or name an email template that does not exist"),
  },
});

const getRoute = defineRoute({
  method: "get",
  path: "/api/v1/sequences/{id}",
  tags,
  summary: "Read a sequence (ETag)",
  access: read,
  record: "sequence",
  request: { params: IdParams },
  responses: { 200: json(SequenceSchema, "The sequence") },
});

const patchRoute = defineRoute({
  method: "patch",
  path: "/api/v1/sequences/{id}",
  tags,
  summary: "Change a sequence's name, steps or enabled state (If-Match)",
  access: write,
  record: "sequence",
  request: { params: IdParams, ...body(SequencePatch) },
  responses: {
    200: json(SequenceSchema, "Changed"),
    412: problemContent("If-Match names a version that is no longer current"),
  },
});

const deleteRoute = defineRoute({
  method: "delete",
  path: "/api/v1/sequences/{id}",
  tags,
  summary: "Delete a sequence; its contacts leave it (each with a timeline entry)",
  access: write,
  record: "sequence",
  request: { params: IdParams },
  responses: { 204: { description: "Deleted" } },
});

function notFound(): never {
  throw new ApiError("not_found", "Not found");
}

function missingTemplates(
  steps: readonly { type: string; templateId?: string }[],
  missing: { id: string }[],
) {
  if (missing.length === 0) return;
  const gone = new Set(missing.map((row) => row.id));
  throw new ApiError("validation_failed", "An email step names an email template that does not exist.", {
    errors: steps.flatMap((step, i) =>
      step.type === "email" && step.templateId && gone.has(step.templateId)
        ? [{ path: `steps.${i}.templateId`, message: "No email template with this id" }]
        : [],
    ),
  });
}

export const sequenceRoutes = createRouter()
  .route("/", sequenceEnrolmentRoutes)
  .openapi(listRoute, async (c) => {
    const { cursor, limit } = c.req.valid("query");
    const {
      results: [rows],
    } = await authorizedRead(c, () => [listSequencesQuery(c.get("db"), { before: cursor, limit })] as const);
    return c.json(keysetPage(rows, limit, toSequence), 200);
  })
  .openapi(createRoute, async (c) => {
    const input = c.req.valid("json");
    const {
      results: [missing, , rows],
    } = await authorizedWrite(c, (me) =>
      createSequenceStatements(c.get("db"), input, callerUserId(me), Date.now()),
    );
    missingTemplates(input.steps, missing);
    const row = rows[0];
    if (!row) throw new Error("the insert wrote no row");
    return c.json(toSequence(row), 201, { ETag: etag(row.version), Location: `/api/v1/sequences/${row.id}` });
  })
  .openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const {
      results: [rows],
    } = await authorizedRead(c, () => [readSequenceQuery(c.get("db"), id)] as const);
    const row = rows[0] ?? notFound();
    return c.json(toSequence(row), 200, { ETag: etag(row.version) });
  })
  .openapi(patchRoute, async (c) => {
    const { id } = c.req.valid("param");
    const ifMatch = ifMatchVersion(c);
    const input = c.req.valid("json");
    const {
      results: [missing, updated, current],
    } = await authorizedWrite(c, () => updateSequenceStatements(c.get("db"), id, input, ifMatch, Date.now()));
    const row = current[0];
    if (!row) notFound();
    missingTemplates(input.steps ?? [], missing);
    if (updated.length === 0) throw preconditionFailed();
    return c.json(toSequence(row), 200, { ETag: etag(row.version) });
  })
  .openapi(deleteRoute, async (c) => {
    const { id } = c.req.valid("param");
    const {
      results: [deleted],
    } = await authorizedWrite(c, (me) =>
      deleteSequenceStatements(c.get("db"), id, callerUserId(me), Date.now()),
    );
    if (deleted.length === 0) notFound();
    return c.body(null, 204);
  });
