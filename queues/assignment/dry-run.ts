// What the current rules would do to a contact now: which assignment rule matches, who the rotation would
// pick next (computed as the pick computes it, without advancing anything), and the SLA deadline it would get.
import type { CandidateRow, FactsQueryRow } from "../../db/assignment/queries.ts";
import { deadlineOf } from "../sla/clock.ts";
import { parseSlaRuleset } from "../sla/rules.ts";
import { nextInRotation, parseAssignmentRuleset, type TeamCandidate, teamCandidates } from "./engine.ts";
import { type AssignmentRule, factsOf, firstMatch } from "./rules.ts";

export interface DryRun {
  contactId: string;
  currentOwnerId: string | null;
  assignment: {
    ruleId: string | null;
    ruleName: string | null;
    target: AssignmentRule["assignTo"] | null;
    /** Who would own the lead: the rule's pick, else the fallback, else the current owner. */
    wouldAssignTo: string | null;
    via: "rule" | "fallback" | "unchanged";
    candidates: Pick<
      TeamCandidate,
      "userId" | "name" | "weight" | "credit" | "openLeads" | "maxOpenLeads" | "skipped"
    >[];
  };
  sla: { ruleId: string; ruleName: string; minutes: number; businessHours: boolean; dueAt: number } | null;
}

export function dryRun(
  lead: FactsQueryRow,
  rows: { assignment?: string; sla?: string; team: CandidateRow[]; users: CandidateRow[] },
  formId: string | null,
  now: number,
): DryRun {
  const facts = factsOf(lead, formId);
  const ruleset = parseAssignmentRuleset(rows.assignment);
  const rule = firstMatch(ruleset.rules, facts) ?? null;
  const byId = new Map(rows.users.map((u) => [u.userId, u]));
  const usable = (id: string | null) => {
    const user = id === null ? undefined : byId.get(id);
    return user !== undefined && user.active === 1;
  };

  let candidates: TeamCandidate[] = [];
  let pick: string | null = null;
  if (rule?.assignTo.type === "team") {
    candidates = teamCandidates(
      rows.team,
      rule as AssignmentRule & { assignTo: { type: "team" } },
      now,
      null,
    );
    pick = nextInRotation(candidates)?.userId ?? null;
  } else if (rule?.assignTo.type === "user" && usable(rule.assignTo.userId)) {
    pick = rule.assignTo.userId;
  }
  const fallback = usable(ruleset.fallbackOwnerId) ? ruleset.fallbackOwnerId : null;
  const wouldAssignTo = pick ?? fallback ?? lead.ownerId;
  const via = pick ? "rule" : fallback ? "fallback" : "unchanged";

  const slaRule = firstMatch(parseSlaRuleset(rows.sla).rules, facts);
  const owner =
    wouldAssignTo === null
      ? undefined
      : (byId.get(wouldAssignTo) ?? rows.team.find((m) => m.userId === wouldAssignTo));
  return {
    contactId: lead.id,
    currentOwnerId: lead.ownerId,
    assignment: {
      ruleId: rule?.id ?? null,
      ruleName: rule?.name ?? null,
      target: rule?.assignTo ?? null,
      wouldAssignTo,
      via,
      candidates: candidates.map(({ userId, name, weight, credit, openLeads, maxOpenLeads, skipped }) => ({
        userId,
        name,
        weight,
        credit,
        openLeads,
        maxOpenLeads,
        skipped,
      })),
    },
    sla: slaRule
      ? {
          ruleId: slaRule.id,
          ruleName: slaRule.name,
          minutes: slaRule.minutes,
          businessHours: slaRule.businessHours,
          dueAt: deadlineOf(slaRule, now, owner ?? null),
        }
      : null,
  };
}
