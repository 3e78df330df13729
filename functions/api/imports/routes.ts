// CSV imports: make an import, upload the file in parts of at most 1 MiB (the API's body limit: each part is
// one request and one round trip, so a file of any size goes in without a larger limit), dry-run it, run it,
// follow its progress, read the rows refused (JSON, or a CSV to fix and upload again), and undo it. Runs go
// through the events queue a chunk at a time (queues/imports/).
import { z } from "@hono/zod-openapi";
import { customFieldsQuery, toDefinition } from "../../../db/custom-fields.ts";
import { readHeader } from "../../../db/imports/csv.ts";
import {
  createImportStatement,
  importQuery,
  listImportsQuery,
  putPartStatements,
} from "../../../db/imports/imports.ts";
import { type Mapping, suggestMapping } from "../../../db/imports/targets.ts";
import { keysetPage } from "../../../db/paging.ts";
import { authorizedRead, authorizedWrite, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import { ApiError, problemContent } from "../../errors.ts";
import { body, json, pageQuery } from "../../openapi.ts";
import { IdParams } from "../contacts/schemas.ts";
import { read, tags, toImportView, write } from "./common.ts";
import { issueRoutes } from "./issue-routes.ts";
import { runRoutes } from "./run-routes.ts";
import { ImportCreate, ImportPage, ImportSchema, PartQuery } from "./schemas.ts";

const createRoute = defineRoute({
  method: "post",
  path: "/api/v1/imports",
  tags,
  summary: "Start an import: then upload its file in parts (PUT …/parts?part=N)",
  access: write,
  request: body(ImportCreate),
  responses: { 201: json(ImportSchema, "Made, waiting for its file") },
});

const listRoute = defineRoute({
  method: "get",
  path: "/api/v1/imports",
  tags,
  summary: "List imports, newest first (yours; every one for an admin)",
  access: read,
  record: "import",
  request: { query: z.object(pageQuery()) },
  responses: { 200: json(ImportPage, "One page of imports") },
});

const getRoute = defineRoute({
  method: "get",
  path: "/api/v1/imports/{id}",
  tags,
  summary: "Read an import: its header, a suggested mapping, and the progress of its run",
  access: read,
  record: "import",
  request: { params: IdParams },
  responses: { 200: json(ImportSchema, "The import") },
});

const partRoute = defineRoute({
  method: "put",
  path: "/api/v1/imports/{id}/parts",
  tags,
  summary:
    "Upload one part of the file (at most 1 MiB; parts in file order from 0; a part sent again replaces it)",
  description:
    "The body is the part's bytes as they are in the file (`text/csv` or `application/octet-stream`): cut the file " +
    "anywhere, even inside a row or a character. Part 0 holds the header row, which sets the columns, delimiter " +
    "and line break.",
  access: write,
  record: "import",
  request: {
    params: IdParams,
    query: PartQuery,
    body: {
      content: {
        "text/csv": { schema: { type: "string" } },
        "application/octet-stream": { schema: { type: "string", format: "binary" } },
      },
      required: true,
    },
  },
  responses: {
    200: json(ImportSchema, "Stored"),
    409: problemContent("The import's file can no longer change: a run has started"),
  },
});

const fileRoutes = createRouter()
  .openapi(createRoute, async (c) => {
    const input = c.req.valid("json");
    const {
      results: [rows],
    } = await authorizedWrite(
      c,
      (me) => [createImportStatement(c.get("db"), me, input, Date.now())] as const,
    );
    const row = rows[0];
    if (!row) throw new ApiError("not_found", "Not found");
    return c.json(toImportView(row), 201, { Location: `/api/v1/imports/${row.id}` });
  })
  .openapi(listRoute, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const {
      results: [rows],
    } = await authorizedRead(c, (me) => [listImportsQuery(c.get("db"), me, { cursor, limit })] as const);
    return c.json(
      keysetPage(rows, limit, (row) => toImportView(row)),
      200,
    );
  })
  .openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const db = c.get("db");
    const {
      results: [rows, contactFields, companyFields, dealFields],
    } = await authorizedRead(
      c,
      (me) =>
        [
          importQuery(db, me, id),
          customFieldsQuery(db, "contact"),
          customFieldsQuery(db, "company"),
          customFieldsQuery(db, "deal"),
        ] as const,
    );
    const found = rows[0];
    if (!found) throw new ApiError("not_found", "Not found");
    const row = found.import;
    const definitions = [...contactFields, ...companyFields, ...dealFields].map(toDefinition);
    const columns = row.columns ? (JSON.parse(row.columns) as string[]) : null;
    const remembered = found.remembered ? (JSON.parse(found.remembered) as Mapping) : null;
    const suggested = columns ? suggestMapping(row.object, columns, remembered, definitions) : null;
    return c.json(toImportView(row, suggested), 200);
  })
  .openapi(partRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { part } = c.req.valid("query");
    const data = new Uint8Array(await c.req.arrayBuffer());
    if (data.length === 0) throw new ApiError("validation_failed", "A part holds at least one byte.");
    let header = null;
    if (part === 0) {
      const read = readHeader(data);
      if ("error" in read) throw new ApiError("validation_failed", read.error);
      header = read;
    }
    const {
      results: [stored, , rows],
    } = await authorizedWrite(c, (me) =>
      putPartStatements(c.get("db"), me, id, part, data, header, Date.now()),
    );
    const row = rows[0];
    if (!row) throw new ApiError("not_found", "Not found");
    if (stored.length === 0)
      throw new ApiError("conflict", `The import is ${row.status}: its file can no longer change.`);
    return c.json(toImportView(row), 200);
  });

/** Every import route: the file (this module), its runs, and the rows refused. */
export const importRoutes = createRouter()
  .route("/", fileRoutes)
  .route("/", runRoutes)
  .route("/", issueRoutes);
