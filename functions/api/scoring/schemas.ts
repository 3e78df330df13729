// The zod schemas of the scoring API: the rule set as stored, a recompute job's progress, a contact's score
// with its explanation, and the dry run's request and answer.
import { z } from "@hono/zod-openapi";
import type { ScoringJobRow } from "../../../db/scoring/rules.ts";
import { RuleSetSchema } from "../../../queues/scoring/rules.ts";

export const IdParams = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "id", in: "path" } }),
});

export const RulesView = z
  .object({
    version: z.number().int().openapi({ description: "0: the built-in default, never saved" }),
    rules: RuleSetSchema,
    createdAt: z.number().int().nullable(),
    createdBy: z.string().nullable(),
  })
  .openapi("ScoringRules");

export const JobView = z
  .object({
    id: z.string(),
    kind: z.enum(["rules", "decay"]),
    status: z.enum(["planning", "running", "done"]),
    rulesVersion: z.number().int(),
    asOf: z.number().int(),
    total: z.number().int().openapi({ description: "Contacts to recompute (0 while planning)" }),
    done: z.number().int(),
    changed: z.number().int().openapi({ description: "Contacts whose score or grade changed" }),
    chunks: z.number().int(),
    chunksDone: z.number().int(),
    progress: z.number().min(0).max(1),
    createdAt: z.number().int(),
    finishedAt: z.number().int().nullable(),
  })
  .openapi("ScoringJob");

export const SavedRulesView = RulesView.extend({ job: JobView }).openapi("ScoringRulesSaved");

const Contribution = z.object({
  id: z.string(),
  label: z.string(),
  group: z.string().nullable(),
  points: z.number(),
  events: z.number().int().optional(),
});
const Part = z.object({
  score: z.number().int(),
  raw: z.number().openapi({ description: "After group caps, before the score's own min and max" }),
  rules: z.array(Contribution),
  groups: z.array(z.object({ id: z.string(), raw: z.number(), counted: z.number() })),
});
export const ExplanationSchema = z
  .object({
    fit: Part,
    engagement: Part,
    grade: z.object({ value: z.number(), grade: z.string() }),
    asOf: z.number().int(),
  })
  .openapi("ScoreExplanation");

export const ScoreView = z
  .object({
    contactId: z.string(),
    fit: z.number().int().nullable(),
    engagement: z.number().int().nullable(),
    grade: z.string().nullable(),
    rulesVersion: z.number().int().nullable(),
    computedAt: z.number().int().nullable(),
    explanation: ExplanationSchema.nullable(),
  })
  .openapi("ContactScore");

export const DryRunInput = z
  .strictObject({
    rules: RuleSetSchema.optional().openapi({ description: "A draft to try instead of the current rules" }),
    at: z
      .number()
      .int()
      .optional()
      .openapi({ description: "Compute as of this time (epoch ms); now by default" }),
  })
  .openapi("ScoringDryRunInput");

export const DryRunView = z
  .object({
    contactId: z.string(),
    rulesVersion: z.number().int().nullable().openapi({ description: "null when a draft was tried" }),
    current: z.object({
      fit: z.number().int().nullable(),
      engagement: z.number().int().nullable(),
      grade: z.string().nullable(),
    }),
    result: z.object({
      fit: z.number().int(),
      engagement: z.number().int(),
      grade: z.string(),
      explanation: ExplanationSchema,
    }),
    top: z.array(
      z.object({
        score: z.enum(["fit", "engagement"]),
        id: z.string(),
        label: z.string(),
        points: z.number(),
      }),
    ),
  })
  .openapi("ScoringDryRun");

export function toJobView(row: ScoringJobRow): z.infer<typeof JobView> {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    rulesVersion: row.rulesVersion,
    asOf: row.asOf,
    total: row.total,
    done: row.done,
    changed: row.changed,
    chunks: row.chunks,
    chunksDone: row.chunksDone,
    progress: row.status === "done" ? 1 : row.chunks === 0 ? 0 : row.chunksDone / row.chunks,
    createdAt: row.createdAt,
    finishedAt: row.finishedAt,
  };
}
