// The outbound engine: the payload of each channel (Resend- and MailChannels-style email, Slack, Teams), retries
// with backoff on 5xx and network errors, giving up after MAX_ATTEMPTS, replay, and no secret in any log line.
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { newId } from "../../db/ids.ts";
import { replayOutboxStatement } from "../../db/outbox.ts";
import { notificationWebhooks, outbox } from "../../db/schema/index.ts";
import { readConfig } from "../../functions/env.ts";
import {
  MAILCHANNELS_URL,
  type OutgoingMessage,
  RESEND_URL,
  slackPayload,
  teamsPayload,
  withAppUrl,
} from "../../queues/outbound/channels.ts";
import { emailStatement, notifyStatements } from "../../queues/outbound/notify.ts";
import { MAX_ATTEMPTS, processOutbox } from "../../queues/outbound/process.ts";
import { createUser } from "./factories.ts";
import { captureConsole, mockOutbound } from "./outbound-support.ts";
import { type TestDatabase, useTestDatabase } from "./support.ts";

const API_KEY = "re_test_SUPERSECRETKEY_123";
const SLACK_URL = "https://hooks.slack.com/services/T01/B02/SLACKSECRETTOKEN";
const TEAMS_URL = "https://contoso.webhook.office.com/webhookb2/g@t/IncomingWebhook/TEAMSSECRETTOKEN/x";
const SECRETS = [API_KEY, "SLACKSECRETTOKEN", "TEAMSSECRETTOKEN"];

const resend = useTestDatabase({
  EMAIL_PROVIDER: "resend",
  EMAIL_API_KEY: API_KEY,
  EMAIL_FROM: "Acme CRM <crm@acme.test>",
});
const mailchannels = useTestDatabase({
  EMAIL_PROVIDER: "mailchannels",
  EMAIL_API_KEY: API_KEY,
  EMAIL_FROM: "Acme CRM <crm@acme.test>",
});
const local = useTestDatabase();
const MINUTE = 60_000;

afterEach(() => {
  vi.restoreAllMocks();
});

async function queueEmail(t: TestDatabase, to = "lan@example.com") {
  const id = newId();
  await emailStatement(
    t.db,
    { id, to, subject: "Chào Lan", text: "Hello", html: "<p>Hello</p>" },
    Date.now(),
  );
  return id;
}

async function row(t: TestDatabase, id: string) {
  const [found] = await t.db.select().from(outbox).where(eq(outbox.id, id));
  if (!found) throw new Error(`no outbox row ${id}`);
  return found;
}

