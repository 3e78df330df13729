// The engines that came before the notification module (assignment, speed to lead) notify through it: each
// user's channel choices for a new lead and an SLA breach decide where the notice goes, the in-app notice is
// written with it, and an event delivered twice, or a notice keyed twice, notifies once.
import { and, eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../db/client.ts";
import { newId } from "../../db/ids.ts";
import {
  type NotificationChannel,
  type NotificationKind,
  notificationPreferences,
  notifications,
  notificationWebhooks,
  outbox,
} from "../../db/schema/index.ts";
import { assignLead } from "../../queues/assignment/engine.ts";
import { notifyStatements } from "../../queues/outbound/notify.ts";
import { findBreaches } from "../../queues/sla/breaches.ts";
import { startClock } from "../../queues/sla/clock.ts";
import { makeLeads, setRules } from "./assignment-support.ts";
import { createTeam, createUser, type TestUser } from "./factories.ts";
import { useTestDatabase } from "./support.ts";

const t = useTestDatabase();
const MINUTE = 60_000;

async function choose(user: TestUser, kind: NotificationKind, channels: NotificationChannel[]) {
  await t.db
    .insert(notificationPreferences)
    .values({ userId: user.id, kind, channels: JSON.stringify(channels), updatedAt: Date.now() });
}

async function webhook(owner: { userId: string } | { teamId: string }, channel: "slack" | "teams") {
  const id = newId();
  const url =
    channel === "slack"
      ? `https://hooks.slack.com/services/T0/B0/${id}`
      : `https://contoso.webhook.office.com/webhookb2/${id}`;
  await t.db.insert(notificationWebhooks).values({ id, ...owner, channel, url, createdAt: Date.now() });
  return id;
}

async function noticesFor(db: Database, contactId: string) {
  return db.select().from(notifications).where(eq(notifications.contactId, contactId));
}

async function outboxFor(db: Database, contactId: string) {
  return db.select().from(outbox).where(eq(outbox.contactId, contactId));
}

describe("a new lead assigned", () => {
  let noEmail: TestUser;
  let onSlack: TestUser;
  let slackHook: string;

  beforeAll(async () => {
    noEmail = await createUser(t.db, { name: "Rep without email" });
    onSlack = await createUser(t.db, { name: "Rep on Slack" });
    // Email off, everything else as by default.
    await choose(noEmail, "lead_assigned", ["in_app", "slack", "teams"]);
    await choose(onSlack, "lead_assigned", ["slack"]);
    slackHook = await webhook({ userId: onSlack.id }, "slack");
    await setRules(t.db, "assignment", {
      rules: [
        {
          id: "no-email",
          name: "To the rep without email",
          when: [{ field: "source", in: ["no-email"] }],
          assignTo: { type: "user", userId: noEmail.id },
        },
        {
          id: "slack",
          name: "To the rep on Slack",
          when: [{ field: "source", in: ["slack"] }],
          assignTo: { type: "user", userId: onSlack.id },
        },
      ],
      fallbackOwnerId: null,
    });
  });

  it("reaches a rep who turned email off in the app only, once when the event comes twice", async () => {
    const [contactId] = await makeLeads(t.db, 1, { source: "no-email" });
    const request = {
      eventId: `test:${newId()}`,
      contactId: contactId as string,
      formId: null,
      reason: "form" as const,
    };
    expect(await assignLead(t.db, request)).toMatchObject({ status: "assigned", userId: noEmail.id });
    expect(await assignLead(t.db, request)).toEqual({ status: "already" });

    const notices = await noticesFor(t.db, contactId as string);
    expect(notices.map((n) => [n.userId, n.kind, n.inApp, n.dedupeKey])).toEqual([
      [noEmail.id, "lead_assigned", true, `lead_assigned:${request.eventId}`],
    ]);
    // No email, and no Slack or Teams either: the rep chose them but registered no webhook.
    expect(await outboxFor(t.db, contactId as string)).toEqual([]);
  });

  it("reaches a rep who chose Slack on their Slack webhook, not by email nor in the feed", async () => {
    const [contactId] = await makeLeads(t.db, 1, { source: "slack" });
    await assignLead(t.db, {
      eventId: `test:${newId()}`,
      contactId: contactId as string,
      formId: null,
      reason: "form",
    });
    const [notice] = await noticesFor(t.db, contactId as string);
    expect(notice).toMatchObject({ userId: onSlack.id, kind: "lead_assigned", inApp: false });
    const rows = await outboxFor(t.db, contactId as string);
    expect(rows.map((r) => [r.channel, r.recipient, r.kind, r.template, r.notificationId, r.status])).toEqual(
      [["slack", slackHook, "lead_assigned", "assignment.owner", notice?.id, "pending"]],
    );
    expect(rows[0]?.subject).toContain("New lead assigned to you");
  });
});

describe("an SLA breach", () => {
  const t0 = Date.UTC(2026, 10, 23, 2, 0);
  let owner: TestUser;
  let leads: TestUser[];
  let teamHook: string;

  beforeAll(async () => {
    owner = await createUser(t.db, { name: "Slow rep" });
    leads = [
      await createUser(t.db, { role: "manager", name: "Lead one" }),
      await createUser(t.db, { role: "manager", name: "Lead two" }),
    ];
    const teamId = await createTeam(t.db, "Two leads", [
      { user: owner },
      ...leads.map((user) => ({ user, lead: true })),
    ]);
    // The owner wants breaches in the app only; the leads keep the defaults (which include Slack).
    await choose(owner, "sla_breach", ["in_app"]);
    teamHook = await webhook({ teamId }, "slack");
    await setRules(t.db, "sla", {
      rules: [
        {
          id: "all",
          name: "Fifteen minutes",
          when: [],
          minutes: 15,
          businessHours: false,
          escalate: true,
          reassign: false,
        },
      ],
    });
  });

  it("tells the owner in the app only, each lead once, and the team's channel of the escalation once", async () => {
    const [contactId] = await makeLeads(t.db, 1, { ownerId: owner.id, source: "web" });
    const id = contactId as string;
    await startClock(
      t.db,
      { eventId: `form.submitted:${newId()}`, contactId: id, formId: null, startedAt: t0 },
      t0,
    );
    await Promise.all([findBreaches(t.db, t0 + 16 * MINUTE), findBreaches(t.db, t0 + 16 * MINUTE)]);
    await findBreaches(t.db, t0 + 17 * MINUTE);

    const notices = await noticesFor(t.db, id);
    expect(notices.map((n) => [n.userId, n.kind, n.inApp]).sort()).toEqual(
      [[owner.id, "sla_breach", true], ...leads.map((lead) => [lead.id, "sla_breach", true])].sort(),
    );
    // The leads' notices share one id prefix and are keyed per lead.
    const escalations = notices.filter((n) => n.userId !== owner.id);
    expect(escalations.map((n) => n.dedupeKey).sort()).toEqual(
      leads.map((lead) => expect.stringMatching(new RegExp(`:escalation:${lead.id}$`))).sort(),
    );

    const rows = await outboxFor(t.db, id);
    const owned = rows.filter((r) => r.userId === owner.id);
    expect(owned).toEqual([]);
    const emails = rows.filter((r) => r.channel === "email");
    expect(emails.map((r) => [r.userId, r.template]).sort()).toEqual(
      leads.map((lead) => [lead.id, "sla.breach.escalation"]).sort(),
    );
    const toTeam = rows.filter((r) => r.recipient === teamHook);
    expect(toTeam.map((r) => [r.channel, r.template])).toEqual([["slack", "sla.breach.escalation"]]);
  });
});

describe("the dedupe key", () => {
  it("writes a notice and its outbox rows once, however many batches carry it", async () => {
    const user = await createUser(t.db);
    await webhook({ userId: user.id }, "teams");
    const contactId = newId();
    const notice = {
      userId: user.id,
      kind: "sla_breach" as const,
      title: "Overdue",
      body: "b",
      contactId,
      dedupeKey: `test:${contactId}`,
    };
    for (let i = 0; i < 2; i++) {
      const [first, ...rest] = notifyStatements(t.db, notice);
      if (first) await t.db.batch([first, ...rest]);
    }
    expect(await noticesFor(t.db, contactId)).toHaveLength(1);
    const rows = await outboxFor(t.db, contactId);
    expect(rows.map((r) => r.channel).sort()).toEqual(["email", "teams"]);
    expect(
      await t.db
        .select()
        .from(outbox)
        .where(and(eq(outbox.userId, user.id), eq(outbox.channel, "email"))),
    ).toHaveLength(1);
  });
});
