// Assignment rules: first match in order, a user or a team, the fallback owner; team members who are inactive,
// out of office, outside their working hours in their own time zone or at capacity are skipped; a form's lead
// keeps an owner a person chose, and replaces only the form's default owner.
import { eq, inArray } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../db/ids.ts";
import {
  activities,
  companies,
  contacts,
  deals,
  forms,
  notifications,
  outbox,
  users,
} from "../../db/schema/index.ts";
import { addWorkingMinutes, withinWorkingHours } from "../../queues/assignment/availability.ts";
import { assignLead } from "../../queues/assignment/engine.ts";
import { makeLeads, ownersOf, setAvailability, setRules } from "./assignment-support.ts";
import { createTeam, createUser, type TestUser } from "./factories.ts";
import { useTestDatabase } from "./support.ts";

const t = useTestDatabase();
// Monday 23 November 2026, 03:00 UTC: 10:00 in Ho Chi Minh City, 22:00 on Sunday in New York.
const MONDAY_0300_UTC = Date.UTC(2026, 10, 23, 3, 0);
const WEEKDAYS_9_TO_5 = Object.fromEntries(
  ["mon", "tue", "wed", "thu", "fri"].map((d) => [d, [{ start: "09:00", end: "17:00" }]]),
) as never;

async function withZone(user: TestUser, timeZone: string) {
  await t.db.update(users).set({ timeZone }).where(eq(users.id, user.id));
}

function lead(contactId: string, formId: string | null = null) {
  return { eventId: `test:${newId()}`, contactId, formId, reason: "form" as const };
}

describe("availability and capacity", () => {
  let available: TestUser[];
  let skipped: Record<string, TestUser>;
  let teamId: string;

  beforeAll(async () => {
    available = [await createUser(t.db, { name: "Here 1" }), await createUser(t.db, { name: "Here 2" })];
    skipped = {
      inactive: await createUser(t.db, { name: "Gone", active: false }),
      outOfOffice: await createUser(t.db, { name: "Holiday" }),
      offHours: await createUser(t.db, { name: "Asleep in New York" }),
      atCapacity: await createUser(t.db, { name: "Full" }),
    };
    for (const user of [...available, ...Object.values(skipped)]) await withZone(user, "Asia/Ho_Chi_Minh");
    await withZone(skipped.offHours as TestUser, "America/New_York");
    for (const user of [...available, skipped.offHours as TestUser]) {
      await setAvailability(t.db, user.id, { workingHours: WEEKDAYS_9_TO_5 });
    }
    await setAvailability(t.db, (skipped.outOfOffice as TestUser).id, {
      outOfOffice: [{ from: MONDAY_0300_UTC - 3_600_000, to: MONDAY_0300_UTC + 3_600_000 }],
    });
    await setAvailability(t.db, (skipped.atCapacity as TestUser).id, { maxOpenLeads: 1 });
    await makeLeads(t.db, 1, { ownerId: (skipped.atCapacity as TestUser).id, leadStatus: "new" });
    teamId = await createTeam(
      t.db,
      "Mixed",
      [...available, ...Object.values(skipped)].map((user) => ({ user })),
    );
    await setRules(t.db, "assignment", {
      rules: [{ id: "team", name: "Mixed team", when: [], assignTo: { type: "team", teamId, weights: {} } }],
      fallbackOwnerId: null,
    });
  });

  it("knows working hours in the user's own time zone", () => {
    expect(withinWorkingHours(MONDAY_0300_UTC, WEEKDAYS_9_TO_5, "Asia/Ho_Chi_Minh")).toBe(true);
    expect(withinWorkingHours(MONDAY_0300_UTC, WEEKDAYS_9_TO_5, "America/New_York")).toBe(false);
  });

  it("skips inactive, out-of-office, off-hours and full members", async () => {
    const ids = await makeLeads(t.db, 6);
    for (const id of ids) await assignLead(t.db, lead(id), MONDAY_0300_UTC);
    const owners = await ownersOf(t.db, ids);
    expect(owners.get(available[0]?.id ?? "")).toBe(3);
    expect(owners.get(available[1]?.id ?? "")).toBe(3);
  });

  it("lets a member back in once they are available again (an hour later, back from holiday)", async () => {
    const ids = await makeLeads(t.db, 3);
    for (const id of ids) await assignLead(t.db, lead(id), MONDAY_0300_UTC + 2 * 3_600_000);
    expect((await ownersOf(t.db, ids)).get((skipped.outOfOffice as TestUser).id)).toBeGreaterThanOrEqual(1);
  });

  it("counts capacity at the pick: a member fills up and is then skipped", async () => {
    const capped = await createUser(t.db, { name: "Two at most" });
    await setAvailability(t.db, capped.id, { maxOpenLeads: 2 });
    const solo = await createTeam(t.db, "Capped", [{ user: capped }]);
    const fallback = await createUser(t.db, { name: "Fallback" });
    await setRules(t.db, "assignment", {
      rules: [
        { id: "capped", name: "Capped", when: [], assignTo: { type: "team", teamId: solo, weights: {} } },
      ],
      fallbackOwnerId: fallback.id,
    });
    const ids = await makeLeads(t.db, 4);
    await Promise.all(ids.map((id) => assignLead(t.db, lead(id), MONDAY_0300_UTC)));
    const owners = await ownersOf(t.db, ids);
    expect(owners.get(capped.id)).toBe(2);
    expect(owners.get(fallback.id)).toBe(2);
  });
});

