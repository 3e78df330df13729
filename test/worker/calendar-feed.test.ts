// The calendar feed: a secret URL per user that Google, Apple and Outlook can subscribe to, parsed here by
// ical.js; regenerating the secret ends the old URL; the feed is read in one round trip.
import ICAL from "ical.js";
import { beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../db/ids.ts";
import { activities, calendarFeeds, tasks } from "../../db/schema/index.ts";
import { createUser, sessionFor, type TestUser } from "./factories.ts";
import { useTestDatabase } from "./support.ts";

const t = useTestDatabase();
const HOUR = 3_600_000;
// Whole seconds (iCalendar has no milliseconds), around now: the feed shows recent and coming meetings.
const BASE = Math.floor(Date.now() / HOUR) * HOUR;
const DUE = BASE + 26 * HOUR + 30 * 60_000;
const MEETING = BASE + 50 * HOUR;
const longTitle = `Gọi lại cho anh Nguyễn; báo giá, hợp đồng \\ ${"rất dài ".repeat(12)}`.trim();

let rep: TestUser;
let other: TestUser;
let headers: Record<string, string>;

beforeAll(async () => {
  rep = await createUser(t.db, { role: "rep", name: "Rep, Calendar" });
  other = await createUser(t.db, { role: "rep" });
  headers = (await sessionFor(t.db, rep)).headers;
  const now = Date.now();
  await t.db.insert(tasks).values([
    {
      id: newId(),
      title: longTitle,
      notes: "Line one\nLine two",
      dueAt: DUE,
      ownerId: rep.id,
      createdAt: now,
      updatedAt: now,
    },
    {
      id: newId(),
      title: "Done already",
      status: "done",
      dueAt: DUE,
      ownerId: rep.id,
      createdAt: now,
      updatedAt: now,
    },
    { id: newId(), title: "No due date", ownerId: rep.id, createdAt: now, updatedAt: now },
    { id: newId(), title: "Someone else's", dueAt: DUE, ownerId: other.id, createdAt: now, updatedAt: now },
  ]);
  await t.db.insert(activities).values({
    id: newId(),
    type: "meeting",
    occurredAt: MEETING,
    actorUserId: rep.id,
    subject: "Demo with ACME",
    metadata: JSON.stringify({ startsAt: MEETING, endsAt: MEETING + HOUR, location: "Hà Nội, tầng 3" }),
    createdAt: Date.now(),
  });
});

async function newFeedUrl(): Promise<string> {
  const response = await t.fetch("/api/v1/calendar/feed", { method: "POST", headers });
  expect(response.status).toBe(201);
  return ((await response.json()) as { url: string }).url;
}

describe("calendar feed", () => {
  it("serves a feed that ical.js parses, with the user's open dated tasks and meetings", async () => {
    const url = await newFeedUrl();
    expect(url).toMatch(/^http:\/\/crm\.test\/cal\/[A-Za-z0-9_-]{43}\.ics$/);
    let response: Response | undefined;
    const trips = await t.roundTrips(async () => {
      response = await t.fetch(new URL(url).pathname);
    });
    expect(trips).toBe(1);
    expect(response?.status).toBe(200);
    expect(response?.headers.get("content-type")).toContain("text/calendar");
    const text = (await response?.text()) ?? "";
    // RFC 5545: CRLF line ends, no line above 75 octets.
    for (const line of text.split("\r\n"))
      expect(new TextEncoder().encode(line).length).toBeLessThanOrEqual(75);

    const calendar = new ICAL.Component(ICAL.parse(text));
    const events = calendar.getAllSubcomponents("vevent").map((c) => new ICAL.Event(c));
    expect(events).toHaveLength(2);
    const task = events.find((e) => e.summary.startsWith("Task:"));
    expect(task?.summary).toBe(`Task: ${longTitle}`);
    expect(task?.description).toBe("Line one\nLine two");
    expect(task?.startDate.toJSDate().getTime()).toBe(DUE);
    expect(task?.startDate.zone?.tzid).toBe("UTC");
    const meeting = events.find((e) => e.summary === "Demo with ACME");
    expect(meeting?.location).toBe("Hà Nội, tầng 3");
    expect(meeting?.startDate.toJSDate().getTime()).toBe(MEETING);
    expect(meeting?.endDate.toJSDate().getTime()).toBe(MEETING + HOUR);
    for (const event of events) {
      expect(event.uid).toMatch(/@crm\.test$/);
      expect(event.component.getFirstPropertyValue("dtstamp")).toBeTruthy();
    }
  });

  it("stops serving the old URL once the secret is regenerated, and keeps only a hash", async () => {
    const old = await newFeedUrl();
    const fresh = await newFeedUrl();
    expect(fresh).not.toBe(old);
    expect((await t.fetch(new URL(old).pathname)).status).toBe(404);
    expect((await t.fetch(new URL(fresh).pathname)).status).toBe(200);
    const rows = await t.db.select().from(calendarFeeds);
    const secret = /cal\/(.+)\.ics$/.exec(fresh)?.[1] ?? "";
    expect(JSON.stringify(rows)).not.toContain(secret);
    const status = await t.fetch("/api/v1/calendar/feed", { headers });
    expect(await status.json()).toMatchObject({ active: true });
  });

  it("answers 404 for unknown or malformed secrets, and after the feed is turned off", async () => {
    expect((await t.fetch("/cal/not-a-secret.ics")).status).toBe(404);
    const url = await newFeedUrl();
    const off = await t.fetch("/api/v1/calendar/feed", { method: "DELETE", headers });
    expect(off.status).toBe(204);
    expect((await t.fetch(new URL(url).pathname)).status).toBe(404);
  });
});