describe("email payloads", () => {
  it("sends a Resend-style request from the minute cron and records the provider's id", async () => {
    const logs = captureConsole();
    const { sent } = mockOutbound([{ status: 200, json: { id: "re_msg_1" } }]);
    const id = await queueEmail(resend);
    await resend.scheduled("* * * * *", Date.UTC(2026, 10, 23, 8, 0));
    expect(sent).toHaveLength(1);
    expect(sent[0]?.url).toBe(RESEND_URL);
    expect(sent[0]?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(sent[0]?.headers["idempotency-key"]).toBe(id);
    expect(sent[0]?.body).toEqual({
      from: "Acme CRM <crm@acme.test>",
      to: ["lan@example.com"],
      subject: "Chào Lan",
      text: "Hello",
      html: "<p>Hello</p>",
    });
    expect(await row(resend, id)).toMatchObject({
      status: "sent",
      attempts: 1,
      providerMessageId: "re_msg_1",
    });
    for (const secret of SECRETS) expect(logs.join("\n")).not.toContain(secret);
  });

  it("sends a MailChannels-style request", async () => {
    const { sent } = mockOutbound([{ status: 202 }]);
    const id = await queueEmail(mailchannels);
    await processOutbox(mailchannels.db, readConfig(mailchannels.env), Date.now());
    expect(sent[0]?.url).toBe(MAILCHANNELS_URL);
    expect(sent[0]?.headers["x-api-key"]).toBe(API_KEY);
    expect(sent[0]?.headers.authorization).toBeUndefined();
    expect(sent[0]?.body).toEqual({
      personalizations: [{ to: [{ email: "lan@example.com" }] }],
      from: { email: "crm@acme.test", name: "Acme CRM" },
      subject: "Chào Lan",
      content: [
        { type: "text/plain", value: "Hello" },
        { type: "text/html", value: "<p>Hello</p>" },
      ],
    });
    expect(await row(mailchannels, id)).toMatchObject({ status: "sent", providerMessageId: null });
  });

  it("sends nothing with the local 'log' provider: the email stays in the outbox", async () => {
    const { sent } = mockOutbound();
    const id = await queueEmail(local);
    await local.scheduled("* * * * *", Date.UTC(2026, 10, 23, 8, 0));
    expect(sent).toHaveLength(0);
    expect(await row(local, id)).toMatchObject({ status: "pending", attempts: 0 });
  });
});

describe("Slack and Teams payloads", () => {
  it("posts a Slack message and a Teams Adaptive Card to the user's incoming webhooks", async () => {
    const logs = captureConsole();
    const { sent } = mockOutbound([{ status: 200 }, { status: 200 }]);
    const user = await createUser(resend.db);
    const now = Date.now();
    await resend.db.insert(notificationWebhooks).values([
      { id: newId(), userId: user.id, channel: "slack", url: SLACK_URL, createdAt: now },
      { id: newId(), userId: user.id, channel: "teams", url: TEAMS_URL, createdAt: now },
    ]);
    const [first, ...rest] = notifyStatements(
      resend.db,
      {
        userId: user.id,
        kind: "mention",
        title: "Minh mentioned you",
        body: "On deal Acme",
        link: "https://crm.test/d/1",
      },
      now,
    );
    if (first) await resend.db.batch([first, ...rest]);
    await processOutbox(resend.db, readConfig(resend.env), now);

    const slack = sent.find((s) => s.url === SLACK_URL);
    expect(slack?.body).toEqual({
      text: "Minh mentioned you: On deal Acme",
      blocks: [
        { type: "section", text: { type: "mrkdwn", text: "*Minh mentioned you*\nOn deal Acme" } },
        {
          type: "actions",
          elements: [
            {
              type: "button",
              text: { type: "plain_text", text: "Open in CRM" },
              url: "https://crm.test/d/1",
            },
          ],
        },
      ],
    });
    const teams = sent.find((s) => s.url === TEAMS_URL);
    expect(teams?.body).toMatchObject({
      type: "message",
      attachments: [
        {
          contentType: "application/vnd.microsoft.card.adaptive",
          content: {
            type: "AdaptiveCard",
            version: "1.4",
            body: [
              { type: "TextBlock", text: "Minh mentioned you", weight: "Bolder" },
              { type: "TextBlock", text: "On deal Acme" },
            ],
            actions: [{ type: "Action.OpenUrl", url: "https://crm.test/d/1" }],
          },
        },
      ],
    });
    const rows = await resend.db.select().from(outbox).where(eq(outbox.userId, user.id));
    expect(rows.map((r) => r.status)).toEqual(["sent", "sent"]);
    // The outbox names the webhook by id: the URL (a credential) stays in its table.
    expect(JSON.stringify(rows)).not.toContain("SECRETTOKEN");
    for (const secret of SECRETS) expect(logs.join("\n")).not.toContain(secret);
  });
});

describe("links", () => {
  it("reach Slack as a button to the app when APP_URL is set", async () => {
    const { sent } = mockOutbound([{ status: 200 }]);
    const user = await createUser(resend.db);
    const now = Date.now();
    await resend.db
      .insert(notificationWebhooks)
      .values({ id: newId(), userId: user.id, channel: "slack", url: SLACK_URL, createdAt: now });
    const [first, ...rest] = notifyStatements(
      resend.db,
      {
        userId: user.id,
        kind: "lead_assigned",
        title: "New lead",
        body: "Rule: Vietnam",
        link: "/contacts/0190",
      },
      now,
    );
    if (first) await resend.db.batch([first, ...rest]);
    await processOutbox(resend.db, { ...readConfig(resend.env), APP_URL: "https://crm.example.com" }, now);
    const slack = sent.find((s) => s.url === SLACK_URL);
    expect(JSON.stringify(slack?.body)).toContain('"url":"https://crm.example.com/contacts/0190"');
  });

  it("leaves out the button for a link within the app, which Slack and Teams would refuse", () => {
    const message: OutgoingMessage = {
      id: "m",
      channel: "slack",
      recipient: "w",
      subject: "New lead assigned to you",
      body: "Rule: Vietnam",
      html: null,
      link: "/contacts/0190",
      webhookUrl: null,
    };
    expect(slackPayload(message).blocks.map((block) => block.type)).toEqual(["section"]);
    expect(teamsPayload({ ...message, channel: "teams" }).attachments[0]?.content).not.toHaveProperty(
      "actions",
    );
    const absolute = { ...message, link: "https://crm.example.com/contacts/0190" };
    expect(slackPayload(absolute).blocks.map((block) => block.type)).toEqual(["section", "actions"]);
    expect(teamsPayload(absolute).attachments[0]?.content).toHaveProperty("actions");
  });

  it("makes a link within the app absolute against APP_URL: a button in Slack and Teams, a full link in email", () => {
    const message: OutgoingMessage = {
      id: "m",
      channel: "slack",
      recipient: "w",
      subject: "New lead assigned to you",
      body: "Rule: Vietnam",
      html: null,
      link: "/contacts/0190",
      webhookUrl: null,
    };
    const slack = withAppUrl("https://crm.example.com", message);
    expect(slack.link).toBe("https://crm.example.com/contacts/0190");
    expect(slackPayload(slack).blocks.at(-1)).toMatchObject({
      type: "actions",
      elements: [{ url: "https://crm.example.com/contacts/0190" }],
    });
    const email = withAppUrl("https://crm.example.com/", {
      ...message,
      channel: "email",
      body: "Rule: Vietnam\n\n/contacts/0190",
    });
    expect(email.body).toBe("Rule: Vietnam\n\nhttps://crm.example.com/contacts/0190");
    // Without APP_URL, or with an absolute link, nothing changes.
    expect(withAppUrl(undefined, message)).toEqual(message);
    const external = { ...message, link: "https://other.example/x" };
    expect(withAppUrl("https://crm.example.com", external)).toEqual(external);
  });
});

describe("retries", () => {
  it("retries a 5xx and a network error with backoff, then succeeds; never before the backoff is over", async () => {
    const logs = captureConsole();
    const { sent } = mockOutbound([{ status: 503 }, "network", { status: 200, json: { id: "re_ok" } }]);
    const id = await queueEmail(resend, "retry@example.com");
    const config = readConfig(resend.env);
    const t0 = Date.UTC(2026, 10, 24, 9, 0);
    await processOutbox(resend.db, config, t0);
    const failed = await row(resend, id);
    expect(failed).toMatchObject({
      status: "pending",
      attempts: 1,
      lastError: "HTTP 503",
      nextAttemptAt: t0 + 30_000,
    });

    await processOutbox(resend.db, config, t0 + 10_000); // still backing off
    expect(sent).toHaveLength(1);
    await processOutbox(resend.db, config, t0 + MINUTE);
    expect(await row(resend, id)).toMatchObject({
      status: "pending",
      attempts: 2,
      lastError: "network error (TypeError)",
      nextAttemptAt: t0 + MINUTE + 60_000,
    });
    await processOutbox(resend.db, config, t0 + 3 * MINUTE);
    expect(await row(resend, id)).toMatchObject({
      status: "sent",
      attempts: 3,
      lastError: null,
      providerMessageId: "re_ok",
    });
    expect(sent).toHaveLength(3);
    const joined = logs.join("\n");
    expect(joined).toContain("HTTP 503");
    for (const secret of SECRETS) expect(joined).not.toContain(secret);
    expect(joined).not.toContain("retry@example.com");
  });

  it("gives up after MAX_ATTEMPTS, stays visible as failed, and can be replayed", async () => {
    const logs = captureConsole();
    const { sent } = mockOutbound(Array.from({ length: MAX_ATTEMPTS }, () => ({ status: 500 })));
    const id = await queueEmail(resend, "giveup@example.com");
    const config = readConfig(resend.env);
    const t0 = Date.UTC(2026, 10, 25, 9, 0);
    for (let i = 0; i < MAX_ATTEMPTS + 2; i++)
      await processOutbox(resend.db, config, t0 + i * 2 * 60 * MINUTE);
    expect(sent.filter((s) => (s.body as { to: string[] }).to[0] === "giveup@example.com")).toHaveLength(
      MAX_ATTEMPTS,
    );
    const dead = await row(resend, id);
    expect(dead).toMatchObject({ status: "failed", attempts: MAX_ATTEMPTS, nextAttemptAt: null });
    expect(dead.lastError).toBe(`HTTP 500; gave up after ${MAX_ATTEMPTS} attempts`);

    await replayOutboxStatement(resend.db, id);
    await processOutbox(resend.db, config, t0 + 20 * 60 * MINUTE);
    expect(await row(resend, id)).toMatchObject({ status: "sent", attempts: 1 });
    for (const secret of SECRETS) expect(logs.join("\n")).not.toContain(secret);
  });

  it("fails a 4xx at once: retrying would not help", async () => {
    captureConsole();
    mockOutbound([{ status: 422, json: { message: `bad key ${API_KEY}` } }]);
    const id = await queueEmail(resend, "refused@example.com");
    await processOutbox(resend.db, readConfig(resend.env), Date.UTC(2026, 10, 26, 9, 0));
    const refused = await row(resend, id);
    expect(refused).toMatchObject({ status: "failed", attempts: 1, lastError: "HTTP 422" });
  });

  it("sends a message once when two runs overlap", async () => {
    captureConsole();
    const { sent } = mockOutbound();
    const id = await queueEmail(resend, "once@example.com");
    const config = readConfig(resend.env);
    const at = Date.UTC(2026, 10, 27, 9, 0);
    await Promise.all([
      processOutbox(resend.db, config, at),
      processOutbox(resend.db, config, at),
      processOutbox(resend.db, config, at + MINUTE),
    ]);
    expect(sent.filter((s) => (s.body as { to: string[] }).to[0] === "once@example.com")).toHaveLength(1);
    expect(await row(resend, id)).toMatchObject({ status: "sent", attempts: 1 });
  });
});
