// The scoring rule set: what an admin writes (validated here, 422 on anything inconsistent) and the engine
// reads. Two scores: fit from the contact's and its company's properties, engagement from events, which
// decays. Rules carry points (negative allowed) and may sit in a group whose total is capped; each score
// has an overall floor and cap; the grade comes from bands over a weighted sum of the two scores.
import { z } from "@hono/zod-openapi";
import { LEAD_STATUSES, LIFECYCLE_STAGES } from "../../db/schema/crm.ts";

export const ENGAGEMENT_KINDS = [
  "form_submitted",
  "email_opened",
  "email_clicked",
  "page_visit",
  "meeting_booked",
  "replied",
  "unsubscribed",
  "bounced",
  "spam_reported",
] as const;
export type EngagementKind = (typeof ENGAGEMENT_KINDS)[number];

const Id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "lower-case letters, digits, _ and -, up to 64")
  .openapi({ example: "vp-title" });
const Points = z.number().int().min(-1000).max(1000);
const Words = z.array(z.string().trim().min(1).max(100)).min(1).max(100);
const CustomValue = z.union([z.string().max(200), z.number(), z.boolean()]);

/** What a fit rule tests; strings compare case-insensitively, `contains` matches whole words or phrases. */
export const ConditionSchema = z
  .discriminatedUnion("field", [
    z.strictObject({ field: z.literal("industry"), in: Words }),
    z.strictObject({ field: z.literal("companySize"), in: Words }),
    z.strictObject({ field: z.literal("country"), in: Words }),
    z.strictObject({ field: z.literal("jobTitle"), contains: Words }),
    z.strictObject({ field: z.literal("emailDomain"), is: z.enum(["free", "business"]) }),
    z.strictObject({ field: z.literal("lifecycleStage"), in: z.array(z.enum(LIFECYCLE_STAGES)).min(1) }),
    z.strictObject({ field: z.literal("leadStatus"), in: z.array(z.enum(LEAD_STATUSES)).min(1) }),
    z.strictObject({ field: z.literal("source"), contains: Words }),
    z
      .strictObject({
        field: z.literal("custom"),
        key: z.string().min(1).max(100),
        /** Equal to one of these (a multi-select matches when any of its values is listed). */
        in: z.array(CustomValue).min(1).max(100).optional(),
        /** A number at least / at most this. */
        min: z.number().optional(),
        max: z.number().optional(),
        /** Set at all (true) or not (false). */
        present: z.boolean().optional(),
      })
      .refine(
        (c) => [c.in, c.min, c.max, c.present].some((v) => v !== undefined),
        "give in, min, max or present",
      ),
  ])
  .openapi("ScoringCondition");
export type Condition = z.infer<typeof ConditionSchema>;

const Label = z.string().trim().min(1).max(200);

const GroupSchema = z.strictObject({
  id: Id,
  label: Label.optional(),
  /** The group's total is kept within [min, max]. */
  max: z.number().int().optional(),
  min: z.number().int().optional(),
});

const FitRuleSchema = z.strictObject({
  id: Id,
  label: Label,
  group: Id.optional(),
  points: Points,
  when: ConditionSchema,
});

const EngagementRuleSchema = z.strictObject({
  id: Id,
  label: Label,
  group: Id.optional(),
  /** Points for each event of this kind (before decay). */
  points: Points,
  kind: z.enum(ENGAGEMENT_KINDS),
  /** Form submissions only: count those of these forms alone. */
  formIds: z.array(z.string().min(1).max(64)).min(1).max(100).optional(),
});

export const DecaySchema = z
  .discriminatedUnion("kind", [
    z.strictObject({ kind: z.literal("none") }),
    /** Each event's points halve every `days`, continuously. */
    z.strictObject({ kind: z.literal("half_life"), days: z.number().positive().max(3650) }),
    /** Each event's points lose `percent` for every whole `everyDays` since it happened. */
    z.strictObject({
      kind: z.literal("percent"),
      percent: z.number().gt(0).max(100),
      everyDays: z.number().int().min(1).max(365),
    }),
  ])
  .openapi("ScoringDecay");
export type Decay = z.infer<typeof DecaySchema>;

const Bounds = { max: z.number().int().optional(), min: z.number().int().optional() };

