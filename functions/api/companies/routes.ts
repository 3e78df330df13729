// Companies: create, read (with ETag), update (If-Match), soft delete and restore, and the filtered, sorted,
// searchable, keyset-paged list. Each request is one database round trip.
import type { Context } from "hono";
import { normalizeDomain } from "../../../db/companies/domain.ts";
import {
  companyQuery,
  companySortValue,
  listCompaniesQuery,
  toCompanyView,
} from "../../../db/companies/queries.ts";
import {
  CompanyInvalid,
  type CompanyWriteFailure,
  createCompany,
  createdCompany,
  deleteCompany,
  restoreCompany,
  updateCompany,
  updatedCompany,
} from "../../../db/companies/writes.ts";
import { parseSort } from "../../../db/contacts/list.ts";
import { redirectQuery } from "../../../db/merge/merge.ts";
import { decodeSortCursor as decodeCursor, encodeSortCursor as encodeCursor } from "../../../db/paging.ts";
import { authorizedRead, authorizedWrite, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import type { AppEnv } from "../../env.ts";
import { ApiError, problemContent } from "../../errors.ts";
import { etag, ifMatchVersion, preconditionFailed } from "../../etag.ts";
import { body, json } from "../../openapi.ts";
import { requestOrigin } from "../../request-origin.ts";
import { IdParams } from "../contacts/schemas.ts";
import { companyBatchRoutes } from "./batch-routes.ts";
import { CompanyCreate, CompanyListQuery, CompanyPage, CompanyPatch, CompanySchema } from "./schemas.ts";
import { invalid, withObjectConfig } from "./with-config.ts";

const tags = ["Companies"];
const read = { scope: "companies:read" } as const;
const write = { scope: "companies:write", write: true } as const;

const listRoute = defineRoute({
  method: "get",
  path: "/api/v1/companies",
  tags,
  summary: "List companies: filter, sort, search (q), keyset pages",
  access: read,
  record: "company",
  request: { query: CompanyListQuery },
  responses: { 200: json(CompanyPage, "One page of companies") },
});

const createRoute = defineRoute({
  method: "post",
  path: "/api/v1/companies",
  tags,
  summary: "Create a company",
  access: write,
  request: body(CompanyCreate),
  responses: {
    201: json(CompanySchema, "Created"),
    409: problemContent("A live company has this domain; the detail names it"),
  },
});

const getRoute = defineRoute({
  method: "get",
  path: "/api/v1/companies/{id}",
  tags,
  summary: "Read a company (ETag)",
  access: read,
  record: "company",
  request: { params: IdParams },
  responses: {
    200: json(CompanySchema, "The company"),
    308: { description: "The company was merged into another: Location names it" },
  },
});

const patchRoute = defineRoute({
  method: "patch",
  path: "/api/v1/companies/{id}",
  tags,
  summary: "Update a company (If-Match)",
  access: write,
  record: "company",
  request: { params: IdParams, ...body(CompanyPatch) },
  responses: {
    200: json(CompanySchema, "Updated"),
    409: problemContent("Another live company has this domain; the detail names it"),
    412: problemContent("If-Match names a version that is no longer current"),
  },
});

const deleteRoute = defineRoute({
  method: "delete",
  path: "/api/v1/companies/{id}",
  tags,
  summary: "Delete a company (it can be restored)",
  access: write,
  record: "company",
  request: { params: IdParams },
  responses: { 204: { description: "Deleted" } },
});

const restoreRoute = defineRoute({
  method: "post",
  path: "/api/v1/companies/{id}/restore",
  tags,
  summary: "Restore a deleted company",
  access: write,
  record: "company",
  request: { params: IdParams },
  responses: {
    200: json(CompanySchema, "Restored"),
    409: problemContent("A live company has taken its domain meanwhile"),
  },
});

function ctx(c: Context<AppEnv>) {
  return { origin: requestOrigin(c), now: Date.now() };
}

function fail(failure: CompanyWriteFailure): never {
  switch (failure.kind) {
    case "not_found":
      throw new ApiError("not_found", "Not found");
    case "stale":
      throw preconditionFailed();
    case "conflict":
      throw new ApiError("conflict", `Company ${failure.companyId} already has this domain.`);
    case "invalid":
      throw invalid(failure.errors);
  }
}

const isInvalid = (error: unknown): error is CompanyInvalid => error instanceof CompanyInvalid;
const CUSTOM_FILTER = /^custom\.([A-Za-z0-9_]{1,64})$/;

export const companyRoutes = createRouter()
  .route("/", companyBatchRoutes)
  .openapi(listRoute, async (c) => {
    const query = c.req.valid("query");
    const sort = parseSort(query.sort, query.q);
    const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    if (!sort || cursor === null)
      throw new ApiError("validation_failed", "cursor: Not a cursor of this list.");
    const custom: Record<string, string> = {};
    for (const [key, value] of Object.entries(query)) {
      const match = CUSTOM_FILTER.exec(key);
      if (match?.[1] && typeof value === "string") custom[match[1]] = value;
    }
    const {
      results: [rows],
    } = await authorizedRead(
      c,
      (me) =>
        [
          listCompaniesQuery(c.get("db"), me, {
            ownerId: query.owner,
            teamId: query.team,
            industry: query.industry,
            country: query.country,
            domain: query.domain === undefined ? undefined : (normalizeDomain(query.domain) ?? query.domain),
            createdFrom: query.createdFrom,
            createdTo: query.createdTo,
            updatedFrom: query.updatedFrom,
            updatedTo: query.updatedTo,
            custom,
            q: query.q,
            sort,
            cursor,
            limit: query.limit,
          }),
        ] as const,
    );
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    const nextCursor =
      rows.length > query.limit && last ? encodeCursor(companySortValue(last, sort), last.id) : null;
    const items = page.map(toCompanyView);
    return c.json({ items, nextCursor }, 200);
  })
  .openapi(createRoute, async (c) => {
    const input = c.req.valid("json");
    const view = await withObjectConfig(c, "company", isInvalid, async (config) => {
      const { results } = await authorizedWrite(c, createCompany(c.get("db"), input, config, ctx(c)));
      const outcome = createdCompany(results);
      if (outcome.failure) fail(outcome.failure);
      return toCompanyView(outcome.row);
    });
    return c.json(view, 201, { ETag: etag(view.version), Location: `/api/v1/companies/${view.id}` });
  })
  .openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const {
      results: [rows, merged],
    } = await authorizedRead(
      c,
      (me) => [companyQuery(c.get("db"), me, id), redirectQuery(c.get("db"), me, "company", id)] as const,
    );
    const row = rows[0];
    // A merged company's id leads to the one it was merged into (db/merge/merge.ts), in the same round trip.
    const survivor = merged[0]?.newId;
    if (!row && survivor) return c.redirect(`/api/v1/companies/${survivor}`, 308);
    if (!row) throw new ApiError("not_found", "Not found");
    const view = toCompanyView(row);
    return c.json(view, 200, { ETag: etag(view.version) });
  })
  .openapi(patchRoute, async (c) => {
    const { id } = c.req.valid("param");
    const ifMatch = ifMatchVersion(c);
    const input = c.req.valid("json");
    const view = await withObjectConfig(c, "company", isInvalid, async (config) => {
      const build = updateCompany(c.get("db"), id, input, config, { ifMatch }, ctx(c));
      const { results } = await authorizedWrite(c, build);
      const outcome = updatedCompany(results, ifMatch);
      if (outcome.failure) fail(outcome.failure);
      return toCompanyView(outcome.row);
    });
    return c.json(view, 200, { ETag: etag(view.version) });
  })
  .openapi(deleteRoute, async (c) => {
    const { id } = c.req.valid("param");
    const {
      results: [, deleted],
    } = await authorizedWrite(c, deleteCompany(c.get("db"), id, ctx(c)));
    if (deleted.length === 0) throw new ApiError("not_found", "Not found");
    return c.body(null, 204);
  })
  .openapi(restoreRoute, async (c) => {
    const { id } = c.req.valid("param");
    const {
      results: [restored, rows, why],
    } = await authorizedWrite(c, restoreCompany(c.get("db"), id, ctx(c)));
    const row = rows[0];
    // Restoring a company that is not deleted changes nothing and answers with it, so a retry is harmless.
    const live = restored.length === 0 && row !== undefined && Boolean(why[0]?.live);
    if (!row || (restored.length === 0 && !live)) {
      const reason = why[0];
      if (reason?.visible && reason.other) {
        throw new ApiError("conflict", `Company ${reason.other} has this domain now.`);
      }
      throw new ApiError("not_found", "Not found");
    }
    const view = toCompanyView(row);
    return c.json(view, 200, { ETag: etag(view.version) });
  });
