// Duplicates: the review list of likely duplicates (same email or phone once normalised, or the same name
// within a company, accents and word order aside), dismissing a candidate, a full scan of existing records,
// and merging two contacts or two companies (the surviving value chosen per field; everything moves to the
// survivor; the merged id answers with a redirect to it). Each request is one database round trip.
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { companyByIdQuery, toCompanyView } from "../../../db/companies/queries.ts";
import { contactByIdQuery, toContactView } from "../../../db/contacts/queries.ts";
import { dismissPairStatements, listPairsQuery, toPairView } from "../../../db/duplicates/review.ts";
import {
  COMPANY_FIELDS,
  CONTACT_FIELDS,
  mergeCompaniesStatements,
  mergeContactsStatements,
} from "../../../db/merge/merge.ts";
import { scanMessage } from "../../../queues/duplicates/handlers.ts";
import { authorizedRead, authorizedWrite, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import type { AppEnv } from "../../env.ts";
import { ApiError } from "../../errors.ts";
import { body, json, pageQuery } from "../../openapi.ts";
import { requestOrigin } from "../../request-origin.ts";
import { CompanySchema } from "../companies/schemas.ts";
import { ContactSchema, IdParams } from "../contacts/schemas.ts";

const tags = ["Duplicates"];
const Id = z.string().min(1).max(64);
const Side = z.enum(["survivor", "merged"]);

const pickOf = <K extends string>(fields: readonly K[]) =>
  z
    .strictObject(
      Object.fromEntries(fields.map((f) => [f, Side.optional()])) as Record<K, z.ZodOptional<typeof Side>>,
    )
    .default({} as never)
    .openapi({
      description:
        "Which record's value each field keeps. Unnamed fields keep the survivor's, or the merged one's where the " +
        "survivor has none (consent: the newer decision; custom fields: merged key by key, the survivor's winning).",
    });

const ContactMerge = z
  .strictObject({
    survivorId: Id,
    mergedId: Id,
    pick: pickOf(Object.keys(CONTACT_FIELDS) as (keyof typeof CONTACT_FIELDS)[]),
  })
  .openapi("ContactMerge");

const CompanyMerge = z
  .strictObject({
    survivorId: Id,
    mergedId: Id,
    pick: pickOf(Object.keys(COMPANY_FIELDS) as (keyof typeof COMPANY_FIELDS)[]),
  })
  .openapi("CompanyMerge");

const PairSchema = z
  .object({
    id: z.string(),
    type: z.enum(["contact", "company"]),
    reasons: z.array(z.enum(["email", "phone", "name"])),
    status: z.enum(["open", "dismissed", "merged"]),
    createdAt: z.number().int(),
    records: z
      .array(z.record(z.string(), z.union([z.string(), z.number(), z.null()])))
      .openapi({ description: "The two records, briefly." }),
  })
  .openapi("DuplicatePair");

const PairPage = z
  .object({ items: z.array(PairSchema), nextCursor: z.string().nullable() })
  .openapi("DuplicatePairPage");

const ListQuery = z.object({
  type: z.enum(["contact", "company"]).default("contact"),
  status: z.enum(["open", "dismissed", "merged"]).default("open"),
  ...pageQuery(),
});

const listRoute = defineRoute({
  method: "get",
  path: "/api/v1/duplicates",
  tags,
  summary: "The review list: pairs of contacts (or companies) that look like one, newest first",
  access: { scope: "contacts:read" },
  record: "duplicate",
  request: { query: ListQuery },
  responses: { 200: json(PairPage, "One page of candidates") },
});

const dismissRoute = defineRoute({
  method: "post",
  path: "/api/v1/duplicates/{id}/dismiss",
  tags,
  summary: "Not duplicates: the pair leaves the list and stays out",
  access: { scope: "contacts:write", write: true },
  record: "duplicate",
  request: { params: IdParams },
  responses: { 200: json(PairSchema, "Dismissed") },
});

const scanRoute = defineRoute({
  method: "post",
  path: "/api/v1/duplicates/scan",
  tags,
  summary: "Look for duplicates among every contact and company (records change are checked as they change)",
  access: { scope: "contacts:write", write: true, roles: ["admin"] },
  responses: { 202: json(z.object({ status: z.literal("queued") }), "Queued") },
});

const mergeContactsRoute = defineRoute({
  method: "post",
  path: "/api/v1/contacts/merge",
  tags,
  summary: "Merge two contacts into the survivor; the merged contact's id then redirects to it",
  access: { scope: "contacts:write", write: true },
  request: body(ContactMerge),
  responses: { 200: json(ContactSchema, "The survivor after the merge") },
});

const mergeCompaniesRoute = defineRoute({
  method: "post",
  path: "/api/v1/companies/merge",
  tags,
  summary: "Merge two companies into the survivor; the merged company's id then redirects to it",
  access: { scope: "companies:write", write: true },
  request: body(CompanyMerge),
  responses: { 200: json(CompanySchema, "The survivor after the merge") },
});

function distinct(c: Context<AppEnv>, survivorId: string, mergedId: string) {
  if (survivorId === mergedId) {
    throw new ApiError("validation_failed", "mergedId: A record cannot be merged into itself.", {
      errors: [{ path: "mergedId", message: "A record cannot be merged into itself." }],
    });
  }
  return { origin: requestOrigin(c), now: Date.now() };
}

export const duplicateRoutes = createRouter()
  .openapi(listRoute, async (c) => {
    const query = c.req.valid("query");
    const {
      results: [rows],
    } = await authorizedRead(c, (me) => [listPairsQuery(c.get("db"), me, query)] as const);
    const items = rows.slice(0, query.limit).map(toPairView);
    return c.json({ items, nextCursor: rows.length > query.limit ? (items.at(-1)?.id ?? null) : null }, 200);
  })
  .openapi(dismissRoute, async (c) => {
    const { id } = c.req.valid("param");
    const {
      results: [dismissed, rows],
    } = await authorizedWrite(c, (me) => dismissPairStatements(c.get("db"), me, id, Date.now()));
    const row = rows[0];
    if (!row) throw new ApiError("not_found", "Not found");
    if (dismissed.length === 0 && row.status !== "dismissed") {
      throw new ApiError("conflict", `The pair is ${row.status}.`);
    }
    return c.json(toPairView(row), 200);
  })
  .openapi(scanRoute, async (c) => {
    // The caller is checked (and the scan asked for) before anything is queued.
    await authorizedRead(c, () => [] as const);
    const now = Date.now();
    await c.env.EVENTS_QUEUE.sendBatch([
      { body: scanMessage("contact", "", now) },
      { body: scanMessage("company", "", now) },
    ]);
    return c.json({ status: "queued" as const }, 202);
  })
  .openapi(mergeContactsRoute, async (c) => {
    const input = c.req.valid("json");
    const ctx = distinct(c, input.survivorId, input.mergedId);
    const db = c.get("db");
    const { results } = await authorizedWrite(
      c,
      (me) =>
        [...mergeContactsStatements(db, me, input, ctx), contactByIdQuery(db, input.survivorId)] as const,
    );
    const row = (results.at(-1) as Awaited<ReturnType<typeof contactByIdQuery>>)[0];
    if (!row) throw new ApiError("not_found", "Not found");
    return c.json(toContactView(row), 200);
  })
  .openapi(mergeCompaniesRoute, async (c) => {
    const input = c.req.valid("json");
    const ctx = distinct(c, input.survivorId, input.mergedId);
    const db = c.get("db");
    const { results } = await authorizedWrite(
      c,
      (me) =>
        [...mergeCompaniesStatements(db, me, input, ctx), companyByIdQuery(db, input.survivorId)] as const,
    );
    const row = (results.at(-1) as Awaited<ReturnType<typeof companyByIdQuery>>)[0];
    if (!row) throw new ApiError("not_found", "Not found");
    return c.json(toCompanyView(row), 200);
  });
