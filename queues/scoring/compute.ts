// The scoring engine itself, pure: a contact, its engagement events and a rule set give both scores, the grade
// and the explanation ("why this score"). The clock is a parameter, so decay is the same function of time in
// the consumer, the daily job, the dry run and the tests.
import { isFreeMailDomain } from "../capture/free-mail.ts";
import type { Condition, Decay, EngagementKind, RuleSet } from "./rules.ts";

export const DAY_MS = 24 * 60 * 60_000;

export interface ScoringContact {
  id: string;
  email: string | null;
  jobTitle: string | null;
  lifecycleStage: string | null;
  leadStatus: string | null;
  source: string | null;
  /** The contact's custom field values (JSON text as stored, or parsed). */
  custom: string | Record<string, unknown> | null;
  company: { industry: string | null; size: string | null; country: string | null } | null;
}

export interface ScoringEvent {
  kind: EngagementKind | string;
  at: number;
  formId: string | null;
}

export interface RuleContribution {
  id: string;
  label: string;
  group: string | null;
  /** Points the rule gave (engagement: after decay, to two decimals). */
  points: number;
  /** Engagement rules: how many events counted. */
  events?: number;
}

export interface GroupTotal {
  id: string;
  raw: number;
  /** What the group counts for after its min and max. */
  counted: number;
}

export interface ScorePart {
  score: number;
  /** The sum before the overall min and max. */
  raw: number;
  rules: RuleContribution[];
  groups: GroupTotal[];
}

export interface Explanation {
  fit: ScorePart;
  engagement: ScorePart;
  grade: { value: number; grade: string };
  asOf: number;
}

export interface Scores {
  fit: number;
  engagement: number;
  engagementExact: number;
  grade: string;
  explanation: Explanation;
}

/** What one event's points are worth `ageMs` after it happened. */
export function decayFactor(decay: Decay, ageMs: number): number {
  const age = Math.max(0, ageMs);
  switch (decay.kind) {
    case "none":
      return 1;
    case "half_life":
      return 0.5 ** (age / (decay.days * DAY_MS));
    case "percent":
      return (1 - decay.percent / 100) ** Math.floor(age / (decay.everyDays * DAY_MS));
  }
}

/** How far back events still count for something (a thousandth of their points): older ones need not be read. */
export function decayHorizonMs(decay: Decay): number | null {
  switch (decay.kind) {
    case "none":
      return null;
    case "half_life":
      return Math.ceil(decay.days * DAY_MS * Math.log2(1000));
    case "percent":
      if (decay.percent >= 100) return decay.everyDays * DAY_MS;
      return Math.ceil(Math.log(1e-3) / Math.log(1 - decay.percent / 100) + 1) * decay.everyDays * DAY_MS;
  }
}

const fold = (text: string) =>
  ` ${text
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim()} `;

function isOneOf(value: string | null | undefined, list: readonly string[]): boolean {
  if (value === null || value === undefined) return false;
  const v = fold(value);
  return list.some((item) => fold(item) === v);
}

function containsWord(value: string | null | undefined, words: readonly string[]): boolean {
  if (!value) return false;
  const v = fold(value);
  return words.some((word) => {
    const w = fold(word);
    return w.trim() !== "" && v.includes(w);
  });
}

