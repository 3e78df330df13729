// Speed-to-lead: a new lead's clock gets its deadline in the owner's business time; a person's first call,
// email, meeting or note stops it; a breach notifies the owner and escalates to the team's manager once, even
// when the cron fires twice or two runs overlap; a rule may reassign through the assignment engine.
import { and, eq, inArray } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../db/ids.ts";
import {
  activities,
  contacts,
  notifications,
  outbox,
  slaBreaches,
  slaClocks,
  slaRepStats,
  users,
} from "../../db/schema/index.ts";
import type { QueueMessage } from "../../queues/message.ts";
import { findBreaches } from "../../queues/sla/breaches.ts";
import { startClock } from "../../queues/sla/clock.ts";
import { slaBreaches as slaJob } from "../../queues/sla/job.ts";
import { makeLeads, servicesOf, setAvailability, setRules } from "./assignment-support.ts";
import { createTeam, createUser, sessionFor, type TestUser } from "./factories.ts";
import { useTestDatabase } from "./support.ts";

const t = useTestDatabase();
const MINUTE = 60_000;
const EVERY_MINUTE = "* * * * *";
// Friday 27 November 2026, 16:50 in Ho Chi Minh City (UTC+7).
const FRIDAY_1650_HCM = Date.UTC(2026, 10, 27, 9, 50);

let rep: TestUser;
let other: TestUser;
let manager: TestUser;
let teamId: string;

beforeAll(async () => {
  rep = await createUser(t.db, { name: "Slow rep" });
  other = await createUser(t.db, { name: "Quick rep" });
  manager = await createUser(t.db, { role: "manager", name: "Team manager" });
  teamId = await createTeam(t.db, "Inbound SLA", [
    { user: rep },
    { user: other },
    { user: manager, lead: true },
  ]);
  await setRules(t.db, "sla", {
    rules: [
      {
        id: "reassigning",
        name: "Hot leads move on",
        when: [{ field: "source", in: ["hot"] }],
        minutes: 5,
        businessHours: false,
        escalate: true,
        reassign: true,
      },
      {
        id: "business",
        name: "Office hours",
        when: [{ field: "source", in: ["office"] }],
        minutes: 15,
        businessHours: true,
        escalate: true,
        reassign: false,
      },
      {
        id: "default",
        name: "Fifteen minutes",
        when: [],
        minutes: 15,
        businessHours: false,
        escalate: true,
        reassign: false,
      },
    ],
  });
  await setRules(t.db, "assignment", {
    rules: [{ id: "team", name: "Inbound", when: [], assignTo: { type: "team", teamId, weights: {} } }],
    fallbackOwnerId: null,
  });
});

async function newLead(startedAt: number, source = "web", owner: TestUser = rep) {
  const [id] = await makeLeads(t.db, 1, { ownerId: owner.id, teamId, source });
  const contactId = id as string;
  const eventId = `form.submitted:${newId()}`;
  const started = await startClock(t.db, { eventId, contactId, formId: null, startedAt }, startedAt);
  return { contactId, clockId: eventId, started };
}

async function mail(template: string, contactId: string) {
  const rows = await t.db.select().from(outbox).where(eq(outbox.template, template));
  return rows.filter((r) => r.subject.length > 0 && r.body.includes(contactId));
}

