// From rows to score writes: the rule set read with the contacts (cached by version), each contact computed,
// and a write item that says whether anything a person would notice changed, with its timeline entry.
import { newId } from "../../db/ids.ts";
import type { RuleSetRow } from "../../db/scoring/rules.ts";
import type { ScoreWrite, ScoringRow } from "../../db/scoring/state.ts";
import { computeScores, type Scores, type ScoringContact, type ScoringEvent, topRules } from "./compute.ts";
import { parseStoredRules, type RuleSet } from "./rules.ts";

export interface CurrentRules {
  version: number;
  rules: RuleSet;
}

const parsed = new Map<number, RuleSet>();

/** The current rule set from its row (none: the default, version 0); parsed once per version per isolate. */
export function currentRules(row: RuleSetRow | undefined): CurrentRules {
  const version = row?.version ?? 0;
  let rules = parsed.get(version);
  if (!rules) {
    rules = parseStoredRules(row?.rules);
    if (parsed.size > 20) parsed.clear();
    parsed.set(version, rules);
  }
  return { version, rules };
}

export function toScoringContact(row: ScoringRow): ScoringContact {
  return {
    id: row.id,
    email: row.email,
    jobTitle: row.jobTitle,
    lifecycleStage: row.lifecycleStage,
    leadStatus: row.leadStatus,
    source: row.source,
    custom: row.custom,
    company:
      row.industry === null && row.size === null && row.country === null
        ? null
        : { industry: row.industry, size: row.size, country: row.country },
  };
}

export type ScoreCause =
  | { kind: "event"; eventId: string; eventKind: string }
  | { kind: "rules"; jobId: string }
  | { kind: "decay"; jobId: string };

/** Computes one contact and the write that records it. */
export function scoreWrite(
  current: CurrentRules,
  row: ScoringRow,
  events: readonly ScoringEvent[],
  now: number,
  cause: ScoreCause,
): { write: ScoreWrite; scores: Scores } {
  const scores = computeScores(current.rules, toScoringContact(row), events, now);
  const before = { fit: row.fit, engagement: row.engagement, grade: row.grade };
  const after = { fit: scores.fit, engagement: scores.engagement, grade: scores.grade };
  const changed =
    before.fit !== after.fit || before.engagement !== after.engagement || before.grade !== after.grade;
  const top = topRules(scores.explanation);
  return {
    scores,
    write: {
      id: row.id,
      fit: scores.fit,
      engagement: scores.engagement,
      exact: scores.engagementExact,
      grade: scores.grade,
      rulesVersion: current.version,
      explanation: JSON.stringify(scores.explanation),
      prev: row.scoreVersion ?? 0,
      changed,
      activity: changed
        ? {
            id: newId(),
            subject: subjectOf(before, after).slice(0, 300),
            metadata: JSON.stringify({ from: before, to: after, top, rulesVersion: current.version, cause }),
          }
        : null,
    },
  };
}

function subjectOf(
  before: { fit: number | null; engagement: number | null; grade: string | null },
  after: { fit: number; engagement: number; grade: string },
): string {
  const part = (name: string, from: number | string | null, to: number | string) =>
    from === to ? `${name} ${to}` : `${name} ${from ?? "–"} → ${to}`;
  return `Score: ${part("fit", before.fit, after.fit)}, ${part("engagement", before.engagement, after.engagement)}, ${part("grade", before.grade, after.grade)}`;
}