const GradingSchema = z.strictObject({
  /** The graded value is fitWeight × fit + engagementWeight × engagement (fit alone by default). */
  fitWeight: z.number().min(0).max(10).default(1),
  engagementWeight: z.number().min(0).max(10).default(0),
  /** Highest first: the first band whose min the value reaches gives the grade. */
  bands: z.array(z.strictObject({ grade: z.string().trim().min(1).max(8), min: z.number().int() })).max(20),
  /** The grade below every band. */
  otherwise: z.string().trim().min(1).max(8),
});

export const RuleSetSchema = z
  .strictObject({
    fit: z.strictObject({
      ...Bounds,
      groups: z.array(GroupSchema).max(50).default([]),
      rules: z.array(FitRuleSchema).max(500),
    }),
    engagement: z.strictObject({
      ...Bounds,
      groups: z.array(GroupSchema).max(50).default([]),
      rules: z.array(EngagementRuleSchema).max(500),
      decay: DecaySchema,
    }),
    grading: GradingSchema,
  })
  .superRefine((set, ctx) => {
    const issue = (path: (string | number)[], message: string) =>
      ctx.addIssue({ code: "custom", path, message });
    const ids = new Set<string>();
    for (const score of ["fit", "engagement"] as const) {
      const part = set[score];
      const groups = new Set<string>();
      part.groups.forEach((g, i) => {
        if (groups.has(g.id)) issue([score, "groups", i, "id"], `duplicate group id "${g.id}"`);
        groups.add(g.id);
        if (g.min !== undefined && g.max !== undefined && g.min > g.max)
          issue([score, "groups", i], "min is above max");
      });
      part.rules.forEach((r, i) => {
        if (ids.has(r.id)) issue([score, "rules", i, "id"], `duplicate rule id "${r.id}"`);
        ids.add(r.id);
        if (r.group !== undefined && !groups.has(r.group))
          issue([score, "rules", i, "group"], `no ${score} group "${r.group}"`);
      });
      if (part.min !== undefined && part.max !== undefined && part.min > part.max)
        issue([score], "min is above max");
    }
    set.engagement.rules.forEach((r, i) => {
      if (r.formIds && r.kind !== "form_submitted")
        issue(["engagement", "rules", i, "formIds"], "only form_submitted rules take formIds");
    });
    set.grading.bands.forEach((b, i) => {
      const previous = set.grading.bands[i - 1];
      if (previous && previous.min <= b.min)
        issue(["grading", "bands", i, "min"], "bands go from the highest min to the lowest");
    });
  })
  .openapi("ScoringRuleSet");

export type RuleSet = z.infer<typeof RuleSetSchema>;
export type FitRule = RuleSet["fit"]["rules"][number];
export type EngagementRule = RuleSet["engagement"]["rules"][number];

/** The rule set before an admin saves one (version 0): engagement counts, decays in 30 days, nothing fits yet. */
export const DEFAULT_RULES: RuleSet = {
  fit: { min: 0, max: 100, groups: [], rules: [] },
  engagement: {
    min: 0,
    max: 100,
    groups: [],
    rules: [
      { id: "form", label: "Submitted a form", points: 10, kind: "form_submitted" },
      { id: "meeting", label: "Booked a meeting", points: 20, kind: "meeting_booked" },
      { id: "reply", label: "Replied", points: 15, kind: "replied" },
      { id: "click", label: "Clicked an email", points: 5, kind: "email_clicked" },
      { id: "open", label: "Opened an email", points: 1, kind: "email_opened" },
      { id: "visit", label: "Visited a page", points: 1, kind: "page_visit" },
      { id: "unsubscribe", label: "Unsubscribed", points: -20, kind: "unsubscribed" },
      { id: "bounce", label: "Email bounced", points: -10, kind: "bounced" },
      { id: "spam", label: "Marked as spam", points: -30, kind: "spam_reported" },
    ],
    decay: { kind: "half_life", days: 30 },
  },
  grading: {
    fitWeight: 1,
    engagementWeight: 0,
    bands: [
      { grade: "A", min: 75 },
      { grade: "B", min: 50 },
      { grade: "C", min: 25 },
    ],
    otherwise: "D",
  },
};

/** A stored rule set (JSON text from scoring_rule_sets), or the default when none was saved. */
export function parseStoredRules(text: string | null | undefined): RuleSet {
  return text ? RuleSetSchema.parse(JSON.parse(text)) : DEFAULT_RULES;
}
