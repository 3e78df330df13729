// Pipelines and their ordered stages: everyone with deals:read reads them; admins shape them. Nothing here ever
// deletes a stage or a pipeline: archiving hides it from new work while its deals and history stay intact.
import { asc, eq, isNull, type SQL, sql } from "drizzle-orm";
import type { BatchResponse } from "drizzle-orm/batch";
import type { Database } from "./client.ts";
import { NotFoundError } from "./errors.ts";
import { newId } from "./ids.ts";
import { type FORECAST_CATEGORIES, pipelines, stages } from "./schema/index.ts";
import { existsGuard, idList } from "./statements.ts";

export type ForecastCategory = (typeof FORECAST_CATEGORIES)[number];
export type Outcome = "won" | "lost";

export interface StageView {
  id: string;
  pipelineId: string;
  name: string;
  position: number;
  probability: number;
  forecastCategory: ForecastCategory;
  outcome: Outcome | null;
  archivedAt: number | null;
}

export interface PipelineView {
  id: string;
  name: string;
  position: number;
  archivedAt: number | null;
  createdAt: number;
  updatedAt: number;
  stages: StageView[];
}

// The outer table is named in raw SQL: drizzle leaves a lone table's columns unqualified.
const pipelineFields = {
  id: pipelines.id,
  name: pipelines.name,
  position: pipelines.position,
  archivedAt: pipelines.archivedAt,
  createdAt: pipelines.createdAt,
  updatedAt: pipelines.updatedAt,
  stages: sql<string>`(select coalesce(json_group_array(json_object('id', s.id, 'pipelineId', s.pipeline_id,
    'name', s.name, 'position', s.position, 'probability', s.probability, 'forecastCategory', s.forecast_category,
    'outcome', s.outcome, 'archivedAt', s.archived_at)), '[]')
    from (select * from stages where pipeline_id = pipelines.id order by position, id) s)`,
};

type PipelineRow = Omit<PipelineView, "stages"> & { stages: string };

export function toPipelineView(row: PipelineRow): PipelineView {
  return { ...row, stages: JSON.parse(row.stages) as StageView[] };
}

/** Every pipeline in board order, with its stages in order; archived ones only when asked. */
export function listPipelinesQuery(db: Database, options: { includeArchived: boolean }) {
  return db
    .select(pipelineFields)
    .from(pipelines)
    .where(options.includeArchived ? undefined : isNull(pipelines.archivedAt))
    .orderBy(asc(pipelines.position), asc(pipelines.id));
}

export function readPipelineQuery(db: Database, id: string) {
  return db.select(pipelineFields).from(pipelines).where(eq(pipelines.id, id));
}

function onePipeline(rows: PipelineRow[], id: string): PipelineView {
  const row = rows[0];
  if (!row) throw new NotFoundError(`No pipeline with id ${id}.`);
  return toPipelineView(row);
}

export interface StageInput {
  name: string;
  probability: number;
  forecastCategory: ForecastCategory;
  outcome?: Outcome | null | undefined;
}

function stageRow(pipelineId: string, input: StageInput, position: number | SQL, now: number) {
  return {
    id: newId(),
    pipelineId,
    name: input.name,
    position,
    probability: input.probability,
    forecastCategory: input.forecastCategory,
    outcome: input.outcome ?? null,
    createdAt: now,
    updatedAt: now,
  };
}

/** A pipeline with its stages, placed after every other pipeline. */
export function createPipeline(db: Database, input: { name: string; stages: StageInput[] }, now: number) {
  const id = newId();
  const statements = () =>
    [
      db.insert(pipelines).values({
        id,
        name: input.name,
        position: sql`(select coalesce(max(position), -1) + 1 from pipelines)`,
        createdAt: now,
        updatedAt: now,
      }),
      db.insert(stages).values(input.stages.map((stage, i) => stageRow(id, stage, i, now))),
      readPipelineQuery(db, id),
    ] as const;
  return {
    statements,
    result: ([, , rows]: BatchResponse<ReturnType<typeof statements>>) => onePipeline(rows, id),
  };
}

export interface PipelinePatch {
  name?: string | undefined;
  position?: number | undefined;
  archived?: boolean | undefined;
  /** Every stage id of the pipeline (archived ones too), in the new order. */
  stageOrder?: string[] | undefined;
}

/**
 * Renames, moves, archives or restores a pipeline, and reorders its stages. A stage order must name exactly the
 * pipeline's stages; when it does not, nothing changes and the result says why.
 */
