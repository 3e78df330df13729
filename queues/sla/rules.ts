// Speed-to-lead rules: the first one whose conditions a new lead meets gives its first-response deadline, and
// says whether a breach escalates to the team's manager and reassigns the lead.
import { z } from "@hono/zod-openapi";
import { ConditionSchema } from "../assignment/rules.ts";

export const SlaRuleSchema = z
  .strictObject({
    id: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9_-]+$/),
    name: z.string().trim().min(1).max(200),
    when: z.array(ConditionSchema).max(20).default([]),
    /** Minutes to the first response. */
    minutes: z
      .number()
      .int()
      .min(1)
      .max(60 * 24 * 30),
    /** Count only the owner's working hours (in their time zone); false counts wall-clock minutes. */
    businessHours: z.boolean().default(true),
    escalate: z.boolean().default(true),
    reassign: z.boolean().default(false),
  })
  .openapi("SlaRule");
export type SlaRule = z.infer<typeof SlaRuleSchema>;

export const SlaRulesetSchema = z
  .strictObject({ rules: z.array(SlaRuleSchema).max(100) })
  .refine((r) => new Set(r.rules.map((x) => x.id)).size === r.rules.length, "rule ids must be unique")
  .openapi("SlaRules");
export type SlaRuleset = z.infer<typeof SlaRulesetSchema>;

export function parseSlaRuleset(definition: string | undefined): SlaRuleset {
  if (definition === undefined) return { rules: [] };
  const parsed = SlaRulesetSchema.safeParse(JSON.parse(definition));
  return parsed.success ? parsed.data : { rules: [] };
}
