// Pipelines, their stages and the board: anyone with deals:read reads them; admins shape pipelines and stages
// (nothing is ever deleted: archiving keeps deals and history intact).
import { z } from "@hono/zod-openapi";
import { boardColumn, boardDealsQuery, boardTotalsQuery, toCurrencyTotal } from "../../../db/deals.ts";
import {
  createPipeline,
  createStage,
  listPipelinesQuery,
  readPipelineQuery,
  toPipelineView,
  updatePipeline,
  updateStage,
} from "../../../db/pipelines.ts";
import { authorizedRead, authorizedWrite, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import { ApiError } from "../../errors.ts";
import { body, json } from "../../openapi.ts";
import { DealSchema, dealProblem, ForecastCategory, Id, IdParams, NextCursor } from "../deals/schemas.ts";

const Name = z.string().trim().min(1).max(100);
const Probability = z.number().int().min(0).max(100);
const Outcome = z.enum(["won", "lost"]);

const StageSchema = z
  .object({
    id: Id,
    pipelineId: Id,
    name: z.string(),
    position: z.number().int(),
    probability: Probability,
    forecastCategory: ForecastCategory,
    outcome: Outcome.nullable().openapi({
      description: "Closing stages: a deal entering one is won or lost.",
    }),
    archivedAt: z.number().int().nullable(),
  })
  .openapi("Stage");

const PipelineSchema = z
  .object({
    id: Id,
    name: z.string(),
    position: z.number().int(),
    archivedAt: z.number().int().nullable(),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
    stages: z.array(StageSchema).openapi({ description: "In board order, archived ones included." }),
  })
  .openapi("Pipeline");

const StageInput = z.strictObject({
  name: Name.openapi({ example: "Proposal" }),
  probability: Probability.openapi({ example: 50 }),
  forecastCategory: ForecastCategory,
  outcome: Outcome.nullable().optional(),
});

const CurrencyTotalSchema = z
  .object({
    currency: z.string(),
    count: z.number().int(),
    amount: z.number().int().openapi({ description: "Minor units." }),
    weightedAmount: z
      .number()
      .int()
      .openapi({ description: "Σ amount × probability / 100, rounded, minor units." }),
  })
  .openapi("CurrencyTotal");

const BoardSchema = z
  .object({
    pipeline: PipelineSchema,
    stages: z.array(
      z.object({
        stage: StageSchema,
        count: z.number().int().openapi({ description: "Every visible deal in the stage, all currencies." }),
        totals: z
          .array(CurrencyTotalSchema)
          .openapi({ description: "One per currency; never added across." }),
        deals: z.array(DealSchema).openapi({ description: "The newest `limit` deals of the stage." }),
        nextCursor: NextCursor.openapi({
          description:
            "The rest of the stage: GET /api/v1/deals?pipelineId=…&stageId=…&sort=-created&cursor=…",
        }),
      }),
    ),
  })
  .openapi("Board");

const tags = ["Pipelines"];
const read = { scope: "deals:read" } as const;
const adminWrite = { scope: "deals:write", roles: ["admin"], write: true } as const;

const listRoute = defineRoute({
  method: "get",
  path: "/api/v1/pipelines",
  tags,
  summary: "List pipelines with their stages, in order",
  access: read,
  record: "pipeline",
  request: {
    query: z.object({
      includeArchived: z
        .enum(["true", "false"])
        .default("false")
        .transform((v) => v === "true"),
    }),
  },
  responses: {
    200: json(
      z
        .object({ items: z.array(PipelineSchema), nextCursor: NextCursor })
        .openapi({ description: "All pipelines in one page (there are few): nextCursor is always null." }),
      "The pipelines",
    ),
  },
});

const getRoute = defineRoute({
  method: "get",
  path: "/api/v1/pipelines/{id}",
  tags,
  summary: "Read a pipeline with its stages",
  access: read,
  record: "pipeline",
  request: { params: IdParams },
  responses: { 200: json(PipelineSchema, "The pipeline") },
});

const createRoute = defineRoute({
  method: "post",
  path: "/api/v1/pipelines",
  tags,
  summary: "Create a pipeline with its stages",
  access: adminWrite,
  request: body(
    z
      .strictObject({
        name: Name.openapi({ example: "Enterprise" }),
        stages: z.array(StageInput).min(1).max(50),
      })
      .openapi("PipelineCreate"),
  ),
  responses: { 201: json(PipelineSchema, "Created") },
});

const patchRoute = defineRoute({
  method: "patch",
  path: "/api/v1/pipelines/{id}",
  tags,
  summary: "Rename, move, archive or restore a pipeline, or reorder its stages",
  access: adminWrite,
  record: "pipeline",
  request: {
    params: IdParams,
    ...body(
      z
        .strictObject({
          name: Name.optional(),
          position: z.number().int().min(0).max(10_000).optional(),
          archived: z.boolean().optional(),
          stageOrder: z
            .array(Id)
            .min(1)
            .max(50)
            .refine((ids) => new Set(ids).size === ids.length, "Each stage once.")
            .optional()
            .openapi({
              description: "Every stage id of the pipeline, archived ones included, in the new order.",
            }),
        })
        .openapi("PipelinePatch"),
    ),
  },
  responses: { 200: json(PipelineSchema, "The pipeline as it is now") },
});

const createStageRoute = defineRoute({
  method: "post",
  path: "/api/v1/pipelines/{id}/stages",
  tags,
  summary: "Add a stage to a pipeline",
  access: adminWrite,
  record: "pipeline",
  request: {
    params: IdParams,
    ...body(
      StageInput.extend({
        position: z
          .number()
          .int()
          .min(0)
          .max(50)
          .optional()
          .openapi({ description: "Where to insert it; at the end when absent." }),
      }).openapi("StageCreate"),
    ),
  },
  responses: { 201: json(StageSchema, "Created") },
});

const patchStageRoute = defineRoute({
  method: "patch",
  path: "/api/v1/stages/{id}",
  tags,
  summary: "Change or archive a stage",
  description:
    "An archived stage keeps its deals (they can leave it; none can enter it). A new probability applies at once " +
    "to the weighted totals of the deals in the stage.",
  access: adminWrite,
  record: "stage",
  request: {
    params: IdParams,
    ...body(
      z
        .strictObject({
          name: Name.optional(),
          probability: Probability.optional(),
          forecastCategory: ForecastCategory.optional(),
          outcome: Outcome.nullable().optional(),
          archived: z.boolean().optional(),
        })
        .openapi("StagePatch"),
    ),
  },
  responses: { 200: json(StageSchema, "The stage as it is now") },
});

const boardRoute = defineRoute({
  method: "get",
  path: "/api/v1/pipelines/{id}/board",
  tags,
  summary: "The pipeline board: per stage, its newest deals, count, totals and weighted totals",
  description:
    "Only the deals the caller may see, in the figures too. Totals are per currency. Archived stages appear " +
    "only while they hold deals.",
  access: read,
  record: "pipeline",
  request: {
    params: IdParams,
    query: z.object({
      limit: z.coerce.number().int().min(1).max(200).default(50),
      ownerId: Id.optional(),
      teamId: Id.optional(),
    }),
  },
  responses: { 200: json(BoardSchema, "The board") },
});

function notFound(id: string): ApiError {
  return new ApiError("not_found", `No pipeline with id ${id}.`);
}

export const pipelineRoutes = createRouter()
  .openapi(listRoute, async (c) => {
    const { includeArchived } = c.req.valid("query");
    const {
      results: [rows],
    } = await authorizedRead(c, () => [listPipelinesQuery(c.get("db"), { includeArchived })] as const);
    return c.json({ items: rows.map(toPipelineView), nextCursor: null }, 200);
  })
  .openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const {
      results: [rows],
    } = await authorizedRead(c, () => [readPipelineQuery(c.get("db"), id)] as const);
    const row = rows[0];
    if (!row) throw notFound(id);
    return c.json(toPipelineView(row), 200);
  })
  .openapi(createRoute, async (c) => {
    const op = createPipeline(c.get("db"), c.req.valid("json"), Date.now());
    const { results } = await authorizedWrite(c, op.statements);
    return c.json(op.result(results), 201);
  })
  .openapi(patchRoute, async (c) => {
    const op = updatePipeline(c.get("db"), c.req.valid("param").id, c.req.valid("json"), Date.now());
    const { results } = await authorizedWrite(c, op.statements);
    try {
      return c.json(op.result(results), 200);
    } catch (error) {
      return dealProblem(error);
    }
  })
  .openapi(createStageRoute, async (c) => {
    const op = createStage(c.get("db"), c.req.valid("param").id, c.req.valid("json"), Date.now());
    const { results } = await authorizedWrite(c, op.statements);
    return c.json(op.result(results), 201);
  })
  .openapi(patchStageRoute, async (c) => {
    const op = updateStage(c.get("db"), c.req.valid("param").id, c.req.valid("json"), Date.now());
    const { results } = await authorizedWrite(c, op.statements);
    return c.json(op.result(results), 200);
  })
  .openapi(boardRoute, async (c) => {
    const { id } = c.req.valid("param");
    const options = c.req.valid("query");
    const db = c.get("db");
    const {
      results: [pipelines, dealRows, totalRows],
    } = await authorizedRead(
      c,
      (me) =>
        [
          readPipelineQuery(db, id),
          boardDealsQuery(db, me, id, options),
          boardTotalsQuery(db, me, id, options),
        ] as const,
    );
    const row = pipelines[0];
    if (!row) throw notFound(id);
    const pipeline = toPipelineView(row);
    const stages = pipeline.stages.map((stage) => {
      const totals = totalRows.filter((t) => t.stageId === stage.id).map(toCurrencyTotal);
      const column = boardColumn(
        dealRows.filter((d) => d.stageId === stage.id),
        options.limit,
      );
      return {
        stage,
        count: totals.reduce((sum, t) => sum + t.count, 0),
        totals,
        deals: column.items,
        nextCursor: column.nextCursor,
      };
    });
    return c.json(
      { pipeline, stages: stages.filter((s) => s.stage.archivedAt === null || s.count > 0) },
      200,
    );
  });
