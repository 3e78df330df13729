// Data-subject rights: everything held about a contact as JSON (audited), their consent history, and erasure
// (audited; done in the background within seconds, after which forms, inbound webhooks and imports do not
// make the person again). Each request is one database round trip.
import { z } from "@hono/zod-openapi";
import { contactQuery, toContactView } from "../../../db/contacts/queries.ts";
import {
  consentHistoryQuery,
  personalDataQueries,
  privacyRequestQuery,
  requestErasureStatements,
} from "../../../db/privacy/requests.ts";
import { eraseMessage } from "../../../queues/privacy/handlers.ts";
import { authorizedRead, authorizedWrite, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import { ApiError } from "../../errors.ts";
import { body, json } from "../../openapi.ts";
import { requestOrigin } from "../../request-origin.ts";
import { IdParams } from "../contacts/schemas.ts";

const tags = ["Privacy"];
const admin = { roles: ["admin"] } as const;

const Row = z.record(z.string(), z.unknown());

const PersonalData = z
  .object({
    contact: Row,
    activities: z.array(Row),
    deals: z.array(Row),
    tasks: z.array(Row),
    formSubmissions: z.array(Row),
    emails: z.array(Row),
    engagement: z.array(Row),
    consentHistory: z.array(Row),
    exportedAt: z.number().int(),
  })
  .openapi("PersonalData");

const ConsentEntry = z.object({
  at: z.number().int(),
  consent: z.enum(["granted", "withdrawn"]).nullable(),
  source: z.string().nullable(),
  how: z.string(),
});

const PrivacyRequest = z
  .object({
    id: z.string(),
    kind: z.literal("erase"),
    contactId: z.string(),
    status: z.enum(["pending", "done"]),
    reason: z.string().nullable(),
    createdAt: z.number().int(),
    finishedAt: z.number().int().nullable(),
  })
  .openapi("PrivacyRequest");

const exportRoute = defineRoute({
  method: "get",
  path: "/api/v1/contacts/{id}/personal-data",
  tags,
  summary: "Everything held about a contact, as JSON (a subject access request; audited)",
  access: { scope: "privacy:read", ...admin },
  record: "contact",
  request: { params: IdParams },
  responses: { 200: json(PersonalData, "The contact's data") },
});

const consentRoute = defineRoute({
  method: "get",
  path: "/api/v1/contacts/{id}/consent-history",
  tags,
  summary: "Each consent decision of a contact: when, what, from where, oldest first",
  access: { scope: "contacts:read" },
  record: "contact",
  request: { params: IdParams },
  responses: { 200: json(z.object({ items: z.array(ConsentEntry) }), "The history") },
});

const eraseRoute = defineRoute({
  method: "post",
  path: "/api/v1/contacts/{id}/erase",
  tags,
  summary:
    "Erase a contact on their request (audited): personal data anonymised, email and phones suppressed",
  description:
    "Answers 202 at once; the erasure runs in the background within seconds (GET /api/v1/privacy-requests/{id}). " +
    "The contact's emails and phones are kept only as hashes, so forms, inbound webhooks and imports do not make " +
    "the person again. Deals and companies stay; their link to the person is anonymous from then on.",
  access: { scope: "privacy:write", write: true, ...admin },
  record: "contact",
  request: { params: IdParams, ...body(z.strictObject({ reason: z.string().trim().max(500).optional() })) },
  responses: { 202: json(PrivacyRequest, "Asked for") },
});

const requestRoute = defineRoute({
  method: "get",
  path: "/api/v1/privacy-requests/{id}",
  tags,
  summary: "Where an erasure stands",
  access: { scope: "privacy:read", ...admin },
  record: "privacy_request",
  request: { params: IdParams },
  responses: { 200: json(PrivacyRequest, "The request") },
});

const parseJson = (value: unknown) => {
  if (typeof value !== "string" || !/^[[{]/.test(value)) return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
};
const expand = (rows: Record<string, unknown>[]) =>
  rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, parseJson(v)])));

export const privacyRoutes = createRouter()
  .openapi(exportRoute, async (c) => {
    const { id } = c.req.valid("param");
    const now = Date.now();
    const {
      results: [contacts, visible, activities, deals, tasks, submissions, emails, engagement, consent],
    } = await authorizedWrite(c, (me) => personalDataQueries(c.get("db"), me, id, requestOrigin(c), now));
    const contact = contacts[0];
    if (!contact || !visible[0]?.visible) throw new ApiError("not_found", "Not found");
    return c.json(
      {
        contact: toContactView(contact) as unknown as Record<string, unknown>,
        activities: expand(activities),
        deals: expand(deals),
        tasks: expand(tasks),
        formSubmissions: expand(submissions),
        emails: expand(emails),
        engagement: expand(engagement),
        consentHistory: consent as unknown as Record<string, unknown>[],
        exportedAt: now,
      },
      200,
      { "Content-Disposition": `attachment; filename="contact-${id}.json"` },
    );
  })
  .openapi(consentRoute, async (c) => {
    const { id } = c.req.valid("param");
    const db = c.get("db");
    const {
      results: [contacts, items],
    } = await authorizedRead(c, (me) => [contactQuery(db, me, id), consentHistoryQuery(db, id)] as const);
    if (!contacts[0]) throw new ApiError("not_found", "Not found");
    return c.json({ items }, 200);
  })
  .openapi(eraseRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { reason } = c.req.valid("json");
    const now = Date.now();
    const {
      results: [, rows],
    } = await authorizedWrite(c, (me) =>
      requestErasureStatements(c.get("db"), me, id, reason ?? null, requestOrigin(c), now),
    );
    const row = rows[0];
    if (!row) throw new ApiError("not_found", "Not found");
    try {
      await c.env.EVENTS_QUEUE.send(eraseMessage(row.id, now));
    } catch (error) {
      // Recorded: the data-stalled cron sends it again within a minute or two.
      console.error(
        JSON.stringify({
          level: "error",
          message: "erasure not queued",
          requestId: row.id,
          error: String(error),
        }),
      );
    }
    return c.json(row, 202, { Location: `/api/v1/privacy-requests/${row.id}` });
  })
  .openapi(requestRoute, async (c) => {
    const { id } = c.req.valid("param");
    const {
      results: [rows],
    } = await authorizedRead(c, () => [privacyRequestQuery(c.get("db"), id)] as const);
    const row = rows[0];
    if (!row) throw new ApiError("not_found", "Not found");
    return c.json(row, 200);
  });
