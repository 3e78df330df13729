// Runs of an import: a dry run that checks every row and writes nothing, the run itself (through the events
// queue a chunk at a time, queues/imports/), again after a failed run, and the undo of a finished one.

import { sql } from "drizzle-orm";
import type { Context } from "hono";
import { callerAuditStatement } from "../../../db/audit-queries.ts";
import { startRunStatements, startUndoStatements } from "../../../db/imports/imports.ts";
import { checkMapping, type ImportObject, type Mapping } from "../../../db/imports/targets.ts";
import { chunkMessage, undoMessage } from "../../../queues/imports/messages.ts";
import { authorizedWrite, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import type { AppEnv } from "../../env.ts";
import { ApiError, problemContent } from "../../errors.ts";
import { body, json } from "../../openapi.ts";
import { requestOrigin } from "../../request-origin.ts";
import { IdParams } from "../contacts/schemas.ts";
import { tags, toImportView, write } from "./common.ts";
import { ImportSchema, RunRequest } from "./schemas.ts";

const OBJECTS: readonly ImportObject[] = ["contact", "company", "deal"];

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

export const runRoutes = createRouter()
  .openapi(dryRunRoute, async (c) => {
    const { id } = c.req.valid("param");
    return startRun(c, id, c.req.valid("json").mapping, true);
  })
  .openapi(startRoute, async (c) => {
    const { id } = c.req.valid("param");
    return startRun(c, id, c.req.valid("json").mapping, false);
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
