// Inbound webhook deliveries survive the database going away, on the real stack (wrangler dev: workerd with its
// local Queues, over the local libSQL server). A Standard Webhooks source is made (and so known at the edge);
// with the database server stopped, deliveries signed by the `standardwebhooks` library each get 202 or 503
// (or 200 "duplicate" for an id already taken), and every fifth is sent twice. Once the database is back and
// the capture queue has drained, every delivery that got 202 is exactly one inbox row, one contact and one
// timeline entry, and none that only got 503 left a trace. Then again with every queue message delivered twice
// (test/worker/entries/redelivering-worker.ts) and every tenth queue send refused.
import type { Client } from "@libsql/client";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import type { LocalStack } from "../../scripts/lib/stack.ts";
import {
  adminHeaders,
  type Phase,
  REDELIVERING_ENTRY,
  redeliveries,
  rows,
  useFaultPhases,
  whileTheDatabaseIsDown,
} from "./fault-support.ts";

const DELIVERIES = 500;
const CONCURRENCY = 20;

const startPhase = useFaultPhases("hooks-fault");

/** A source whose every delivery upserts the contact in `email` and logs it on the timeline. */
async function createSource(stack: LocalStack): Promise<{ id: string; secret: string }> {
  const response = await fetch(`${stack.workerUrl}/api/v1/webhook-sources`, {
    method: "POST",
    headers: await adminHeaders(stack),
    body: JSON.stringify({
      name: "Fault test",
      verification: { kind: "standard_webhooks" },
      mapping: {
        fields: { "contact.email": "email", "contact.firstName": "first_name" },
        rules: [{ actions: [{ type: "upsert_contact" }, { type: "log_activity" }] }],
      },
    }),
  });
  expect(response.status, await response.clone().text()).toBe(201);
  const { id, secret } = (await response.json()) as { id: string; secret: string };
  return { id, secret };
}

interface Sent {
  email: string;
  webhookId: string;
  status: number;
  /** The inbox id a 202 names: the queue message's id. */
  inboxId: string | null;
  retryAfter: string | null;
  body: string;
}

