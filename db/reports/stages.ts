// Stage-to-stage conversion and time in stage, from the stays in each stage that began in the period.
import { sql } from "drizzle-orm";
import type { Database } from "../client.ts";
import { ratio } from "./sales.ts";
import { ownedRowsWhere, type ReportScope, rollupRows } from "./scope.ts";

const DAY_MS = 24 * 60 * 60_000;

export interface StageMoveRow {
  pipelineId: string;
  stageId: string;
  nextStageId: string;
  entered: number;
  exited: number;
  exitedMs: number;
}

export function stageMovesQuery(db: Database, scope: ReportScope) {
  return db.all<StageMoveRow>(sql`with ${rollupRows("stage", scope.period, "r")}
    select pipeline_id as "pipelineId", stage_id as "stageId", next_stage_id as "nextStageId",
      sum(entered) as entered, sum(exited) as exited, sum(exited_ms) as "exitedMs"
    from r where ${ownedRowsWhere(scope, "r", { pipeline: sql`r.pipeline_id` })}
    group by 1, 2, 3`);
}

export interface StageRow {
  id: string;
  pipelineId: string;
  name: string;
  position: number;
  outcome: "won" | "lost" | null;
}

/** The stages (archived too: history still names them), to order and classify moves. */
export function stagesQuery(db: Database, pipelineId: string | undefined) {
  return db.all<StageRow>(sql`select id, pipeline_id as "pipelineId", name, position, outcome from stages
    ${pipelineId === undefined ? sql`` : sql`where pipeline_id = ${pipelineId}`} order by pipeline_id, position, id`);
}

/**
 * Per stage, of the stays that began in the period: advanced (the deal went on to a later stage of the same
 * pipeline, won included), lost (to a lost stage), still there, and other moves (back, or to another pipeline).
 * Conversion = advanced ÷ entered. Average time in stage = Σ (left − entered) ÷ the stays that ended.
 */
export function stagesView(moves: readonly StageMoveRow[], stages: readonly StageRow[]) {
  const byId = new Map(stages.map((s) => [s.id, s]));
  const figures = new Map<
    string,
    { entered: number; advanced: number; lost: number; stillIn: number; exited: number; exitedMs: number }
  >();
  for (const move of moves) {
    const from = byId.get(move.stageId);
    const to = move.nextStageId ? byId.get(move.nextStageId) : undefined;
    const f = figures.get(move.stageId) ?? {
      entered: 0,
      advanced: 0,
      lost: 0,
      stillIn: 0,
      exited: 0,
      exitedMs: 0,
    };
    f.entered += move.entered;
    f.exited += move.exited;
    f.exitedMs += move.exitedMs;
    if (!move.nextStageId) f.stillIn += move.entered;
    else if (to?.outcome === "lost") f.lost += move.entered;
    else if (from && to && to.pipelineId === from.pipelineId && to.position > from.position)
      f.advanced += move.entered;
    figures.set(move.stageId, f);
  }
  const rows = stages
    .filter((stage) => figures.has(stage.id) || stage.outcome === null)
    .map((stage) => {
      const f = figures.get(stage.id) ?? {
        entered: 0,
        advanced: 0,
        lost: 0,
        stillIn: 0,
        exited: 0,
        exitedMs: 0,
      };
      const averageMs = ratio(f.exitedMs, f.exited);
      return {
        pipelineId: stage.pipelineId,
        stageId: stage.id,
        name: stage.name,
        position: stage.position,
        entered: f.entered,
        advanced: f.advanced,
        lost: f.lost,
        stillIn: f.stillIn,
        otherMoves: f.entered - f.advanced - f.lost - f.stillIn,
        conversionRate: ratio(f.advanced, f.entered),
        averageDaysInStage: averageMs === null ? null : averageMs / DAY_MS,
      };
    });
  const transitions = moves
    .filter((m) => m.nextStageId)
    .reduce((map, m) => {
      const key = `${m.stageId}\u0000${m.nextStageId}`;
      const t = map.get(key) ?? { fromStageId: m.stageId, toStageId: m.nextStageId, count: 0 };
      t.count += m.entered;
      return map.set(key, t);
    }, new Map<string, { fromStageId: string; toStageId: string; count: number }>());
  return { stages: rows, transitions: [...transitions.values()] };
}
