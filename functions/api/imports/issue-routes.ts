// The rows an import refused: a page of them with their reasons, or all of them as a CSV file with the file's
// own columns plus the row number and the reasons, to fix and import again.
import { csvLine } from "../../../db/imports/csv.ts";
import { importQuery, issuesQuery } from "../../../db/imports/imports.ts";
import { authorizedRead, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import { ApiError } from "../../errors.ts";
import { json } from "../../openapi.ts";
import { IdParams } from "../contacts/schemas.ts";
import { type CsvPage, csvResponse } from "../exports/stream.ts";
import { read, tags } from "./common.ts";
import { IssuePage, IssuesQuery } from "./schemas.ts";

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

const PAGE = 1000;

export const issueRoutes = createRouter()
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
  });
