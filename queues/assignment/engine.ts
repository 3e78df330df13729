// The assignment engine: who owns a lead. One read (the lead, the rules, the form's default owner), one read of
// the matched team's members when a team rule matched, then one write batch that advances the rotation and sets
// the owner together (pick.ts). Idempotent by event id: the assignments row keyed by it is the claim.
import { type SQL, sql } from "drizzle-orm";
import { leadFactsQuery, rulesetQuery, teamCandidatesQuery } from "../../db/assignment/queries.ts";
import type { Database } from "../../db/client.ts";
import { newId } from "../../db/ids.ts";
import { availabilityOf, type Unavailable, unavailableReason } from "./availability.ts";
import { pickStatements } from "./pick.ts";
import {
  type AssignmentRule,
  type AssignmentRuleset,
  AssignmentRulesetSchema,
  EMPTY_ASSIGNMENT_RULESET,
  factsOf,
  firstMatch,
} from "./rules.ts";

export interface AssignRequest {
  eventId: string;
  contactId: string;
  /** The form the lead came through (its default owner may be replaced), or null. */
  formId: string | null;
  /** The deal the form opened with the lead, if any: it moves with the contact. */
  dealId?: string | null;
  reason: "form" | "sla_breach";
  /** On an SLA breach: reassign only while the contact is still this user's, and never back to them. */
  breachedOwnerId?: string | null;
}

export type AssignOutcome =
  | { status: "assigned" | "unchanged"; userId: string | null; ruleId: string | null }
  | { status: "already" | "skipped" | "missing" };

export function parseAssignmentRuleset(definition: string | undefined): AssignmentRuleset {
  if (definition === undefined) return EMPTY_ASSIGNMENT_RULESET;
  const parsed = AssignmentRulesetSchema.safeParse(JSON.parse(definition));
  return parsed.success ? parsed.data : EMPTY_ASSIGNMENT_RULESET;
}

/**
 * When a lead may be assigned, as SQL over the contact row `c`. A form's lead: when it has no owner, or its
 * owner is the form's default owner (set by the capture seam, queues/capture/owner.ts) and the engine has never
 * assigned the contact, so an owner a person or an earlier assignment chose is never taken away. A breach
 * reassignment: while the breaching owner still owns it.
 */
function assignableSql(request: AssignRequest, defaultOwnerId: string | null): SQL {
  if (request.reason === "sla_breach") {
    return request.breachedOwnerId ? sql`c.owner_id = ${request.breachedOwnerId}` : sql`c.owner_id is null`;
  }
  const byForm =
    defaultOwnerId === null
      ? sql`0`
      : sql`(c.owner_id = ${defaultOwnerId} and not exists (select 1 from assignments pa
          where pa.contact_id = c.id and pa.user_id is not null))`;
  return sql`(c.owner_id is null or ${byForm})`;
}

export interface TeamCandidate {
  userId: string;
  name: string;
  weight: number;
  credit: number;
  openLeads: number;
  maxOpenLeads: number | null;
  skipped: Unavailable | "at_capacity" | "excluded" | null;
}

/** A team's members as a rule sees them at `now`: who is skipped and why, and each one's weight. */
export function teamCandidates(
  rows: Awaited<ReturnType<typeof teamCandidatesQuery>>,
  rule: AssignmentRule & { assignTo: { type: "team" } },
  now: number,
  excludeUserId: string | null,
): TeamCandidate[] {
  return rows
    .filter((row) => row.teamId === rule.assignTo.teamId)
    .map((row) => {
      const availability = availabilityOf(row);
      const reason =
        row.userId === excludeUserId
          ? "excluded"
          : (unavailableReason({ active: row.active === 1, timeZone: row.timeZone }, availability, now) ??
            (availability.maxOpenLeads !== null && row.openLeads >= availability.maxOpenLeads
              ? "at_capacity"
              : null));
      return {
        userId: row.userId,
        name: row.name,
        weight: rule.assignTo.weights[row.userId] ?? 1,
        credit: row.credit ?? 0,
        openLeads: row.openLeads,
        maxOpenLeads: availability.maxOpenLeads,
        skipped: reason,
      };
    });
}

/** Who the next pick of a smooth weighted round robin would be, without advancing it (the dry run). */
export function nextInRotation(candidates: readonly TeamCandidate[]): TeamCandidate | null {
  const eligible = candidates.filter((c) => c.skipped === null);
  eligible.sort((a, b) => b.credit + b.weight - (a.credit + a.weight) || (a.userId < b.userId ? -1 : 1));
  return eligible[0] ?? null;
}

export async function assignLead(
  db: Database,
  request: AssignRequest,
  now = Date.now(),
): Promise<AssignOutcome> {
  const [leadRows, rulesetRows, formRows, doneRows] = await db.batch([
    leadFactsQuery(db, request.contactId),
    rulesetQuery(db, "assignment"),
    db.all<{ defaultOwnerId: string | null }>(
      sql`select default_owner_id as defaultOwnerId from forms where id = ${request.formId ?? ""}`,
    ),
    db.all<{ userId: string | null }>(
      sql`select user_id as userId from assignments where event_id = ${request.eventId}`,
    ),
  ]);
  if (doneRows.length > 0) return { status: "already" };
  const lead = leadRows[0];
  if (!lead || lead.deletedAt !== null) return { status: "missing" };

  const defaultOwnerId = formRows[0]?.defaultOwnerId ?? null;
  if (request.reason === "form" && lead.ownerId !== null && lead.ownerId !== defaultOwnerId) {
    return { status: "skipped" };
  }
  const ruleset = parseAssignmentRuleset(rulesetRows[0]?.definition);
  const rule = firstMatch(ruleset.rules, factsOf(lead, request.formId));
  const exclude = request.breachedOwnerId ?? null;

  let target: Parameters<typeof pickStatements>[1]["target"] = null;
  if (rule?.assignTo.type === "user") target = { type: "user", userId: rule.assignTo.userId };
  if (rule?.assignTo.type === "team") {
    const teamRule = rule as AssignmentRule & { assignTo: { type: "team" } };
    const rows = await teamCandidatesQuery(db, sql`${teamRule.assignTo.teamId}`);
    const members = teamCandidates(rows, teamRule, now, exclude)
      .filter((c) => c.skipped === null)
      .map((c) => ({ userId: c.userId, weight: c.weight }));
    target = { type: "team", teamId: teamRule.assignTo.teamId, members };
  }

  const results = await db.batch(
    pickStatements(db, {
      eventId: request.eventId,
      contactId: request.contactId,
      dealId: request.dealId ?? null,
      claim: newId(),
      now,
      reason: request.reason,
      assignable: assignableSql(request, defaultOwnerId),
      ruleId: rule?.id ?? null,
      ruleName: rule?.name ?? null,
      target,
      fallbackOwnerId: ruleset.fallbackOwnerId,
      excludeUserId: exclude,
    }),
  );
  const outcome = results.at(-1) as { userId: string | null; mine: number; changed: number }[];
  const row = outcome[0];
  if (!row) return { status: "skipped" };
  if (!row.mine) return { status: "already" };
  return { status: row.changed ? "assigned" : "unchanged", userId: row.userId, ruleId: rule?.id ?? null };
}