function customValues(contact: ScoringContact): Record<string, unknown> {
  const custom = contact.custom;
  if (custom === null) return {};
  if (typeof custom !== "string") return custom;
  try {
    const parsed: unknown = JSON.parse(custom);
    return parsed && typeof parsed === "object" ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function emailDomain(email: string | null): string | null {
  const at = email?.lastIndexOf("@") ?? -1;
  return email && at > 0 ? email.slice(at + 1).toLowerCase() : null;
}

export function matches(
  condition: Condition,
  contact: ScoringContact,
  custom: Record<string, unknown>,
): boolean {
  const company = contact.company;
  switch (condition.field) {
    case "industry":
      return isOneOf(company?.industry, condition.in);
    case "companySize":
      return isOneOf(company?.size, condition.in);
    case "country":
      return isOneOf(company?.country, condition.in);
    case "jobTitle":
      return containsWord(contact.jobTitle, condition.contains);
    case "source":
      return containsWord(contact.source, condition.contains);
    case "lifecycleStage":
      return contact.lifecycleStage !== null && (condition.in as string[]).includes(contact.lifecycleStage);
    case "leadStatus":
      return contact.leadStatus !== null && (condition.in as string[]).includes(contact.leadStatus);
    case "emailDomain": {
      const domain = emailDomain(contact.email);
      if (domain === null) return false;
      return isFreeMailDomain(domain) === (condition.is === "free");
    }
    case "custom": {
      const raw = custom[condition.key];
      const values = (Array.isArray(raw) ? raw : [raw]).filter(
        (v) => v !== undefined && v !== null && v !== "",
      );
      if (condition.present !== undefined && values.length > 0 !== condition.present) return false;
      if (condition.in !== undefined) {
        const wanted = condition.in;
        const hit = values.some((v) =>
          wanted.some((w) =>
            typeof w === "string" && typeof v === "string" ? fold(w) === fold(v) : w === v,
          ),
        );
        if (!hit) return false;
      }
      if (condition.min !== undefined || condition.max !== undefined) {
        const numbers = values.map(Number).filter((n) => Number.isFinite(n));
        const inRange = numbers.some(
          (n) =>
            (condition.min === undefined || n >= condition.min) &&
            (condition.max === undefined || n <= condition.max),
        );
        if (!inRange) return false;
      }
      return true;
    }
  }
}

const clamp = (value: number, min: number | undefined, max: number | undefined) =>
  Math.min(max ?? Number.POSITIVE_INFINITY, Math.max(min ?? Number.NEGATIVE_INFINITY, value));

const round2 = (n: number) => Math.round(n * 100) / 100;

/** Sums the contributions through their groups' bounds, then the score's own. */
function total(
  contributions: RuleContribution[],
  part: { groups: RuleSet["fit"]["groups"]; min?: number | undefined; max?: number | undefined },
): { raw: number; score: number; groups: GroupTotal[] } {
  let raw = 0;
  const groups: GroupTotal[] = [];
  for (const group of part.groups) {
    const sum = contributions.filter((c) => c.group === group.id).reduce((s, c) => s + c.points, 0);
    const counted = clamp(sum, group.min, group.max);
    groups.push({ id: group.id, raw: round2(sum), counted: round2(counted) });
    raw += counted;
  }
  raw += contributions.filter((c) => c.group === null).reduce((s, c) => s + c.points, 0);
  return { raw: round2(raw), score: clamp(raw, part.min, part.max), groups };
}

export function computeScores(
  rules: RuleSet,
  contact: ScoringContact,
  events: readonly ScoringEvent[],
  now: number,
): Scores {
  const custom = customValues(contact);
  const fitRules: RuleContribution[] = rules.fit.rules
    .filter((rule) => matches(rule.when, contact, custom))
    .map((rule) => ({ id: rule.id, label: rule.label, group: rule.group ?? null, points: rule.points }));
  const fit = total(fitRules, rules.fit);

  const decay = rules.engagement.decay;
  const engagementRules: RuleContribution[] = [];
  for (const rule of rules.engagement.rules) {
    let points = 0;
    let count = 0;
    for (const event of events) {
      if (event.kind !== rule.kind) continue;
      if (rule.formIds && (event.formId === null || !rule.formIds.includes(event.formId))) continue;
      points += rule.points * decayFactor(decay, now - event.at);
      count += 1;
    }
    if (count > 0) {
      engagementRules.push({
        id: rule.id,
        label: rule.label,
        group: rule.group ?? null,
        points: round2(points),
        events: count,
      });
    }
  }
  const engagement = total(engagementRules, rules.engagement);

  const fitScore = Math.round(fit.score);
  const engagementScore = Math.round(engagement.score);
  const value = Math.round(
    rules.grading.fitWeight * fitScore + rules.grading.engagementWeight * engagementScore,
  );
  const grade = rules.grading.bands.find((band) => value >= band.min)?.grade ?? rules.grading.otherwise;

  return {
    fit: fitScore,
    engagement: engagementScore,
    engagementExact: engagement.score,
    grade,
    explanation: {
      fit: { score: fitScore, raw: fit.raw, rules: fitRules, groups: fit.groups },
      engagement: {
        score: engagementScore,
        raw: engagement.raw,
        rules: engagementRules,
        groups: engagement.groups,
      },
      grade: { value, grade },
      asOf: now,
    },
  };
}

/** The rules that moved the scores most, for the timeline entry: largest absolute points first. */
export function topRules(explanation: Explanation, count = 3) {
  return [
    ...explanation.fit.rules.map((r) => ({ score: "fit" as const, ...r })),
    ...explanation.engagement.rules.map((r) => ({ score: "engagement" as const, ...r })),
  ]
    .sort((a, b) => Math.abs(b.points) - Math.abs(a.points) || a.id.localeCompare(b.id))
    .slice(0, count)
    .map(({ score, id, label, points }) => ({ score, id, label, points }));
}
