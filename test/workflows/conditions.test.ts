// Each condition operator as a person means it: text without regard to case, numbers and their text alike,
// lists by their members, YYYY-MM-DD dates in order, and the change operators against the event's before;
// all/any groups nested, with the verdict of each member kept for the dry run.
import { describe, expect, it } from "vitest";
import { conditionsHold, evaluateCondition, valueAt } from "../../queues/workflows/conditions.ts";
import type { Condition, ConditionGroup } from "../../queues/workflows/definition.ts";

const after = {
  name: "Nguyễn Văn An",
  amount: 1500,
  score: "42",
  closeDate: "2031-03-20",
  tags: ["vip", "Hanoi"],
  stageId: "negotiation",
  empty: "",
  none: null,
  custom: { region: "north", seats: 20 },
  event: { formId: "f1", payload: { plan: "pro" } },
};
const before = { ...after, stageId: "proposal", amount: 1500 };
const facts = { after, before };
const holds = (condition: Condition, pair: { after: typeof after; before: typeof before | null } = facts) =>
  evaluateCondition(condition, pair).matched;

describe("operators", () => {
  it("equals and not_equals: case-insensitive text, numbers against their text, members of lists", () => {
    expect(holds({ field: "name", op: "equals", value: "nguyễn văn an" })).toBe(true);
    expect(holds({ field: "score", op: "equals", value: 42 })).toBe(true);
    expect(holds({ field: "amount", op: "equals", value: "1500" })).toBe(true);
    expect(holds({ field: "tags", op: "equals", value: "hanoi" })).toBe(true);
    expect(holds({ field: "name", op: "not_equals", value: "An" })).toBe(true);
    expect(holds({ field: "missing", op: "equals", value: null })).toBe(true);
  });

  it("in and not_in", () => {
    expect(holds({ field: "custom.region", op: "in", value: ["South", "North"] })).toBe(true);
    expect(holds({ field: "custom.region", op: "not_in", value: ["south"] })).toBe(true);
    expect(holds({ field: "custom.region", op: "in", value: ["south"] })).toBe(false);
  });

  it("contains: text in text, a value in a list", () => {
    expect(holds({ field: "name", op: "contains", value: "văn" })).toBe(true);
    expect(holds({ field: "tags", op: "contains", value: "VIP" })).toBe(true);
    expect(holds({ field: "tags", op: "contains", value: "hcm" })).toBe(false);
    expect(holds({ field: "amount", op: "contains", value: "15" })).toBe(false);
  });

  it("gt, gte, lt, lte: numbers (and numeric text), dates as text; nothing compares with a missing value", () => {
    expect(holds({ field: "amount", op: "gt", value: 1000 })).toBe(true);
    expect(holds({ field: "amount", op: "gte", value: 1500 })).toBe(true);
    expect(holds({ field: "score", op: "lt", value: 50 })).toBe(true);
    expect(holds({ field: "custom.seats", op: "lte", value: 19 })).toBe(false);
    expect(holds({ field: "closeDate", op: "lt", value: "2031-04-01" })).toBe(true);
    expect(holds({ field: "missing", op: "lt", value: 10 })).toBe(false);
    expect(holds({ field: "missing", op: "gte", value: 0 })).toBe(false);
  });

  it("is_set and is_not_set: empty text, null and empty lists are not set", () => {
    expect(holds({ field: "name", op: "is_set" })).toBe(true);
    expect(holds({ field: "empty", op: "is_set" })).toBe(false);
    expect(holds({ field: "none", op: "is_not_set" })).toBe(true);
    expect(holds({ field: "event.payload.plan", op: "is_set" })).toBe(true);
  });

  it("changed, changed_from, changed_to compare before and after; with no before nothing changed", () => {
    expect(holds({ field: "stageId", op: "changed" })).toBe(true);
    expect(holds({ field: "amount", op: "changed" })).toBe(false);
    expect(holds({ field: "stageId", op: "changed_from", value: "Proposal" })).toBe(true);
    expect(holds({ field: "stageId", op: "changed_to", value: "negotiation" })).toBe(true);
    expect(holds({ field: "stageId", op: "changed_to", value: "proposal" })).toBe(false);
    expect(holds({ field: "stageId", op: "changed" }, { after, before: null })).toBe(false);
    expect(
      evaluateCondition({ field: "stageId", op: "changed_from", value: "proposal" }, facts),
    ).toMatchObject({
      actual: "negotiation",
      before: "proposal",
    });
  });
});

describe("groups", () => {
  it("nests all and any, and keeps each member's verdict", () => {
    const group: ConditionGroup = {
      all: [
        { field: "amount", op: "gte", value: 1000 },
        {
          any: [
            { field: "custom.region", op: "equals", value: "south" },
            { field: "tags", op: "contains", value: "vip" },
          ],
        },
      ],
    };
    const result = conditionsHold(group, facts);
    expect(result).toMatchObject({
      mode: "all",
      matched: true,
      members: [
        { matched: true },
        { mode: "any", matched: true, members: [{ matched: false }, { matched: true }] },
      ],
    });
    expect(conditionsHold({ any: [{ field: "amount", op: "lt", value: 10 }] }, facts).matched).toBe(false);
    expect(conditionsHold(undefined, facts).matched).toBe(true);
  });

  it("reads JSON text as the object it holds (a stored custom column)", () => {
    expect(valueAt({ custom: '{"budget":5}' }, "custom.budget")).toBe(5);
    expect(valueAt({ custom: "{not json" }, "custom.budget")).toBeUndefined();
  });
});
