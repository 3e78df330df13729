// The path language of inbound mappings, and a mapping applied to a payload: what each spelling reads, what a
// bad path says, and how events, types, ids, times and values come out.
import { describe, expect, it } from "vitest";
import { applyMapping, MappingSchema, toEpochMs } from "../../queues/webhooks-in/mapping.ts";
import { pathProblem, readPath } from "../../queues/webhooks-in/paths.ts";

const payload = {
  data: { to: ["a@example.vn"], "odd/key": { "~x": 1 } },
  field_data: [
    { name: "email", values: ["b@example.vn"] },
    { name: "full name", values: ["Bình"] },
  ],
  answers: [{ type: "text", text: "An", field: { ref: "first_name" } }],
  list: [10, 20],
};

describe("paths", () => {
  it.each([
    ["data.to[0]", "a@example.vn"],
    ["data.to.0", "a@example.vn"],
    ["field_data[name=email].values[0]", "b@example.vn"],
    ['field_data[name="full name"].values[0]', "Bình"],
    ["answers[field.ref=first_name].text", "An"],
    ["list[1]", 20],
    ["list[2]", undefined],
    ["data.missing.deeper", undefined],
    ["/data/to/0", "a@example.vn"],
    ["/data/odd~1key/~0x", 1],
    ["$.list[0]", 10],
  ])("%s reads %j", (path, expected) => {
    expect(readPath(path, payload)).toEqual(expected);
  });

  it("reads $ paths from the delivery's root, others from the event", () => {
    expect(readPath("$.campaign", { email: "x" }, { campaign: "spring" })).toBe("spring");
    expect(readPath("email", { email: "x" }, { email: "root" })).toBe("x");
  });

  it.each([
    ["", /not empty/],
    ["a..b", /empty part/],
    ["a.", /ends with a dot/],
    ["a[", /not closed/],
    ["a[=x]", /neither an index/],
    ['a[b="x]', /not closed|unclosed/],
    ["x".repeat(301), /at most 300/],
  ])("says what is wrong with %j", (path, message) => {
    expect(pathProblem(path)).toMatch(message);
  });
});

describe("applying a mapping", () => {
  const mapping = MappingSchema.parse({
    events: "items",
    eventType: "kind",
    eventId: "id",
    occurredAt: "at",
    fields: { "contact.email": "who.email", "utm.campaign": "$.campaign", "contact.custom.tags": "tags" },
    rules: [
      { on: ["open"], actions: [{ type: "record_engagement", kind: "email_opened" }] },
      { actions: [{ type: "log_activity" }] },
    ],
  });

  it("reads each event's type, id, time and values, and the rule that applies", () => {
    const planned = applyMapping(
      mapping,
      {
        campaign: "spring",
        items: [
          { kind: "open", id: "e1", at: 1_700_000_000, who: { email: "x@example.vn" }, tags: ["a", "b"] },
          { kind: "other", at: "2025-03-03T10:04:12+0000", who: { email: ["y@example.vn"] } },
        ],
      },
      { deliveryId: "d1", receivedAt: 1_800_000_000_000 },
    );
    if (!("events" in planned)) throw new Error(planned.error);
    expect(planned.events).toMatchObject([
      {
        index: 0,
        type: "open",
        eventId: "e1",
        occurredAt: 1_700_000_000_000,
        values: {
          "contact.email": "x@example.vn",
          "utm.campaign": "spring",
          "contact.custom.tags": ["a", "b"],
        },
        actions: [{ type: "record_engagement", kind: "email_opened" }],
      },
      {
        index: 1,
        type: "other",
        eventId: "d1#1",
        occurredAt: Date.parse("2025-03-03T10:04:12Z"),
        values: { "contact.email": "y@example.vn" },
        actions: [{ type: "log_activity" }],
      },
    ]);
  });

  it("says why a payload cannot be read with the mapping", () => {
    expect(applyMapping(mapping, { items: "no" }, { deliveryId: "d", receivedAt: 0 })).toEqual({
      error: "The payload has no list of events at items.",
    });
    const many = { items: Array.from({ length: 101 }, () => ({})) };
    expect(applyMapping(mapping, many, { deliveryId: "d", receivedAt: 0 })).toMatchObject({
      error: expect.stringMatching(/at most 100/),
    });
  });

  it("reads times as ISO 8601, epoch seconds or milliseconds", () => {
    expect(toEpochMs("1700000000")).toBe(1_700_000_000_000);
    expect(toEpochMs(1_700_000_000_123)).toBe(1_700_000_000_123);
    expect(toEpochMs("2025-01-02T03:04:05Z")).toBe(Date.parse("2025-01-02T03:04:05Z"));
    expect(toEpochMs("yesterday")).toBeNull();
  });
});
