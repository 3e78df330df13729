// POST /api/v1/companies/batch: create or update up to 100 companies by domain in one round trip, with a
// result per item. The answer is 200 whenever the batch ran: each item's status says what happened to it
// (207 Multi-Status is WebDAV's, and clients handle a plain 200 with per-item results more simply).
import { upsertCompanies } from "../../../db/companies/batch.ts";
import { authorizedWrite, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import { body, json } from "../../openapi.ts";
import { requestOrigin } from "../../request-origin.ts";
import { BatchBody, counts, parseItems } from "./batch-items.ts";
import { BatchResponse, CompanyPatch } from "./schemas.ts";
import { withObjectConfig } from "./with-config.ts";

const batchRoute = defineRoute({
  method: "post",
  path: "/api/v1/companies/batch",
  tags: ["Companies"],
  summary: "Create or update up to 100 companies, matched by domain; a result per item",
  description:
    "An item whose domain belongs to a live company the caller may change updates it (only the fields sent); " +
    "otherwise it creates a company (then `name` is required). Answers 200 with each item's status.",
  access: { scope: "companies:write", write: true },
  request: body(BatchBody("Company")),
  responses: { 200: json(BatchResponse, "Each item's outcome, in order") },
});

const never = (_: unknown): _ is Error & { errors: [] } => false;

export const companyBatchRoutes = createRouter().openapi(batchRoute, async (c) => {
  const items = parseItems(CompanyPatch, c.req.valid("json").items);
  const results = await withObjectConfig(c, "company", never, async (config) => {
    const ctx = { origin: requestOrigin(c), now: Date.now() };
    const { build, outcomes } = upsertCompanies(c.get("db"), items, config, ctx);
    return outcomes((await authorizedWrite(c, build)).results);
  });
  return c.json({ results, counts: counts(results) }, 200);
});
