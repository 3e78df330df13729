// When a sequence step or its task is due: business days on the owner's own calendar, 09:00 for steps and
// 17:00 for tasks in their local time, across weekends and daylight-saving changes.
import { describe, expect, it } from "vitest";
import { enrolmentZone, stepDueAt, taskDueAt } from "../../queues/sequences/schedule.ts";

const utc = (iso: string) => Date.parse(`${iso}Z`);

describe("stepDueAt", () => {
  it("runs a step without delay at once, whatever the day or hour", () => {
    const saturdayNight = utc("2026-01-10T23:30:00");
    expect(stepDueAt(saturdayNight, 0, "Asia/Ho_Chi_Minh")).toBe(saturdayNight);
  });

  it("skips the weekend: from Friday, Saturday or Sunday, one business day is Monday 09:00 local", () => {
    for (const base of ["2026-01-09T12:00:00", "2026-01-10T12:00:00", "2026-01-11T12:00:00"]) {
      expect(stepDueAt(utc(base), 1, "UTC")).toBe(utc("2026-01-12T09:00:00"));
    }
    // Two business days from Friday: Tuesday; five: the next Friday.
    expect(stepDueAt(utc("2026-01-09T12:00:00"), 2, "UTC")).toBe(utc("2026-01-13T09:00:00"));
    expect(stepDueAt(utc("2026-01-09T12:00:00"), 5, "UTC")).toBe(utc("2026-01-16T09:00:00"));
  });

  it("counts on the owner's calendar: UTC+7 and UTC−5", () => {
    // Friday 23:30 UTC is already Saturday in Ho Chi Minh City: Monday 09:00 there is 02:00 UTC.
    expect(stepDueAt(utc("2026-01-09T23:30:00"), 1, "Asia/Ho_Chi_Minh")).toBe(utc("2026-01-12T02:00:00"));
    // Saturday 03:00 UTC is still Friday evening in New York: one business day is Monday 09:00 EST.
    expect(stepDueAt(utc("2026-01-10T03:00:00"), 1, "America/New_York")).toBe(utc("2026-01-12T14:00:00"));
    expect(stepDueAt(utc("2026-01-10T03:00:00"), 1, "America/Bogota")).toBe(utc("2026-01-12T14:00:00"));
  });

  it("keeps 09:00 local across a daylight-saving change", () => {
    // New York moves to EDT (UTC−4) on Sunday 8 March 2026: Monday 09:00 is 13:00 UTC, Friday's was 14:00.
    expect(stepDueAt(utc("2026-03-05T15:00:00"), 1, "America/New_York")).toBe(utc("2026-03-06T14:00:00"));
    expect(stepDueAt(utc("2026-03-06T15:00:00"), 1, "America/New_York")).toBe(utc("2026-03-09T13:00:00"));
  });

  it("falls back to UTC for a zone the runtime does not know", () => {
    expect(stepDueAt(utc("2026-01-09T12:00:00"), 1, "Mars/Olympus")).toBe(utc("2026-01-12T09:00:00"));
  });
});

describe("taskDueAt", () => {
  it("is due at 17:00 local: the same business day before then, else the next one", () => {
    expect(taskDueAt(utc("2026-01-12T02:00:00"), 0, "Asia/Ho_Chi_Minh")).toBe(utc("2026-01-12T10:00:00"));
    expect(taskDueAt(utc("2026-01-12T11:00:00"), 0, "Asia/Ho_Chi_Minh")).toBe(utc("2026-01-13T10:00:00"));
    expect(taskDueAt(utc("2026-01-10T11:00:00"), 0, "UTC")).toBe(utc("2026-01-12T17:00:00"));
    expect(taskDueAt(utc("2026-01-09T09:00:00"), 1, "UTC")).toBe(utc("2026-01-12T17:00:00"));
  });
});

describe("enrolmentZone", () => {
  it("takes the owner's zone, else the organisation's setting (JSON text), else UTC", () => {
    // The runtime's canonical spelling of the zone, which may be its older name.
    expect(enrolmentZone("Asia/Ho_Chi_Minh", JSON.stringify("Asia/Tokyo"))).toMatch(
      /^Asia\/(Ho_Chi_Minh|Saigon)$/,
    );
    expect(enrolmentZone(null, JSON.stringify("Asia/Tokyo"))).toBe("Asia/Tokyo");
    expect(enrolmentZone(null, null)).toBe("UTC");
    expect(enrolmentZone(null, "not json")).toBe("UTC");
  });
});