/** Posts the deliveries, CONCURRENCY at a time; every fifth is posted a second time right after. */
async function deliverAll(stack: LocalStack, source: { id: string; secret: string }, domain: string) {
  const webhook = new Webhook(source.secret);
  const results: Sent[] = [];
  let next = 0;
  const send = async (email: string, webhookId: string, body: string) => {
    const at = new Date();
    const response = await fetch(`${stack.workerUrl}/hooks/${source.id}`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "webhook-id": webhookId,
        "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
        "webhook-signature": webhook.sign(webhookId, at, body),
      },
      body,
    });
    const text = await response.text();
    let inboxId: string | null = null;
    try {
      inboxId = (JSON.parse(text) as { id?: string }).id ?? null;
    } catch {
      // A problem+json without an id.
    }
    results.push({
      email,
      webhookId,
      status: response.status,
      inboxId,
      retryAfter: response.headers.get("Retry-After"),
      body: text,
    });
  };
  const worker = async () => {
    while (next < DELIVERIES) {
      const i = next++;
      const email = `lead-${i}@${domain}`;
      const webhookId = `msg_${crypto.randomUUID()}`;
      const body = JSON.stringify({ email, first_name: `Lead ${i}` });
      await send(email, webhookId, body);
      if (i % 5 === 0) await send(email, webhookId, body);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return results;
}

/** The emails some delivery of which got 202, and those whose deliveries all got 503. */
function outcome(sent: Sent[]) {
  const accepted = new Set(sent.filter((s) => s.status === 202).map((s) => s.email));
  const refused = new Set(sent.filter((s) => !accepted.has(s.email)).map((s) => s.email));
  return { accepted, refused };
}

async function deliverWhileTheDatabaseIsDown(
  current: Phase,
  domain: string,
  drained: (sourceId: string, sent: Sent[], client: Client) => Promise<boolean>,
) {
  const source = await createSource(current.stack);
  const sent: Sent[] = [];
  const result = await whileTheDatabaseIsDown(current, {
    send: async () => {
      sent.push(...(await deliverAll(current.stack, source, domain)));
      return sent;
    },
    expected: (s) =>
      s.status === 202 || s.status === 503 || (s.status === 200 && s.body.includes('"duplicate"')),
    drained: (client) => drained(source.id, sent, client),
    state: async (client) => {
      const statuses = await rows<{ status: string; n: number }>(
        client,
        "select status, count(*) as n from webhook_inbox where source_id = ? group by status",
        [source.id],
      );
      return `${sent.filter((s) => s.status === 202).length} accepted; inbox by status ${JSON.stringify(statuses)}`;
    },
  });
  return { ...result, source };
}

/** Every delivery the queue owes is in the inbox and settled. */
async function settled(client: Client, sourceId: string, sent: Sent[]): Promise<boolean> {
  const { accepted } = outcome(sent);
  const [row] = await rows<{ n: number }>(
    client,
    "select count(*) as n from webhook_inbox where source_id = ? and status != 'received'",
    [sourceId],
  );
  return Number(row?.n) >= accepted.size;
}

/** Exactly one of everything per accepted delivery, nothing for one that was only refused. */
async function expectExactlyOnceEach(client: Client, sourceId: string, domain: string, sent: Sent[]) {
  const { accepted, refused } = outcome(sent);
  const contacts = await rows<{ email: string; n: number }>(
    client,
    "select email, count(*) as n from contacts where email like ? and deleted_at is null group by email",
    [`%@${domain}`],
  );
  expect(contacts.filter((c) => Number(c.n) !== 1)).toEqual([]);
  expect(contacts.map((c) => c.email).sort()).toEqual([...accepted].sort());
  expect(contacts.filter((c) => refused.has(c.email))).toEqual([]);

  const inbox = await rows<{ deliveryId: string; status: string }>(
    client,
    "select delivery_id as deliveryId, status from webhook_inbox where source_id = ?",
    [sourceId],
  );
  expect(inbox.filter((r) => r.status !== "processed")).toEqual([]);
  const acceptedIds = new Set(sent.filter((s) => s.status === 202).map((s) => s.webhookId));
  expect(inbox.map((r) => r.deliveryId).sort()).toEqual([...acceptedIds].sort());

  const [timeline] = await rows<{ n: number; contacts: number }>(
    client,
    "select count(*) as n, count(distinct contact_id) as contacts from activities where type = 'webhook_event' and json_extract(metadata, '$.sourceId') = ?",
    [sourceId],
  );
  expect({ n: Number(timeline?.n), contacts: Number(timeline?.contacts) }).toEqual({
    n: accepted.size,
    contacts: accepted.size,
  });
}

function report(label: string, result: { sent: Sent[]; sendSeconds: number; drainMs: number }) {
  const count = (status: number) => result.sent.filter((s) => s.status === status).length;
  console.log(
    `hooks fault (${label}): ${result.sent.length} deliveries in ${result.sendSeconds.toFixed(1)} s with the database down: ${count(202)} × 202, ${count(200)} × 200 duplicate, ${count(503)} × 503; queue drained ${(result.drainMs / 1000).toFixed(1)} s after the database came back`,
  );
}

describe("inbound webhook deliveries while the database is down", () => {
  it("are each answered 202 or 503 (or 200 for a duplicate), and every 202 is processed exactly once", {
    timeout: 240_000,
  }, async () => {
    const current = await startPhase();
    const domain = "hooks-once.example";
    const result = await deliverWhileTheDatabaseIsDown(current, domain, (sourceId, sent, client) =>
      settled(client, sourceId, sent),
    );
    report("delivered once", result);
    expect(result.sent.filter((s) => s.status === 503).every((s) => s.retryAfter !== null)).toBe(true);
    // Every duplicate post of an id that got 202 was told so, not queued again.
    expect(result.sent.filter((s) => s.status === 200).length).toBeGreaterThan(0);
    await expectExactlyOnceEach(result.client, result.source.id, domain, result.sent);
  });

  it.each([
    { mode: "1", label: "one after the other" },
    { mode: "overlapping", label: "overlapping" },
  ])(
    "still process each exactly once when every queue message is delivered twice, $label",
    { timeout: 240_000 },
    async ({ mode, label }) => {
      const current = await startPhase({
        main: REDELIVERING_ENTRY,
        vars: { REDELIVER: mode, FAIL_CAPTURE_SENDS_EVERY: "10" },
      });
      const domain = `hooks-twice-${mode}.example`;
      const deliveries = () => redeliveries(current.stack);
      const result = await deliverWhileTheDatabaseIsDown(current, domain, async (_sourceId, sent) => {
        // Drained: each accepted delivery's message was handed over twice and acked by the second pass.
        const acked = new Set((await deliveries()).queues["crm-capture"]?.acked ?? []);
        return sent.filter((s) => s.status === 202).every((s) => s.inboxId !== null && acked.has(s.inboxId));
      });
      report(`delivered twice, ${label}; every tenth queue send refused`, result);
      const seen = await deliveries();
      const capture = seen.queues["crm-capture"];
      expect(capture?.firstPass).toBe(capture?.secondPass);
      // A refused send with the database away is a 503 with Retry-After, never a 2xx.
      expect(seen.refusedSends).toBeGreaterThan(0);
      expect(result.sent.filter((s) => s.status === 503).length).toBe(seen.refusedSends);
      expect(result.sent.filter((s) => s.status === 503).every((s) => s.retryAfter !== null)).toBe(true);
      expect(await settled(result.client, result.source.id, result.sent)).toBe(true);
      await expectExactlyOnceEach(result.client, result.source.id, domain, result.sent);
    },
  );
});