export function updatePipeline(db: Database, id: string, patch: PipelinePatch, now: number) {
  const order = patch.stageOrder;
  const orderMatches = order
    ? sql`(select count(*) from stages where pipeline_id = ${id}) = ${order.length}
        and (select count(*) from stages where pipeline_id = ${id} and id in (${idList(order)})) = ${order.length}`
    : sql`1`;
  const set: Record<string, unknown> = { updatedAt: now };
  if (patch.name !== undefined) set.name = patch.name;
  if (patch.position !== undefined) set.position = patch.position;
  if (patch.archived !== undefined) {
    set.archivedAt = patch.archived ? sql`coalesce(${pipelines.archivedAt}, ${now})` : null;
  }
  const statements = () =>
    [
      existsGuard(db, pipelines, id),
      db.select({ ok: sql<number>`${orderMatches}` }).from(sql`(select 1)`),
      db.update(pipelines).set(set).where(sql`${pipelines.id} = ${id} and ${orderMatches}`),
      ...(order
        ? [
            db
              .update(stages)
              .set({
                position: sql`(select key from json_each(${JSON.stringify(order)}) where value = ${stages.id})`,
                updatedAt: now,
              })
              .where(sql`${stages.pipelineId} = ${id} and ${orderMatches}`),
          ]
        : []),
      readPipelineQuery(db, id),
    ] as const;
  return {
    statements,
    result(results: BatchResponse<ReturnType<typeof statements>>): PipelineView {
      const [, check] = results;
      if (check[0]?.ok !== 1) {
        throw new InvalidInputError("stageOrder", "List every stage of the pipeline, each once.");
      }
      return onePipeline(results[results.length - 1] as PipelineRow[], id);
    },
  };
}

/**
 * A request that is well-formed but names records that do not fit (a stage of another pipeline, an unknown
 * company): a 422 at the HTTP edge, pointing at the field.
 */
export class InvalidInputError extends Error {
  override name = "InvalidInputError";
  readonly path: string;
  constructor(path: string, message: string) {
    super(message);
    this.path = path;
  }
}

/** A stage added to a pipeline: at the end, or at `position` (the stages from there on move one down). */
export function createStage(
  db: Database,
  pipelineId: string,
  input: StageInput & { position?: number | undefined },
  now: number,
) {
  const row = stageRow(pipelineId, input, 0, now);
  const count = sql`(select count(*) from stages where pipeline_id = ${pipelineId})`;
  const position =
    input.position === undefined
      ? count
      : sql`min(${input.position}, (select count(*) from stages s2 where s2.pipeline_id = ${pipelineId}))`;
  const statements = () =>
    [
      existsGuard(db, pipelines, pipelineId),
      db
        .update(stages)
        .set({ position: sql`${stages.position} + 1` })
        .where(
          sql`${stages.pipelineId} = ${pipelineId} and ${input.position === undefined ? sql`0` : sql`${stages.position} >= ${input.position}`}`,
        ),
      db.insert(stages).values({ ...row, position }),
      db.select().from(stages).where(eq(stages.id, row.id)),
    ] as const;
  return {
    statements,
    result([, , , rows]: BatchResponse<ReturnType<typeof statements>>): StageView {
      const stage = rows[0];
      if (!stage) throw new NotFoundError(`No pipeline with id ${pipelineId}.`);
      return toStageView(stage);
    },
  };
}

export function toStageView(row: typeof stages.$inferSelect): StageView {
  return {
    id: row.id,
    pipelineId: row.pipelineId,
    name: row.name,
    position: row.position,
    probability: row.probability,
    forecastCategory: row.forecastCategory,
    outcome: row.outcome,
    archivedAt: row.archivedAt,
  };
}

export interface StagePatch {
  name?: string | undefined;
  probability?: number | undefined;
  forecastCategory?: ForecastCategory | undefined;
  outcome?: Outcome | null | undefined;
  archived?: boolean | undefined;
}

/**
 * Changes a stage. Deals in it keep their place: an archived stage keeps its deals (they can leave it, none can
 * enter it), and a new probability applies to every deal in the stage at once (weighted totals follow). An
 * outcome changed here does not reclassify deals already in the stage; their status changes when they move.
 */
export function updateStage(db: Database, id: string, patch: StagePatch, now: number) {
  const set: Record<string, unknown> = { updatedAt: now };
  if (patch.name !== undefined) set.name = patch.name;
  if (patch.probability !== undefined) set.probability = patch.probability;
  if (patch.forecastCategory !== undefined) set.forecastCategory = patch.forecastCategory;
  if (patch.outcome !== undefined) set.outcome = patch.outcome;
  if (patch.archived !== undefined) {
    set.archivedAt = patch.archived ? sql`coalesce(${stages.archivedAt}, ${now})` : null;
  }
  const statements = () =>
    [
      existsGuard(db, stages, id),
      db.update(stages).set(set).where(eq(stages.id, id)),
      db.select().from(stages).where(eq(stages.id, id)),
    ] as const;
  return {
    statements,
    result([, , rows]: BatchResponse<ReturnType<typeof statements>>): StageView {
      const stage = rows[0];
      if (!stage) throw new NotFoundError(`No stage with id ${id}.`);
      return toStageView(stage);
    },
  };
}
