// Evaluating a workflow's conditions against the facts of an event: the record after the change, the record
// before it (for changed, changed_from, changed_to) and the event's own data under `event.`. Each evaluation
// also says which conditions held, so the dry run can show why a workflow would or would not start.
import { type Condition, type ConditionGroup, groupMembers, type Scalar } from "./definition.ts";

export type Facts = Record<string, unknown>;

export interface FactsPair {
  /** The record after the change, with the event's data under `event`. */
  after: Facts;
  /** The record before the change; null when the event has none (created, a form, a schedule). */
  before: Facts | null;
}

export interface ConditionResult {
  field: string;
  op: Condition["op"];
  value?: unknown;
  /** The field's value after (and before, for the change operators), as compared. */
  actual: unknown;
  before?: unknown;
  matched: boolean;
}

export interface GroupResult {
  mode: "all" | "any";
  matched: boolean;
  members: (ConditionResult | GroupResult)[];
}

/** A dotted path into nested objects; JSON text (a stored custom column) is read as the object it holds. */
export function valueAt(facts: Facts | null, path: string): unknown {
  let current: unknown = facts;
  for (const key of path.split(".")) {
    if (typeof current === "string" && current.startsWith("{")) current = parseJson(current);
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isSet(value: unknown): boolean {
  if (value === undefined || value === null || value === "") return false;
  return !(Array.isArray(value) && value.length === 0);
}

const norm = (value: unknown) => (typeof value === "string" ? value.trim().toLowerCase() : value);

/** Equality as a person means it: text without regard to case, a number equal to its text, a list holding it. */
function same(actual: unknown, expected: Scalar): boolean {
  if (Array.isArray(actual)) return actual.some((item) => same(item, expected));
  if (actual === undefined) return expected === null;
  if (typeof expected === "number" && typeof actual === "string" && actual.trim() !== "")
    return Number(actual) === expected;
  if (typeof actual === "number" && typeof expected === "string" && expected.trim() !== "")
    return actual === Number(expected);
  if (typeof expected === "boolean" && typeof actual === "number") return (actual === 1) === expected;
  return norm(actual) === norm(expected);
}

/** Numbers compare as numbers, YYYY-MM-DD dates (and other text) as text; anything else does not compare. */
function compare(actual: unknown, expected: Scalar): number | null {
  if (typeof actual === "number" && typeof expected === "number") return actual - expected;
  const a =
    typeof actual === "string" && actual.trim() !== "" && !Number.isNaN(Number(actual))
      ? Number(actual)
      : actual;
  if (typeof a === "number" && typeof expected === "number") return a - expected;
  if (typeof actual === "string" && typeof expected === "string")
    return actual < expected ? -1 : actual > expected ? 1 : 0;
  return null;
}

function contains(actual: unknown, expected: Scalar): boolean {
  if (Array.isArray(actual)) return actual.some((item) => same(item, expected));
  if (typeof actual === "string" && expected !== null)
    return actual.toLowerCase().includes(String(expected).toLowerCase());
  return false;
}

function changed(before: unknown, after: unknown): boolean {
  return JSON.stringify(before ?? null) !== JSON.stringify(after ?? null);
}

export function evaluateCondition(condition: Condition, facts: FactsPair): ConditionResult {
  const actual = valueAt(facts.after, condition.field);
  const previous = facts.before === null ? undefined : valueAt(facts.before, condition.field);
  const value = condition.value;
  const one = (Array.isArray(value) ? null : (value ?? null)) as Scalar;
  const list = (Array.isArray(value) ? value : []) as Scalar[];
  const order = compare(actual, one);
  let matched: boolean;
  switch (condition.op) {
    case "equals":
      matched = same(actual, one);
      break;
    case "not_equals":
      matched = !same(actual, one);
      break;
    case "in":
      matched = list.some((v) => same(actual, v));
      break;
    case "not_in":
      matched = !list.some((v) => same(actual, v));
      break;
    case "contains":
      matched = contains(actual, one);
      break;
    case "gt":
      matched = order !== null && order > 0;
      break;
    case "gte":
      matched = order !== null && order >= 0;
      break;
    case "lt":
      matched = order !== null && order < 0;
      break;
    case "lte":
      matched = order !== null && order <= 0;
      break;
    case "is_set":
      matched = isSet(actual);
      break;
    case "is_not_set":
      matched = !isSet(actual);
      break;
    case "changed":
      matched = facts.before !== null && changed(previous, actual);
      break;
    case "changed_from":
      matched = facts.before !== null && changed(previous, actual) && same(previous, one);
      break;
    case "changed_to":
      matched = facts.before !== null && changed(previous, actual) && same(actual, one);
      break;
  }
  return {
    field: condition.field,
    op: condition.op,
    ...(value === undefined ? {} : { value }),
    actual: actual ?? null,
    ...(facts.before === null || !condition.op.startsWith("changed") ? {} : { before: previous ?? null }),
    matched,
  };
}

export function evaluateGroup(group: ConditionGroup, facts: FactsPair): GroupResult {
  const [mode, list] = groupMembers(group);
  const members = list.map((member) =>
    "field" in member ? evaluateCondition(member, facts) : evaluateGroup(member, facts),
  );
  const matched = mode === "all" ? members.every((m) => m.matched) : members.some((m) => m.matched);
  return { mode, matched, members };
}

/** Whether the conditions hold (no conditions: always), with the detail of each. */
export function conditionsHold(group: ConditionGroup | undefined, facts: FactsPair): GroupResult {
  return group ? evaluateGroup(group, facts) : { mode: "all", matched: true, members: [] };
}
