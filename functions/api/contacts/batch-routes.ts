// POST /api/v1/contacts/batch: create or update up to 100 contacts by primary email in one round trip, with
// a result per item. The answer is 200 whenever the batch ran: each item's status says what happened to it
// (207 Multi-Status is WebDAV's, and clients handle a plain 200 with per-item results more simply).
import { upsertContacts } from "../../../db/contacts/batch.ts";
import { authorizedWrite, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import { body, json } from "../../openapi.ts";
import { requestOrigin } from "../../request-origin.ts";
import { BatchBody, counts, parseItems } from "../companies/batch-items.ts";
import { BatchResponse } from "../companies/schemas.ts";
import { withObjectConfig } from "../companies/with-config.ts";
import { ContactPatch } from "./schemas.ts";

const batchRoute = defineRoute({
  method: "post",
  path: "/api/v1/contacts/batch",
  tags: ["Contacts"],
  summary: "Create or update up to 100 contacts, matched by primary email; a result per item",
  description:
    "An item whose first email is the primary email of a live contact the caller may change updates it (only " +
    "the fields sent; tags, when sent, replace the old ones); otherwise it creates a contact. Answers 200 " +
    "with each item's status.",
  access: { scope: "contacts:write", write: true },
  request: body(BatchBody("Contact")),
  responses: { 200: json(BatchResponse, "Each item's outcome, in order") },
});

const never = (_: unknown): _ is Error & { errors: [] } => false;

export const contactBatchRoutes = createRouter().openapi(batchRoute, async (c) => {
  const items = parseItems(ContactPatch, c.req.valid("json").items);
  const results = await withObjectConfig(c, "contact", never, async (config) => {
    const ctx = { origin: requestOrigin(c), now: Date.now() };
    const { build, outcomes } = upsertContacts(c.get("db"), items, config, ctx);
    return outcomes((await authorizedWrite(c, build)).results);
  });
  return c.json({ results, counts: counts(results) }, 200);
});
