// CSV imports: make an import, upload the file in parts of at most 1 MiB (the API's body limit: each part is
// one request and one round trip, so a file of any size goes in without a larger limit), dry-run it, run it,
// follow its progress, read the rows refused (JSON, or a CSV to fix and upload again), and undo it. Runs go
// through the events queue a chunk at a time (queues/imports/).
import { z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import type { Context } from "hono";
import { callerAuditStatement } from "../../../db/audit-queries.ts";
import { customFieldsQuery, toDefinition } from "../../../db/custom-fields.ts";
import { csvLine, readHeader } from "../../../db/imports/csv.ts";
import {
  createImportStatement,
  type ImportRow,
  importQuery,
  issuesQuery,
  listImportsQuery,
  putPartStatements,
  startRunStatements,
  startUndoStatements,
} from "../../../db/imports/imports.ts";
import {
  checkMapping,
  type ImportObject,
  type Mapping,
  suggestMapping,
} from "../../../db/imports/targets.ts";
import { keysetPage } from "../../../db/paging.ts";
import { chunkMessage, undoMessage } from "../../../queues/imports/messages.ts";
import { authorizedRead, authorizedWrite, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import type { AppEnv } from "../../env.ts";
import { ApiError, problemContent } from "../../errors.ts";
import { body, json, pageQuery } from "../../openapi.ts";
import { requestOrigin } from "../../request-origin.ts";
import { IdParams } from "../contacts/schemas.ts";
import { type CsvPage, csvResponse } from "../exports/stream.ts";
import {
  ImportCreate,
  ImportPage,
  ImportSchema,
  IssuePage,
  IssuesQuery,
  PartQuery,
  RunRequest,
} from "./schemas.ts";

const tags = ["Imports"];
const read = { scope: "imports:read", roles: ["admin", "manager"] } as const;
const write = { scope: "imports:write", roles: ["admin", "manager"], write: true } as const;
const OBJECTS: readonly ImportObject[] = ["contact", "company", "deal"];

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

const dryRunRoute = defineRoute({
  method: "post",
  path: "/api/v1/imports/{id}/dry-run",
  tags,
  summary:
    "Check the whole file without writing: per-row errors, and how many rows would make, update or skip",
  access: write,
  record: "import",
  request: { params: IdParams, ...body(RunRequest) },
  responses: {
    202: json(ImportSchema, "Started; follow GET /api/v1/imports/{id}"),
    409: problemContent("A run is under way or done, or parts are missing"),
  },
});

const startRoute = defineRoute({
  method: "post",
  path: "/api/v1/imports/{id}/start",
  tags,
  summary: "Run the import in the background (the mapping is remembered for the source)",
  access: write,
  record: "import",
  request: { params: IdParams, ...body(RunRequest) },
  responses: {
    202: json(ImportSchema, "Started; follow GET /api/v1/imports/{id}"),
    409: problemContent("A run is under way or done, or parts are missing"),
  },
});

const issuesRoute = defineRoute({
  method: "get",
  path: "/api/v1/imports/{id}/issues",
  tags,
  summary: "The rows of the last run that were refused or skipped, with the reasons (pages by row number)",
  access: read,
  record: "import",
  request: { params: IdParams, query: IssuesQuery },
  responses: { 200: json(IssuePage, "One page of rows") },
});

const rejectedRoute = defineRoute({
  method: "get",
  path: "/api/v1/imports/{id}/rejected.csv",
  tags,
  summary:
    "The refused and skipped rows as CSV, with their row number and reasons: fix and import them again",
  description:
    "Streamed a page at a time, so it costs a database round trip per page (the documented exception to one per request).",
  access: read,
  record: "import",
  request: { params: IdParams },
  responses: { 200: { description: "CSV", content: { "text/csv": { schema: { type: "string" } } } } },
});

const undoRoute = defineRoute({
  method: "post",
  path: "/api/v1/imports/{id}/undo",
  tags,
  summary: "Undo a finished import: the records it made are deleted, what it changed is put back",
  description: "A column changed by someone since the import keeps its new value.",
  access: write,
  record: "import",
  request: { params: IdParams },
  responses: {
    202: json(ImportSchema, "Started; follow GET /api/v1/imports/{id}"),
    409: problemContent("The import is not finished, is a dry run, or is already undone"),
  },
});

export function toImportView(row: ImportRow, suggested: Mapping | null = null) {
  const span = Math.max(1, row.bytes - row.dataStart);
  const done = ["done", "checked", "undoing", "undone"].includes(row.status);
  return {
    id: row.id,
    object: row.object,
    status: row.status,
    sourceName: row.sourceName,
    fileName: row.fileName,
    createdBy: row.createdBy,
    parts: row.parts,
    bytes: row.bytes,
    columns: row.columns ? (JSON.parse(row.columns) as string[]) : null,
    preview: row.preview ? (JSON.parse(row.preview) as string[][]) : [],
    mapping: row.mapping ? (JSON.parse(row.mapping) as Mapping) : null,
    suggestedMapping: suggested,
    dryRun: row.dryRun,
    run: row.run,
    progress: row.run === 0 ? 0 : done ? 1 : Math.min(1, Math.max(0, (row.cursor - row.dataStart) / span)),
    rowsDone: row.rowsDone,
    created: row.created,
    updated: row.updated,
    skipped: row.skipped,
    errors: row.errors,
    undo: { reverted: row.reverted, removed: row.removed },
    failure: row.failure,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    undoneAt: row.undoneAt,
  };
}

/** The mapping's problems that code can find (targets, repeats, required fields), for each kind of import. */
function mappingChecks(mapping: Mapping) {
  const errors = Object.fromEntries(
    OBJECTS.map((object) => [object, checkMapping(object, mapping)]),
  ) as Record<ImportObject, ReturnType<typeof checkMapping>>;
  const validFor = Object.fromEntries(OBJECTS.map((o) => [o, errors[o].length === 0])) as Record<
    ImportObject,
    boolean
  >;
  return { errors, validFor };
}

async function startRun(c: Context<AppEnv>, id: string, mapping: Mapping, dryRun: boolean) {
  const now = Date.now();
  const checks = mappingChecks(mapping);
  const {
    results: [, started, , , why],
  } = await authorizedWrite(
    c,
    (me) =>
      [
        ...startRunStatements(c.get("db"), me, id, { mapping, dryRun, validFor: checks.validFor }, now),
        callerAuditStatement(
          c.get("db"),
          me,
          { action: "import.started", targetType: "import", targetId: id, changes: { dryRun, mapping } },
          requestOrigin(c),
          now,
          {
            when: sql`exists (select 1 from imports where id = ${id} and started_at = ${now} and status in ('running', 'dry_running'))`,
          },
        ),
      ] as const,
  );
  const row = started[0];
  if (!row) {
    const reason = why[0];
    if (!reason?.visible) throw new ApiError("not_found", "Not found");
    const fieldErrors = [
      ...(reason.object ? checks.errors[reason.object] : []),
      ...(JSON.parse(reason.unknownColumns) as string[]).map((column) => ({
        path: `mapping.${column}`,
        message: "The file has no such column.",
      })),
      ...(JSON.parse(reason.unknownCustom) as string[]).map((key) => ({
        path: "mapping",
        message: `No custom field "${key}" on ${reason.object}s.`,
      })),
    ];
    if (reason.status === "uploading" || reason.status === "checked" || reason.status === "failed") {
      if (fieldErrors.length > 0) {
        throw new ApiError(
          "validation_failed",
          fieldErrors.map((e) => `${e.path}: ${e.message}`).join("; "),
          {
            errors: fieldErrors,
          },
        );
      }
      if (reason.parts === 0 || reason.columns === null) {
        throw new ApiError(
          "conflict",
          "Upload the file first: PUT /api/v1/imports/{id}/parts?part=0 and on.",
        );
      }
      if (reason.lastPart !== reason.parts) {
        throw new ApiError(
          "conflict",
          `Parts are missing: ${reason.parts} uploaded, numbered up to ${reason.lastPart - 1}.`,
        );
      }
    }
    throw new ApiError(
      "conflict",
      `The import is ${reason.status}: a run can start only after the upload or a dry run.`,
    );
  }
  try {
    await c.env.EVENTS_QUEUE.send(chunkMessage({ importId: id, run: row.run, chunk: 0 }, now));
  } catch (error) {
    // The run is recorded; the imports-stalled cron sends its first chunk within a few minutes.
    console.error(
      JSON.stringify({
        level: "error",
        message: "import chunk not queued",
        importId: id,
        error: String(error),
      }),
    );
  }
  return c.json(toImportView(row), 202, { Location: `/api/v1/imports/${id}` });
}

const PAGE = 1000;

export const importRoutes = createRouter()
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
  })
  .openapi(dryRunRoute, async (c) => {
    const { id } = c.req.valid("param");
    return startRun(c, id, c.req.valid("json").mapping, true);
  })
  .openapi(startRoute, async (c) => {
    const { id } = c.req.valid("param");
    return startRun(c, id, c.req.valid("json").mapping, false);
  })
  .openapi(issuesRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { kind, limit, cursor } = c.req.valid("query");
    const db = c.get("db");
    const {
      results: [found, rows],
    } = await authorizedRead(
      c,
      (me) =>
        [importQuery(db, me, id), issuesQuery(db, me, id, { after: cursor ?? 0, limit, kind })] as const,
    );
    if (!found[0]) throw new ApiError("not_found", "Not found");
    const items = rows.slice(0, limit).map((row) => ({
      row: row.row,
      kind: row.kind,
      reasons: JSON.parse(row.reasons) as { path: string; message: string }[],
      cells: JSON.parse(row.cells) as string[],
    }));
    return c.json({ items, nextCursor: rows.length > limit ? (items.at(-1)?.row ?? null) : null }, 200);
  })
  .openapi(rejectedRoute, async (c) => {
    const { id } = c.req.valid("param");
    const db = c.get("db");
    const page = async (after: number, first: boolean): Promise<CsvPage> => {
      const {
        results: [found, rows],
      } = await authorizedRead(
        c,
        (me) => [importQuery(db, me, id), issuesQuery(db, me, id, { after, limit: PAGE })] as const,
      );
      const row = found[0]?.import;
      if (!row) throw new ApiError("not_found", "Not found");
      const columns = row.columns ? (JSON.parse(row.columns) as string[]) : [];
      const kept = rows.slice(0, PAGE);
      const lines = kept.map((issue) => {
        const cells = JSON.parse(issue.cells) as string[];
        const reasons = (JSON.parse(issue.reasons) as { path: string; message: string }[])
          .map((r) => (r.path ? `${r.path}: ${r.message}` : r.message))
          .join("; ");
        return csvLine([...columns.map((_, i) => cells[i] ?? ""), issue.row, issue.kind, reasons]);
      });
      const head = first ? csvLine([...columns, "row", "issue", "reasons"]) : "";
      const last = kept.at(-1)?.row;
      return {
        text: head + lines.join(""),
        next: rows.length > PAGE && last !== undefined ? () => page(last, false) : null,
      };
    };
    const first = await page(0, true);
    return csvResponse(c, first, `import-${id}-rejected.csv`);
  })
  .openapi(undoRoute, async (c) => {
    const { id } = c.req.valid("param");
    const now = Date.now();
    const {
      results: [undone, current],
    } = await authorizedWrite(
      c,
      (me) =>
        [
          ...startUndoStatements(c.get("db"), me, id, now),
          callerAuditStatement(
            c.get("db"),
            me,
            { action: "import.undone", targetType: "import", targetId: id },
            requestOrigin(c),
            now,
            {
              when: sql`exists (select 1 from imports where id = ${id} and status = 'undoing' and updated_at = ${now})`,
            },
          ),
        ] as const,
    );
    const row = undone[0];
    if (!row) {
      const status = current[0]?.status;
      if (!status) throw new ApiError("not_found", "Not found");
      throw new ApiError(
        "conflict",
        `The import is ${status}: only a finished import (not a dry run) can be undone.`,
      );
    }
    try {
      await c.env.EVENTS_QUEUE.send(undoMessage({ importId: id, cursor: row.undoCursor ?? "" }, now));
    } catch (error) {
      console.error(
        JSON.stringify({
          level: "error",
          message: "import undo not queued",
          importId: id,
          error: String(error),
        }),
      );
    }
    return c.json(toImportView(row), 202);
  });
