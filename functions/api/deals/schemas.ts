// The deal shapes of the API, shared by the deal routes and the pipeline board; and the mapping of the deal
// data functions' own errors to problem responses.
import { z } from "@hono/zod-openapi";
import { StaleVersionError } from "../../../db/deal-writes.ts";
import { InvalidCursorError } from "../../../db/deals.ts";
import { InvalidInputError } from "../../../db/pipelines.ts";
import { FORECAST_CATEGORIES } from "../../../db/schema/index.ts";
import { ApiError } from "../../errors.ts";
import { preconditionFailed } from "../../etag.ts";

export const Id = z.string().min(1).max(64);
export const IdParams = z.object({ id: Id.openapi({ param: { name: "id", in: "path" } }) });
export const ForecastCategory = z.enum(FORECAST_CATEGORIES);

export const DealSchema = z
  .object({
    id: Id,
    name: z.string(),
    amount: z.number().int().openapi({ description: "Integer minor units of `currency` (cents, đồng)." }),
    currency: z.string().openapi({ example: "VND" }),
    pipelineId: Id,
    stageId: Id,
    stageName: z.string(),
    stageEnteredAt: z.number().int().openapi({ description: "Epoch milliseconds." }),
    status: z.enum(["open", "won", "lost"]),
    probability: z.number().int().openapi({ description: "The stage's win probability, 0–100." }),
    forecastCategory: ForecastCategory.openapi({ description: "The override when set, else the stage's." }),
    forecastOverride: ForecastCategory.nullable(),
    expectedCloseDate: z.string().nullable().openapi({ example: "2026-03-31" }),
    closedAt: z.number().int().nullable(),
    closeReason: z.string().nullable(),
    companyId: Id.nullable(),
    contactIds: z.array(Id),
    custom: z.record(z.string(), z.unknown()),
    ownerId: Id.nullable(),
    teamId: Id.nullable(),
    version: z.number().int(),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
    deletedAt: z.number().int().nullable(),
  })
  .openapi("Deal");

export const SearchText = z.string().max(200).openapi({
  description:
    "Words to search for, case- and accent-insensitive (`hop dong` finds `Hợp đồng`); the last word matches as a prefix.",
  example: "hop dong",
});

export const NextCursor = z
  .string()
  .nullable()
  .openapi({ description: "Pass as `cursor` for the next page; null at the end." });

/** The deal functions' own errors as problem responses; anything else is passed on to the app's handler. */
export function dealProblem(error: unknown): never {
  if (error instanceof InvalidInputError) {
    throw new ApiError("validation_failed", `${error.path}: ${error.message}`, {
      errors: [{ path: error.path, message: error.message }],
    });
  }
  if (error instanceof StaleVersionError) throw preconditionFailed();
  if (error instanceof InvalidCursorError) throw new ApiError("bad_request", error.message);
  throw error;
}
