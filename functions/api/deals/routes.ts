// Deals: create, read (ETag), change (If-Match), move between stages, delete to the trash and restore, and the
// keyset-paged list with filters. Every route sees only the deals the caller may see (db/caller.ts).
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { createDeal, deleteDeal, restoreDeal, updateDeal } from "../../../db/deal-writes.ts";
import { DEAL_SORTS, dealPage, listDealsQuery, readDealQuery, toDealView } from "../../../db/deals.ts";
import { authorizedRead, authorizedWrite, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import type { AppEnv } from "../../env.ts";
import { ApiError, problemContent } from "../../errors.ts";
import { etag, ifMatchVersion } from "../../etag.ts";
import { body, json } from "../../openapi.ts";
import { requestOrigin } from "../../request-origin.ts";
import {
  DealSchema,
  dealProblem,
  ForecastCategory,
  Id,
  IdParams,
  NextCursor,
  SearchText,
} from "./schemas.ts";

const Currency = z
  .string()
  .regex(/^[A-Za-z]{3}$/, "An ISO 4217 code, e.g. VND or USD.")
  .transform((code) => code.toUpperCase())
  .openapi({ example: "VND", description: "ISO 4217 code; stored upper-case." });
const Amount = z
  .number()
  .int("Integer minor units (cents, đồng): no fractions.")
  .min(0)
  .max(Number.MAX_SAFE_INTEGER)
  .openapi({ example: 150_000_000, description: "Integer minor units of `currency`." });
const CloseDate = z.iso.date().openapi({ example: "2026-03-31" });
const Reason = z.string().trim().max(500);
const Custom = z
  .record(
    z.string().min(1).max(64),
    z.union([z.string().max(2000), z.number(), z.boolean(), z.null(), z.array(z.string().max(200)).max(100)]),
  )
  .refine((value) => Object.keys(value).length <= 100, "At most 100 custom fields.")
  .openapi({
    description: "Custom field values by key. On PATCH they are merged; a key sent as null is removed.",
  });
const ContactIds = z
  .array(Id)
  .max(100)
  .refine((ids) => new Set(ids).size === ids.length, "Each contact once.");

const common = {
  expectedCloseDate: CloseDate.nullable().optional(),
  companyId: Id.nullable().optional(),
  contactIds: ContactIds.optional(),
  forecastOverride: ForecastCategory.nullable().optional(),
  closeReason: Reason.nullable()
    .optional()
    .openapi({ description: "Why it was won or lost; required when the deal enters a lost stage." }),
  custom: Custom.optional(),
  ownerId: Id.optional().openapi({ description: "Defaults to the caller." }),
  teamId: Id.nullable()
    .optional()
    .openapi({ description: "Defaults to the owner's team (the one they lead first)." }),
};

const DealCreate = z
  .strictObject({
    name: z.string().trim().min(1).max(200).openapi({ example: "Công ty ABC — 200 seats" }),
    amount: Amount,
    currency: Currency,
    pipelineId: Id.optional().openapi({
      description: "Defaults to the stage's pipeline, else the first pipeline.",
    }),
    stageId: Id.optional().openapi({ description: "Defaults to the pipeline's first open stage." }),
    ...common,
  })
  .openapi("DealCreate");

const DealPatch = z
  .strictObject({
    name: z.string().trim().min(1).max(200).optional(),
    amount: Amount.optional(),
    currency: Currency.optional(),
    pipelineId: Id.optional().openapi({
      description: "Only with stageId: the stage must be in this pipeline.",
    }),
    stageId: Id.optional().openapi({ description: "A stage move, exactly as POST /deals/{id}/move." }),
    ...common,
  })
  .refine((patch) => patch.pipelineId === undefined || patch.stageId !== undefined, {
    path: ["pipelineId"],
    message: "Send stageId with pipelineId: a deal changes pipeline by entering one of its stages.",
  })
  .openapi("DealPatch");

const DealMove = z
  .strictObject({
    // Required, but checked after the deal is found, so that a deal the caller cannot see is a 404 whatever the body.
    stageId: Id.optional().openapi({ description: "Required: the stage to move to." }),
    closeReason: Reason.nullable().optional(),
  })
  .openapi("DealMove");

const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z
    .string()
    .max(512)
    .optional()
    .openapi({ description: "nextCursor of the previous page, same sort." }),
  sort: z.enum(DEAL_SORTS).default("-created").openapi({ description: "A leading - sorts descending." }),
  q: SearchText.optional().openapi({ description: "Only deals whose name matches; sorted as `sort` says." }),
  pipelineId: Id.optional(),
  stageId: Id.optional(),
  ownerId: Id.optional(),
  teamId: Id.optional(),
  status: z.enum(["open", "won", "lost"]).optional(),
  companyId: Id.optional(),
  contactId: Id.optional(),
  expectedCloseFrom: CloseDate.optional(),
  expectedCloseTo: CloseDate.optional(),
  deleted: z
    .enum(["true", "false"])
    .default("false")
    .transform((v) => v === "true")
    .openapi({ description: "true lists the trash (deleted deals) instead." }),
});

const tags = ["Deals"];
const read = { scope: "deals:read" } as const;
const write = { scope: "deals:write", write: true } as const;
const ifMatchHeader = z.object({
  "if-match": z
    .string()
    .optional()
    .openapi({ description: 'The ETag read, e.g. W/"3": 412 when it is stale.' }),
});
const withEtag = (description: string) => ({
  ...json(DealSchema, description),
  headers: z.object({ ETag: z.string() }),
});

