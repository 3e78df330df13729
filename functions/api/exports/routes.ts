// Exports: any filtered list (contacts, companies, deals, tasks) as CSV, with the filters its list takes in the
// query string. The export is recorded and audited in the batch of its first page, and the list streams as the
// caller sees it, a keyset page per database round trip (the documented exception to one trip per request), so
// its size has no limit and it never sits whole in memory.
import { z } from "@hono/zod-openapi";
import type { BatchItem } from "drizzle-orm/batch";
import type { Context } from "hono";
import { customFieldsQuery, toDefinition } from "../../../db/custom-fields.ts";
import { EXPORT_COLUMNS, type ExportObject, recordExportStatements } from "../../../db/exports/exports.ts";
import { csvLine } from "../../../db/imports/csv.ts";
import { EXPORT_OBJECTS } from "../../../db/schema/index.ts";
import { authorizedRead, authorizedWrite, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import type { AppEnv } from "../../env.ts";
import { ApiError } from "../../errors.ts";
import { requestOrigin } from "../../request-origin.ts";
import { EXPORT_PAGE, FILTERS, listPage } from "./lists.ts";
import { type CsvPage, csvResponse } from "./stream.ts";

const tags = ["Exports"];
const access = { scope: "exports:read", roles: ["admin", "manager"] } as const;

const exportRoute = defineRoute({
  method: "get",
  path: "/api/v1/exports/{id}",
  tags,
  summary: "Export a filtered list as CSV, streamed (audited): contacts, companies, deals or tasks",
  description:
    "`id` names the list: `contacts`, `companies`, `deals` or `tasks`. The query string holds the filters and " +
    "sort that list's own route takes (e.g. `/api/v1/exports/contacts?lifecycleStage=customer&custom.region=north`), " +
    `without limit and cursor. The CSV streams ${EXPORT_PAGE} rows per database round trip (the documented ` +
    "exception to one trip per request), each page checking the caller again; the first page's batch records the " +
    "export and its audit entry. Contacts and companies come out with the column names the importer maps back.",
  access,
  record: "export_list",
  request: {
    params: z.object({
      id: z
        .string()
        .max(64)
        .openapi({ param: { name: "id", in: "path" }, example: "contacts" }),
    }),
    query: z.object({}).catchall(z.string().max(500)),
  },
  responses: { 200: { description: "CSV", content: { "text/csv": { schema: { type: "string" } } } } },
});

type Item = BatchItem<"sqlite">;

const CUSTOM_OBJECT = { contacts: "contact", companies: "company", deals: "deal", tasks: null } as const;

async function exportCsv(c: Context<AppEnv>, object: ExportObject, filter: Record<string, string>) {
  const db = c.get("db");
  const now = Date.now();
  const kind = CUSTOM_OBJECT[object];
  let definitions: ReturnType<typeof toDefinition>[] = [];
  const page = async (cursor: string | null): Promise<CsvPage> => {
    const first = cursor === null;
    let list: ReturnType<typeof listPage> | undefined;
    const build = (me: Parameters<typeof listPage>[1]) => {
      list = listPage(db, me, object, filter, cursor, now);
      return [
        list.query,
        ...(first && kind ? [customFieldsQuery(db, kind)] : []),
        ...(first ? recordExportStatements(db, me, { object, filter }, requestOrigin(c), now) : []),
      ] as unknown as readonly [Item, ...Item[]];
    };
    // The first page writes (the export's row and audit entry), so its batch opens with the access guard.
    const { results } = first ? await authorizedWrite(c, build) : await authorizedRead(c, build);
    const [rows, defs] = results as unknown as [unknown, Parameters<typeof toDefinition>[0][] | undefined];
    if (first && kind && defs) definitions = defs.map(toDefinition);
    if (!list) throw new Error("no list");
    const { cells, next } = list.read(rows, definitions);
    const header = first
      ? csvLine([...EXPORT_COLUMNS[object].header, ...definitions.map((d) => `custom.${d.key}`)])
      : "";
    return { text: header + cells.map(csvLine).join(""), next: next ? () => page(next) : null };
  };
  return csvResponse(c, await page(null), `${object}-${new Date(now).toISOString().slice(0, 10)}.csv`);
}

export const exportRoutes = createRouter().openapi(exportRoute, async (c) => {
  const { id } = c.req.valid("param");
  const object = EXPORT_OBJECTS.find((o) => o === id);
  if (!object) {
    // Checked against access first, so a caller who may not export hears that rather than what exists.
    await authorizedRead(c, () => [] as const);
    throw new ApiError("not_found", `No list "${id}" to export: contacts, companies, deals or tasks.`);
  }
  const filter = c.req.valid("query") as Record<string, string>;
  const checked = FILTERS[object].safeParse(filter);
  if (!checked.success) {
    const errors = checked.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
    throw new ApiError("validation_failed", errors.map((e) => `${e.path}: ${e.message}`).join("; "), {
      errors,
    });
  }
  return exportCsv(c, object, filter);
});
