// The change_owner action through the assignment rules: the rules pick the contact's owner as they would for a
// new lead (first match, a team's weighted round robin over the members available now, the fallback owner),
// and the pick's own batch (queues/assignment/pick.ts) sets it. The assignment is keyed by run and step, so a
// repeat of the step picks nobody again and never advances the rotation twice.
import { sql } from "drizzle-orm";
import { leadFactsQuery, rulesetQuery, teamCandidatesQuery } from "../../db/assignment/queries.ts";
import { newId } from "../../db/ids.ts";
import { parseAssignmentRuleset, teamCandidates } from "../assignment/engine.ts";
import { type PickPlan, pickStatements } from "../assignment/pick.ts";
import { type AssignmentRule, factsOf, firstMatch } from "../assignment/rules.ts";
import { type ActionPlan, type StepContext, skipped } from "./actions.ts";

export async function planOwnerByRules(ctx: StepContext): Promise<ActionPlan> {
  const input = { via: "assignment_rules" };
  const contactId = ctx.recordType === "contact" ? (ctx.record?.id ?? null) : null;
  if (!contactId) return skipped(input, "no contact");
  const [leadRows, rulesetRows] = await ctx.db.batch([
    leadFactsQuery(ctx.db, contactId),
    rulesetQuery(ctx.db, "assignment"),
  ]);
  const lead = leadRows[0];
  if (!lead || lead.deletedAt !== null) return skipped(input, "the contact is gone");
  const ruleset = parseAssignmentRuleset(rulesetRows[0]?.definition);
  const rule = firstMatch(ruleset.rules, factsOf(lead, null));
  let target: PickPlan["target"] = null;
  if (rule?.assignTo.type === "user") target = { type: "user", userId: rule.assignTo.userId };
  if (rule?.assignTo.type === "team") {
    const teamRule = rule as AssignmentRule & { assignTo: { type: "team" } };
    const rows = await teamCandidatesQuery(ctx.db, sql`${teamRule.assignTo.teamId}`);
    const members = teamCandidates(rows, teamRule, ctx.now, null)
      .filter((c) => c.skipped === null)
      .map((c) => ({ userId: c.userId, weight: c.weight }));
    target = { type: "team", teamId: teamRule.assignTo.teamId, members };
  }
  if (!target && !ruleset.fallbackOwnerId)
    return skipped(input, "no assignment rule matched and there is no fallback owner");
  return {
    status: "done",
    input,
    result: { ruleId: rule?.id ?? null, ruleName: rule?.name ?? null },
    statements: [
      ...pickStatements(ctx.db, {
        eventId: `workflow:${ctx.run.id}:${ctx.step}`,
        contactId,
        dealId: null,
        claim: newId(),
        now: ctx.now,
        reason: "workflow",
        assignable: sql`1`,
        ruleId: rule?.id ?? null,
        ruleName: rule?.name ?? null,
        target,
        fallbackOwnerId: ruleset.fallbackOwnerId,
        excludeUserId: null,
      }),
    ],
  };
}