const listRoute = defineRoute({
  method: "get",
  path: "/api/v1/deals",
  tags,
  summary: "List deals: filter, sort, search (q), keyset pages",
  access: read,
  record: "deal",
  request: { query: ListQuery },
  responses: {
    200: json(z.object({ items: z.array(DealSchema), nextCursor: NextCursor }).openapi("DealPage"), "A page"),
  },
});

const createRoute = defineRoute({
  method: "post",
  path: "/api/v1/deals",
  tags,
  summary: "Create a deal",
  access: write,
  request: body(DealCreate),
  responses: {
    201: withEtag("Created"),
    409: problemContent("The stage or pipeline is archived"),
  },
});

const getRoute = defineRoute({
  method: "get",
  path: "/api/v1/deals/{id}",
  tags,
  summary: "Read a deal",
  access: read,
  record: "deal",
  request: { params: IdParams },
  responses: { 200: withEtag("The deal") },
});

const patchRoute = defineRoute({
  method: "patch",
  path: "/api/v1/deals/{id}",
  tags,
  summary: "Change a deal (a new stageId moves it, as /move does)",
  access: write,
  record: "deal",
  request: { params: IdParams, headers: ifMatchHeader, ...body(DealPatch) },
  responses: {
    200: withEtag("The deal as it is now"),
    409: problemContent("The target stage or pipeline is archived"),
    412: problemContent("If-Match names an older version"),
  },
});

const moveRoute = defineRoute({
  method: "post",
  path: "/api/v1/deals/{id}/move",
  tags,
  summary: "Move a deal to a stage",
  description:
    "In one transaction: the deal enters the stage (a won or lost stage closes it; an open stage reopens it), " +
    "its stage history records when it left the old stage and entered the new one, and a stage_change activity " +
    "goes on its timeline. Moving to the stage it is in changes nothing. A lost stage needs a closeReason.",
  access: write,
  record: "deal",
  request: { params: IdParams, headers: ifMatchHeader, ...body(DealMove) },
  responses: {
    200: withEtag("The deal in its new stage"),
    409: problemContent("The stage or its pipeline is archived"),
    412: problemContent("If-Match names an older version"),
  },
});

const deleteRoute = defineRoute({
  method: "delete",
  path: "/api/v1/deals/{id}",
  tags,
  summary: "Move a deal to the trash",
  access: write,
  record: "deal",
  request: { params: IdParams, headers: ifMatchHeader },
  responses: {
    204: { description: "Deleted; restore with POST /api/v1/deals/{id}/restore" },
    412: problemContent("If-Match names an older version"),
  },
});

const restoreRoute = defineRoute({
  method: "post",
  path: "/api/v1/deals/{id}/restore",
  tags,
  summary: "Take a deal out of the trash",
  access: write,
  record: "deal",
  request: { params: IdParams },
  responses: { 200: withEtag("The restored deal (a live deal is returned as it is)") },
});

function writeContext(c: Context<AppEnv>) {
  return { origin: requestOrigin(c), now: Date.now(), expectedVersion: ifMatchVersion(c) };
}

export const dealRoutes = createRouter()
  .openapi(listRoute, async (c) => {
    const query = c.req.valid("query");
    const {
      results: [rows],
    } = await authorizedRead(c, (me) => [listDealsQuery(c.get("db"), me, query)] as const).catch(dealProblem);
    return c.json(dealPage(rows, query), 200);
  })
  .openapi(createRoute, async (c) => {
    const op = createDeal(c.get("db"), c.req.valid("json"), writeContext(c));
    const { results } = await authorizedWrite(c, op.statements);
    const deal = attempt(() => op.result(results));
    return c.json(deal, 201, { ETag: etag(deal.version) });
  })
  .openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const {
      results: [rows],
    } = await authorizedRead(c, (me) => [readDealQuery(c.get("db"), me, id)] as const);
    const row = rows[0];
    if (!row) throw new ApiError("not_found", `No deal with id ${id}.`);
    const deal = toDealView(row);
    return c.json(deal, 200, { ETag: etag(deal.version) });
  })
  .openapi(patchRoute, async (c) => {
    const op = updateDeal(c.get("db"), c.req.valid("param").id, c.req.valid("json"), writeContext(c));
    const { results } = await authorizedWrite(c, op.statements);
    const deal = attempt(() => op.result(results));
    return c.json(deal, 200, { ETag: etag(deal.version) });
  })
  .openapi(moveRoute, async (c) => {
    const op = updateDeal(c.get("db"), c.req.valid("param").id, c.req.valid("json"), {
      ...writeContext(c),
      requireStage: true,
    });
    const { results } = await authorizedWrite(c, op.statements);
    const deal = attempt(() => op.result(results));
    return c.json(deal, 200, { ETag: etag(deal.version) });
  })
  .openapi(deleteRoute, async (c) => {
    const op = deleteDeal(c.get("db"), c.req.valid("param").id, writeContext(c));
    const { results } = await authorizedWrite(c, op.statements);
    attempt(() => op.result(results));
    return c.body(null, 204);
  })
  .openapi(restoreRoute, async (c) => {
    const op = restoreDeal(c.get("db"), c.req.valid("param").id, {
      ...writeContext(c),
      expectedVersion: null,
    });
    const { results } = await authorizedWrite(c, op.statements);
    const deal = attempt(() => op.result(results));
    return c.json(deal, 200, { ETag: etag(deal.version) });
  });

function attempt<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    return dealProblem(error);
  }
}