describe("rules", () => {
  let vn: TestUser;
  let software: TestUser;
  let fallback: TestUser;

  beforeAll(async () => {
    vn = await createUser(t.db, { name: "Vietnam desk" });
    software = await createUser(t.db, { name: "Software desk" });
    fallback = await createUser(t.db, { name: "Fallback desk" });
    await setRules(t.db, "assignment", {
      rules: [
        {
          id: "vn",
          name: "Vietnam",
          when: [{ field: "country", in: ["VN"] }],
          assignTo: { type: "user", userId: vn.id },
        },
        {
          id: "software",
          name: "Software, big",
          when: [
            { field: "industry", in: ["software"] },
            { field: "companySize", gte: 50 },
          ],
          assignTo: { type: "user", userId: software.id },
        },
      ],
      fallbackOwnerId: fallback.id,
    });
  });

  async function leadAt(company: { country?: string; industry?: string; size?: string }) {
    const companyId = newId();
    const now = Date.now();
    await t.db
      .insert(companies)
      .values({ id: companyId, name: "Co", createdAt: now, updatedAt: now, ...company });
    const [id] = await makeLeads(t.db, 1, { companyId });
    return id as string;
  }

  it("takes the first rule that matches, in order", async () => {
    // Matches both rules: the first one wins.
    const both = await leadAt({ country: "vn", industry: "Software", size: "51-200" });
    const second = await leadAt({ country: "DE", industry: "software", size: "51-200" });
    const small = await leadAt({ country: "DE", industry: "software", size: "11-50" });
    for (const id of [both, second, small]) await assignLead(t.db, lead(id));
    const owner = async (id: string) =>
      (await t.db.select({ o: contacts.ownerId }).from(contacts).where(eq(contacts.id, id)))[0]?.o;
    expect(await owner(both)).toBe(vn.id);
    expect(await owner(second)).toBe(software.id);
    expect(await owner(small)).toBe(fallback.id);
  });

  it("writes an owner_change entry and notifies the new owner, once", async () => {
    const id = await leadAt({ country: "VN" });
    const request = lead(id);
    expect(await assignLead(t.db, request)).toMatchObject({
      status: "assigned",
      userId: vn.id,
      ruleId: "vn",
    });
    expect(await assignLead(t.db, request)).toEqual({ status: "already" });
    const timeline = await t.db.select().from(activities).where(eq(activities.contactId, id));
    expect(timeline.map((a) => [a.type, a.actorUserId])).toEqual([["owner_change", null]]);
    expect(JSON.parse(timeline[0]?.metadata ?? "{}")).toMatchObject({ from: null, to: vn.id, ruleId: "vn" });
    // Through the notification engine: one in-app notification, and its email (a default channel).
    const notices = await t.db.select().from(notifications).where(eq(notifications.contactId, id));
    expect(notices.map((n) => [n.userId, n.kind, n.inApp, n.link])).toEqual([
      [vn.id, "lead_assigned", true, `/contacts/${id}`],
    ]);
    expect(notices[0]?.title).toContain("New lead assigned to you");
    const mail = await t.db.select().from(outbox).where(eq(outbox.recipient, vn.email));
    expect(
      mail.filter((m) => m.body.includes(id)).map((m) => [m.kind, m.template, m.notificationId]),
    ).toEqual([["lead_assigned", "assignment.owner", notices[0]?.id]]);
  });

  it("replaces only the form's default owner, never an owner a person chose", async () => {
    const formOwner = await createUser(t.db, { name: "Form default" });
    const chosen = await createUser(t.db, { name: "Chosen by a person" });
    const formId = newId();
    const now = Date.now();
    await t.db.insert(forms).values({
      id: formId,
      name: "F",
      definition: "{}",
      defaultOwnerId: formOwner.id,
      createdAt: now,
      updatedAt: now,
    });
    const [byForm] = await makeLeads(t.db, 1, { ownerId: formOwner.id });
    const [byPerson] = await makeLeads(t.db, 1, { ownerId: chosen.id });
    expect(await assignLead(t.db, lead(byForm as string, formId))).toMatchObject({
      status: "assigned",
      userId: fallback.id,
    });
    expect(await assignLead(t.db, lead(byPerson as string, formId))).toEqual({ status: "skipped" });
    // Once assigned, a later submission through the same form leaves the owner alone even if it is the default.
    await t.db
      .update(contacts)
      .set({ ownerId: formOwner.id })
      .where(eq(contacts.id, byForm as string));
    const again = await assignLead(t.db, lead(byForm as string, formId));
    expect(again.status === "skipped" || again.status === "unchanged").toBe(true);
    const rows = await t.db
      .select()
      .from(contacts)
      .where(inArray(contacts.id, [byForm as string, byPerson as string]));
    expect(rows.map((r) => r.ownerId).sort()).toEqual([formOwner.id, chosen.id].sort());
  });
});

