// Assignment rules: what they look like (one zod definition for the API and the engine), the facts of a lead
// they are matched against, and first-match evaluation. The SLA rules reuse the conditions.
import { z } from "@hono/zod-openapi";

export const FACT_FIELDS = [
  "country",
  "industry",
  "companySize",
  "source",
  "formId",
  "grade",
  "lifecycleStage",
  "leadStatus",
  "fitScore",
  "engagementScore",
] as const;

const Id = z.string().min(1).max(64);
const Field = z
  .union([z.enum(FACT_FIELDS), z.string().regex(/^custom\.[a-z][a-z0-9_]{0,62}$/)])
  .openapi({ description: `One of ${FACT_FIELDS.join(", ")}, or custom.<key>.`, example: "country" });

/** One test on a fact; a rule's conditions must all hold. Text compares case-insensitively. */
export const ConditionSchema = z
  .strictObject({
    field: Field,
    in: z
      .array(z.union([z.string().max(200), z.number()]))
      .min(1)
      .max(500)
      .optional(),
    notIn: z
      .array(z.union([z.string().max(200), z.number()]))
      .min(1)
      .max(500)
      .optional(),
    /** Numbers (scores, the leading number of a company size such as "51-200"). */
    gte: z.number().optional(),
    lte: z.number().optional(),
    present: z.boolean().optional(),
  })
  .refine(
    (c) => [c.in, c.notIn, c.gte, c.lte, c.present].some((v) => v !== undefined),
    "give at least one of in, notIn, gte, lte, present",
  )
  .openapi("RuleCondition");
export type Condition = z.infer<typeof ConditionSchema>;

const AssignToSchema = z
  .discriminatedUnion("type", [
    z.strictObject({ type: z.literal("user"), userId: Id }),
    z.strictObject({
      type: z.literal("team"),
      teamId: Id,
      /** Weighted round robin: a member with weight 2 gets twice the leads of one with 1 (the default). */
      weights: z.record(Id, z.number().int().min(1).max(100)).default({}),
    }),
  ])
  .openapi("AssignTo");

export const AssignmentRuleSchema = z
  .strictObject({
    id: Id.regex(/^[A-Za-z0-9_-]+$/),
    name: z.string().trim().min(1).max(200),
    when: z.array(ConditionSchema).max(20).default([]),
    assignTo: AssignToSchema,
  })
  .openapi("AssignmentRule");
export type AssignmentRule = z.infer<typeof AssignmentRuleSchema>;

export const AssignmentRulesetSchema = z
  .strictObject({
    rules: z.array(AssignmentRuleSchema).max(200),
    /** Who gets a lead no rule matches, or whose team has nobody available; null keeps the form's owner. */
    fallbackOwnerId: Id.nullable().default(null),
  })
  .refine((r) => new Set(r.rules.map((x) => x.id)).size === r.rules.length, "rule ids must be unique")
  .openapi("AssignmentRules");
export type AssignmentRuleset = z.infer<typeof AssignmentRulesetSchema>;

export const EMPTY_ASSIGNMENT_RULESET: AssignmentRuleset = { rules: [], fallbackOwnerId: null };

/** The users and teams a ruleset names, for the referential check made in the write batch. */
export function referencesOf(ruleset: AssignmentRuleset) {
  const users = new Set<string>();
  const teams = new Set<string>();
  if (ruleset.fallbackOwnerId) users.add(ruleset.fallbackOwnerId);
  for (const rule of ruleset.rules) {
    if (rule.assignTo.type === "user") users.add(rule.assignTo.userId);
    else teams.add(rule.assignTo.teamId);
  }
  return { users: [...users], teams: [...teams] };
}

/** What rules match on: the contact's properties, its company's, and the form it came through. */
export type Facts = Record<string, string | number | null>;

export interface FactsRow {
  country: string | null;
  industry: string | null;
  companySize: string | null;
  source: string | null;
  grade: string | null;
  lifecycleStage: string | null;
  leadStatus: string | null;
  fitScore: number | null;
  engagementScore: number | null;
  custom: string | null;
}

export function factsOf(row: FactsRow, formId: string | null): Facts {
  const { custom, ...rest } = row;
  const facts: Facts = { ...rest, formId };
  let parsed: unknown = {};
  try {
    parsed = JSON.parse(custom ?? "{}");
  } catch {
    parsed = {};
  }
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof value === "string" || typeof value === "number") facts[`custom.${key}`] = value;
    else if (typeof value === "boolean") facts[`custom.${key}`] = String(value);
  }
  // A contact's own country (custom field) when its company has none.
  if (facts.country === null && typeof facts["custom.country"] === "string")
    facts.country = facts["custom.country"];
  return facts;
}

const norm = (v: string | number) => String(v).trim().toLowerCase();
const numberOf = (v: string | number | null | undefined) => {
  if (typeof v === "number") return v;
  const match = typeof v === "string" ? /-?\d+(\.\d+)?/.exec(v) : null;
  return match ? Number(match[0]) : null;
};

export function conditionHolds(condition: Condition, facts: Facts): boolean {
  const value = facts[condition.field] ?? null;
  const present = value !== null && value !== "";
  if (condition.present !== undefined && condition.present !== present) return false;
  if (condition.in && !(present && condition.in.some((v) => norm(v) === norm(value)))) return false;
  if (condition.notIn && present && condition.notIn.some((v) => norm(v) === norm(value))) return false;
  if (condition.gte !== undefined || condition.lte !== undefined) {
    const n = numberOf(value);
    if (n === null) return false;
    if (condition.gte !== undefined && n < condition.gte) return false;
    if (condition.lte !== undefined && n > condition.lte) return false;
  }
  return true;
}

/** The first rule, in order, whose conditions all hold; undefined when none does. */
export function firstMatch<R extends { when: Condition[] }>(
  rules: readonly R[],
  facts: Facts,
): R | undefined {
  return rules.find((rule) => rule.when.every((condition) => conditionHolds(condition, facts)));
}
