// Campaign and source costs per month: the input of the return per campaign. Admins and managers enter them
// (PUT replaces the entry of the same campaign, month and currency); everyone who reads reports sees them.
import { z } from "@hono/zod-openapi";
import { keysetPage } from "../../../db/paging.ts";
import { deleteCostStatement, listCostsQuery, putCostStatement, toCost } from "../../../db/reports/costs.ts";
import { authorizedRead, authorizedWrite, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import { ApiError } from "../../errors.ts";
import { body, json } from "../../openapi.ts";
import { READ, tags } from "./routes.ts";
import { CostInput, CostListQuery, CostPage, CostSchema } from "./schemas.ts";

const WRITE = { scope: "reports:write", roles: ["admin", "manager"], write: true } as const;

const listRoute = defineRoute({
  method: "get",
  path: "/api/v1/reports/costs",
  tags,
  summary: "The costs entered per campaign or source and month",
  access: READ,
  record: "report_cost",
  request: { query: CostListQuery },
  responses: { 200: json(CostPage, "One page of costs, oldest entry first") },
});

const putRoute = defineRoute({
  method: "put",
  path: "/api/v1/reports/costs",
  tags,
  summary: "Enter what a campaign or source cost in a month (replaces that month's entry in that currency)",
  access: WRITE,
  request: body(CostInput),
  responses: { 200: json(CostSchema, "The entry as stored") },
});

const deleteRoute = defineRoute({
  method: "delete",
  path: "/api/v1/reports/costs/{id}",
  tags,
  summary: "Remove a cost entry",
  access: WRITE,
  record: "report_cost",
  request: { params: z.object({ id: z.string().max(64) }) },
  responses: { 204: { description: "Removed" } },
});

export const costRoutes = createRouter()
  .openapi(listRoute, async (c) => {
    const { dimension, from, to, cursor, limit } = c.req.valid("query");
    const {
      results: [rows],
    } = await authorizedRead(
      c,
      () => [listCostsQuery(c.get("db"), { dimension, from, to, cursor, limit })] as const,
    );
    return c.json(keysetPage(rows, limit, toCost), 200);
  })
  .openapi(putRoute, async (c) => {
    const input = c.req.valid("json");
    const {
      results: [rows],
    } = await authorizedWrite(c, (me) => [putCostStatement(c.get("db"), me, input, Date.now())] as const);
    const row = rows[0];
    if (!row) throw new Error("the upsert returned no row");
    return c.json(toCost(row), 200);
  })
  .openapi(deleteRoute, async (c) => {
    const { id } = c.req.valid("param");
    const {
      results: [rows],
    } = await authorizedWrite(c, () => [deleteCostStatement(c.get("db"), id)] as const);
    if (rows.length === 0) throw new ApiError("not_found", "Not found");
    return c.body(null, 204);
  });