describe("the form's deal", () => {
  it("moves with its contact to the new owner", async () => {
    const formOwner = await createUser(t.db, { name: "Deal default" });
    const [contactId] = await makeLeads(t.db, 1, { ownerId: formOwner.id });
    const dealId = newId();
    const now = Date.now();
    await t.db.insert(deals).values({
      id: dealId,
      name: "From the form",
      currency: "VND",
      pipelineId: "01900000-0000-7000-8000-000000000001",
      stageId: "01900000-0000-7000-8000-000000000011",
      stageEnteredAt: now,
      ownerId: formOwner.id,
      createdAt: now,
      updatedAt: now,
    });
    const formId = newId();
    await t.db.insert(forms).values({
      id: formId,
      name: "Deal form",
      definition: "{}",
      defaultOwnerId: formOwner.id,
      createdAt: now,
      updatedAt: now,
    });
    const outcome = await assignLead(t.db, { ...lead(contactId as string, formId), dealId });
    expect(outcome.status).toBe("assigned");
    const [deal] = await t.db.select().from(deals).where(eq(deals.id, dealId));
    expect(deal?.ownerId).toBe(outcome.status === "assigned" ? outcome.userId : "");
    expect(deal?.ownerId).not.toBe(formOwner.id);
  });
});

describe("business time", () => {
  it("counts only working minutes, in the owner's zone, across the night and the weekend", () => {
    const zone = "Asia/Ho_Chi_Minh"; // UTC+7
    // Friday 27 Nov 2026 16:50 local = 09:50 UTC; 15 working minutes: 10 on Friday, 5 on Monday from 09:00.
    const friday = Date.UTC(2026, 10, 27, 9, 50);
    expect(addWorkingMinutes(friday, 15, WEEKDAYS_9_TO_5, zone)).toBe(Date.UTC(2026, 10, 30, 2, 5));
    // Within hours: plain addition. With no working hours: wall clock.
    expect(addWorkingMinutes(MONDAY_0300_UTC, 15, WEEKDAYS_9_TO_5, zone)).toBe(MONDAY_0300_UTC + 15 * 60_000);
    expect(addWorkingMinutes(friday, 15, null, zone)).toBe(friday + 15 * 60_000);
    // Across a daylight-saving change (New York, 8 March 2026): Saturday 12:00 → Monday 09:15 EDT (13:15 UTC).
    expect(addWorkingMinutes(Date.UTC(2026, 2, 7, 17, 0), 15, WEEKDAYS_9_TO_5, "America/New_York")).toBe(
      Date.UTC(2026, 2, 9, 13, 15),
    );
  });
});