describe("breaches", () => {
  it("notifies the owner and escalates to the manager once, however the cron fires", async () => {
    const t0 = Date.UTC(2026, 10, 23, 2, 0);
    const { contactId, clockId, started } = await newLead(t0);
    expect(started).toEqual({ status: "started", dueAt: t0 + 15 * MINUTE });

    await t.scheduled(EVERY_MINUTE, t0 + 10 * MINUTE);
    expect(await t.db.select().from(slaBreaches).where(eq(slaBreaches.clockId, clockId))).toHaveLength(0);

    // The same minute twice, and the next minute overlapping both; then a later run.
    await Promise.all([
      t.scheduled(EVERY_MINUTE, t0 + 16 * MINUTE),
      t.scheduled(EVERY_MINUTE, t0 + 16 * MINUTE),
      t.scheduled(EVERY_MINUTE, t0 + 17 * MINUTE),
    ]);
    await t.scheduled(EVERY_MINUTE, t0 + 18 * MINUTE);
    // The cron found it (before anything else looks).
    expect(await t.db.select().from(slaBreaches).where(eq(slaBreaches.clockId, clockId))).toHaveLength(1);
    expect(await mail("sla.breach.owner", contactId)).toHaveLength(1);
    // And the sweep itself run twice at once, without the cron's lease: the breach row alone holds.
    await Promise.all([findBreaches(t.db, t0 + 19 * MINUTE), findBreaches(t.db, t0 + 19 * MINUTE)]);

    expect(await t.db.select().from(slaBreaches).where(eq(slaBreaches.clockId, clockId))).toHaveLength(1);
    const owners = await mail("sla.breach.owner", contactId);
    expect(owners.map((m) => m.recipient)).toEqual([rep.email]);
    const escalations = await mail("sla.breach.escalation", contactId);
    expect(escalations.map((m) => m.recipient)).toEqual([manager.email]);
    // Both through the notification engine: one in-app notice each, which the emails belong to.
    const notices = await t.db.select().from(notifications).where(eq(notifications.contactId, contactId));
    expect(notices.map((n) => [n.userId, n.kind, n.inApp]).sort()).toEqual(
      [
        [rep.id, "sla_breach", true],
        [manager.id, "sla_breach", true],
      ].sort(),
    );
    expect([...owners, ...escalations].map((m) => m.notificationId).sort()).toEqual(
      notices.map((n) => n.id).sort(),
    );
    const timeline = await t.db
      .select()
      .from(activities)
      .where(and(eq(activities.contactId, contactId), eq(activities.type, "system")));
    expect(timeline).toHaveLength(1);
    const [stats] = await t.db.select().from(slaRepStats).where(eq(slaRepStats.userId, rep.id));
    expect(stats?.breaches).toBe(1);
  });

  it("stops the clock at a person's first call, and keeps the rep's figures", async () => {
    const t0 = Date.UTC(2026, 10, 23, 4, 0);
    const quick = await newLead(t0, "web", other);
    const late = await newLead(t0, "web", other);
    const now = Date.now();
    // A system entry does not count; a call logged by the rep does.
    await t.db.insert(activities).values([
      {
        id: newId(),
        type: "note",
        occurredAt: t0 + MINUTE,
        actorUserId: null,
        contactId: quick.contactId,
        createdAt: now,
      },
      {
        id: newId(),
        type: "call",
        occurredAt: t0 + 4 * MINUTE,
        actorUserId: other.id,
        contactId: quick.contactId,
        createdAt: now,
      },
      {
        id: newId(),
        type: "email",
        occurredAt: t0 + 30 * MINUTE,
        actorUserId: other.id,
        contactId: late.contactId,
        createdAt: now,
      },
    ]);
    await t.scheduled(EVERY_MINUTE, t0 + 60 * MINUTE);
    const clocks = await t.db
      .select()
      .from(slaClocks)
      .where(inArray(slaClocks.id, [quick.clockId, late.clockId]))
      .orderBy(slaClocks.responseMs);
    expect(clocks.map((c) => [c.responseMs, c.withinSla, c.breachedAt])).toEqual([
      [4 * MINUTE, true, null],
      [30 * MINUTE, false, null],
    ]);
    expect(await mail("sla.breach.owner", quick.contactId)).toHaveLength(0);

    const admin = await createUser(t.db, { role: "admin" });
    const response = await t.fetch("/api/v1/sla/reps", { headers: (await sessionFor(t.db, admin)).headers });
    expect(response.status).toBe(200);
    const { reps } = (await response.json()) as {
      reps: { userId: string; responses: number; shareWithinSla: number; medianResponseMs: number }[];
    };
    expect(reps.find((r) => r.userId === other.id)).toMatchObject({
      responses: 2,
      shareWithinSla: 0.5,
      medianResponseMs: 4 * MINUTE,
    });
  });

  it("reassigns through the assignment engine when the rule says so", async () => {
    const t0 = Date.UTC(2026, 10, 23, 6, 0);
    const { contactId, clockId } = await newLead(t0, "hot", rep);
    const sent: QueueMessage[] = [];
    const services = servicesOf(t);
    const events = {
      send: async (body: QueueMessage) => void sent.push(body),
      sendBatch: async (batch: { body: QueueMessage }[]) => void sent.push(...batch.map((m) => m.body)),
    } as unknown as typeof services.queues.events;
    await slaJob.run({ ...services, queues: { ...services.queues, events } }, t0 + 6 * MINUTE);
    expect(sent.map((m) => m.id)).toEqual([`sla.breached:${clockId}`]);
    // Delivered twice: reassigned once, never back to the rep who breached.
    const result = await t.queue("crm-events", [...sent, ...sent]);
    expect(result.explicitAcks).toHaveLength(2);
    const [row] = await t.db.select().from(contacts).where(eq(contacts.id, contactId));
    expect(row?.ownerId).toBe(other.id);
    const changes = await t.db
      .select()
      .from(activities)
      .where(and(eq(activities.contactId, contactId), eq(activities.type, "owner_change")));
    expect(changes.map((c) => JSON.parse(c.metadata))).toEqual([
      expect.objectContaining({ from: rep.id, to: other.id, reason: "sla_breach" }),
    ]);
  });
});

describe("deadlines", () => {
  it("counts the owner's working hours in their own time zone", async () => {
    await t.db.update(users).set({ timeZone: "Asia/Ho_Chi_Minh" }).where(eq(users.id, rep.id));
    await setAvailability(t.db, rep.id, {
      workingHours: Object.fromEntries(
        ["mon", "tue", "wed", "thu", "fri"].map((d) => [d, [{ start: "09:00", end: "17:00" }]]),
      ) as never,
    });
    const { started } = await newLead(FRIDAY_1650_HCM, "office", rep);
    // 10 minutes on Friday, then 5 from Monday 09:00 local (02:00 UTC).
    expect(started.dueAt).toBe(Date.UTC(2026, 10, 30, 2, 5));
  });

  it("starts one clock per waiting lead, and none for a lead someone already answered", async () => {
    const t0 = Date.UTC(2026, 10, 23, 8, 0);
    const first = await newLead(t0);
    const again = await startClock(t.db, {
      eventId: `e:${newId()}`,
      contactId: first.contactId,
      formId: null,
      startedAt: t0 + MINUTE,
    });
    expect(again.status).toBe("exists");
    await t.db.insert(activities).values({
      id: newId(),
      type: "meeting",
      occurredAt: t0 + 2 * MINUTE,
      actorUserId: rep.id,
      contactId: first.contactId,
      createdAt: Date.now(),
    });
    const later = await startClock(t.db, {
      eventId: `e:${newId()}`,
      contactId: first.contactId,
      formId: null,
      startedAt: t0 + 3 * MINUTE,
    });
    expect(later.status).toBe("exists");
  });
});
