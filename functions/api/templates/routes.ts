// Email templates: CRUD (ETag / If-Match, soft delete and restore), preview for a contact, and sending one to
// a contact (consent checked for marketing; the outbox email and an `email` timeline activity in one batch).
// Every request is one database round trip.
import { keysetPage } from "../../../db/paging.ts";
import {
  createTemplateStatement,
  deleteTemplateStatement,
  type EmailRefusal,
  type EmailRequest,
  emailRefusal,
  listTemplatesQuery,
  readTemplateQuery,
  renderedEmailQuery,
  restoreTemplateStatements,
  sendEmailStatements,
  toTemplate,
  updateTemplateStatements,
} from "../../../db/templates/templates.ts";
import { authorizedRead, authorizedWrite, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import { ApiError, problemContent } from "../../errors.ts";
import { etag, ifMatchVersion, preconditionFailed } from "../../etag.ts";
import { body, json } from "../../openapi.ts";
import { IdParams } from "../contacts/schemas.ts";
import {
  Preview,
  PreviewRequest,
  SendAccepted,
  SendRequest,
  TemplateCreate,
  TemplateListQuery,
  TemplatePage,
  TemplatePatch,
  TemplateSchema,
} from "./schemas.ts";

const tags = ["Email templates"];
// Templates are the organisation's: everyone reads and previews them, admins and managers write them.
const read = { scope: "templates:read" } as const;
const write = { scope: "templates:write", write: true, roles: ["admin", "manager"] } as const;

const listRoute = defineRoute({
  method: "get",
  path: "/api/v1/email-templates",
  tags,
  summary: "List email templates, newest first (keyset pages)",
  access: read,
  record: "email_template",
  request: { query: TemplateListQuery },
  responses: { 200: json(TemplatePage, "One page of templates") },
});

const createRoute = defineRoute({
  method: "post",
  path: "/api/v1/email-templates",
  tags,
  summary: "Create an email template (unknown variables are a 422)",
  access: write,
  request: body(TemplateCreate),
  responses: { 201: json(TemplateSchema, "Created") },
});

const getRoute = defineRoute({
  method: "get",
  path: "/api/v1/email-templates/{id}",
  tags,
  summary: "Read an email template (ETag)",
  access: read,
  record: "email_template",
  request: { params: IdParams },
  responses: { 200: json(TemplateSchema, "The template") },
});

const patchRoute = defineRoute({
  method: "patch",
  path: "/api/v1/email-templates/{id}",
  tags,
  summary: "Update an email template (If-Match)",
  access: write,
  record: "email_template",
  request: { params: IdParams, ...body(TemplatePatch) },
  responses: {
    200: json(TemplateSchema, "Updated"),
    412: problemContent("If-Match names a version that is no longer current"),
  },
});

const deleteRoute = defineRoute({
  method: "delete",
  path: "/api/v1/email-templates/{id}",
  tags,
  summary: "Delete an email template (it can be restored)",
  access: write,
  record: "email_template",
  request: { params: IdParams },
  responses: { 204: { description: "Deleted" } },
});

const restoreRoute = defineRoute({
  method: "post",
  path: "/api/v1/email-templates/{id}/restore",
  tags,
  summary: "Restore a deleted email template",
  access: write,
  record: "email_template",
  request: { params: IdParams },
  responses: { 200: json(TemplateSchema, "Restored") },
});

const previewRoute = defineRoute({
  method: "post",
  path: "/api/v1/email-templates/{id}/preview",
  tags,
  summary: "Render an email template for a contact (and optionally a deal) without sending it",
  description:
    "Variables are filled from the contact, its company and owner, and the deal; HTML-escaped in the HTML body.",
  access: read,
  record: "email_template",
  request: { params: IdParams, ...body(PreviewRequest) },
  responses: { 200: json(Preview, "The rendered subject and bodies") },
});

const sendRoute = defineRoute({
  method: "post",
  path: "/api/v1/contacts/{id}/emails",
  tags,
  summary: "Send an email template to a contact (queued in the outbox, recorded on the timeline)",
  description:
    "A marketing template goes only to a contact whose email consent is granted; a transactional one to any " +
    "contact with an email address. Rendering, checks and writes happen in one batch.",
  access: { scope: "contacts:write", write: true },
  record: "email_contact",
  request: { params: IdParams, ...body(SendRequest) },
  responses: {
    202: json(SendAccepted, "Queued: the outbox message and the timeline activity"),
    409: problemContent(
      "Marketing email without consent, or to a contact who unsubscribed; the detail says which",
    ),
  },
});

const REFUSALS: Record<EmailRefusal, () => ApiError> = {
  contact: () => new ApiError("not_found", "Contact not found"),
  template: () => new ApiError("not_found", "Email template not found"),
  deal: () => new ApiError("not_found", "Deal not found"),
  no_email: () =>
    new ApiError("conflict", "The contact has no email address: add one to the contact, then send again."),
  no_consent: () =>
    new ApiError(
      "conflict",
      "Not sent: no consent recorded. Marketing email needs the contact's email consent to be granted; record " +
        "it on the contact (emailConsent: granted) when they have opted in, or use a transactional template.",
    ),
  unsubscribed: () =>
    new ApiError(
      "conflict",
      "Not sent: the contact unsubscribed (email consent withdrawn). Marketing email cannot go to them unless " +
        "they opt in again; a transactional template is still allowed for service messages.",
    ),
};

function notFound(): never {
  throw new ApiError("not_found", "Not found");
}

export const templateRoutes = createRouter()
  .openapi(listRoute, async (c) => {
    const { cursor, limit } = c.req.valid("query");
    const {
      results: [rows],
    } = await authorizedRead(c, () => [listTemplatesQuery(c.get("db"), { before: cursor, limit })] as const);
    return c.json(keysetPage(rows, limit, toTemplate), 200);
  })
  .openapi(createRoute, async (c) => {
    const input = c.req.valid("json");
    const {
      results: [rows],
    } = await authorizedWrite(
      c,
      (me) => [createTemplateStatement(c.get("db"), me, input, Date.now())] as const,
    );
    const row = rows[0];
    if (!row) throw new Error("the insert returned no row");
    return c.json(toTemplate(row), 201, {
      ETag: etag(row.version),
      Location: `/api/v1/email-templates/${row.id}`,
    });
  })
  .openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const {
      results: [rows],
    } = await authorizedRead(c, () => [readTemplateQuery(c.get("db"), id)] as const);
    const row = rows[0] ?? notFound();
    return c.json(toTemplate(row), 200, { ETag: etag(row.version) });
  })
  .openapi(patchRoute, async (c) => {
    const { id } = c.req.valid("param");
    const ifMatch = ifMatchVersion(c);
    const input = c.req.valid("json");
    const {
      results: [updated, current],
    } = await authorizedWrite(c, () => updateTemplateStatements(c.get("db"), id, input, ifMatch, Date.now()));
    const row = updated[0];
    if (!row) throw current[0] ? preconditionFailed() : new ApiError("not_found", "Not found");
    return c.json(toTemplate(row), 200, { ETag: etag(row.version) });
  })
  .openapi(deleteRoute, async (c) => {
    const { id } = c.req.valid("param");
    const {
      results: [deleted],
    } = await authorizedWrite(c, () => [deleteTemplateStatement(c.get("db"), id, Date.now())] as const);
    if (deleted.length === 0) notFound();
    return c.body(null, 204);
  })
  .openapi(restoreRoute, async (c) => {
    const { id } = c.req.valid("param");
    const {
      results: [, rows],
    } = await authorizedWrite(c, () => restoreTemplateStatements(c.get("db"), id, Date.now()));
    const row = rows[0] ?? notFound();
    return c.json(toTemplate(row), 200, { ETag: etag(row.version) });
  })
  .openapi(previewRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { contactId, dealId, lang } = c.req.valid("json");
    const request: EmailRequest = { contactId, templateId: id, dealId, lang };
    const {
      results: [rows],
    } = await authorizedRead(c, (me) => [renderedEmailQuery(c.get("db"), me, request)] as const);
    const row = rows[0];
    // Previewing needs no address or consent: only what must exist to render.
    if (!row) throw REFUSALS.contact();
    if (!row.templateId) notFound();
    if (dealId !== undefined && !row.dealId) throw REFUSALS.deal();
    return c.json(
      { lang: row.lang, subject: row.subject ?? "", text: row.text ?? "", html: row.html ?? "" },
      200,
    );
  })
  .openapi(sendRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { templateId, dealId, lang } = c.req.valid("json");
    const request: EmailRequest = { contactId: id, templateId, dealId, lang };
    let sent = { outboxId: "", activityId: "" };
    const {
      results: [rows],
    } = await authorizedWrite(c, (me) => {
      const { statements, ...ids } = sendEmailStatements(c.get("db"), me, request, Date.now());
      sent = ids;
      return statements;
    });
    const row = rows[0];
    const refusal = emailRefusal(row, request);
    if (refusal || !row) throw REFUSALS[refusal ?? "contact"]();
    return c.json({ ...sent, lang: row.lang, subject: row.subject ?? "" }, 202);
  });
