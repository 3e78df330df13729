// Public form submissions survive the database going away, on the real stack (wrangler dev: workerd with its
// local Queues, over the local libSQL server). With the database server stopped, 1,000 submissions each get
// 202 or 503 and nothing else; once it is back and the capture queue has drained, every submission that got
// 202 is exactly one contact (one timeline entry, one owner notification), and none that got 503 left a trace.
// Then again with every queue message delivered twice (test/worker/entries/redelivering-worker.ts wraps the
// real Worker), and with every tenth queue send refused, so that some submissions find neither the queue nor
// the database and must be answered 503.
import type { Client } from "@libsql/client";
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

const SUBMISSIONS = 1000;
const CONCURRENCY = 25;

const startPhase = useFaultPhases("forms-fault");

/** A form whose every well-formed submission becomes a lead: no fill-time or per-address spam rules. */
async function createForm(stack: LocalStack): Promise<string> {
  const response = await fetch(`${stack.workerUrl}/api/v1/forms`, {
    method: "POST",
    headers: await adminHeaders(stack),
    body: JSON.stringify({
      name: "Fault test",
      fields: [
        { key: "email", type: "email", label: { en: "Email" }, required: true, mapTo: "contact.email" },
        { key: "first_name", type: "text", label: { en: "First name" }, mapTo: "contact.firstName" },
      ],
      spam: { minFillMs: 0, perIpLimit: null },
    }),
  });
  expect(response.status, await response.clone().text()).toBe(201);
  const { id } = (await response.json()) as { id: string };
  // What a visitor's browser does first (the embed reads the definition): the edge now knows the form, and
  // checks submissions against it with the database away. Not needed for them to be taken: a form the edge
  // does not know is taken too, and checked by the consumer.
  expect((await fetch(`${stack.workerUrl}/f/${id}/definition`)).status).toBe(200);
  return id;
}

interface Sent {
  email: string;
  submissionId: string;
  status: number;
  retryAfter: string | null;
  body: string;
}

/** Posts the submissions, CONCURRENCY at a time, each from its own address as visitors would. */
async function submitAll(stack: LocalStack, formId: string, domain: string): Promise<Sent[]> {
  const results: Sent[] = [];
  let next = 0;
  const worker = async () => {
    while (next < SUBMISSIONS) {
      const i = next++;
      const email = `lead-${i}@${domain}`;
      const submissionId = crypto.randomUUID();
      const response = await fetch(`${stack.workerUrl}/f/${formId}`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "CF-Connecting-IP": `10.9.${i >> 8}.${i & 255}` },
        body: JSON.stringify({
          submissionId,
          visitorId: `visitor-${i}`,
          fields: { email, first_name: `Lead ${i}` },
          renderedAt: Date.now() - 30_000,
          page: { url: `https://site.example/pricing?utm_source=fault&n=${i}`, referrer: null },
          honeypot: "",
        }),
      });
      results.push({
        email,
        submissionId,
        status: response.status,
        retryAfter: response.headers.get("Retry-After"),
        body: await response.text(),
      });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return results;
}

/** The fault, with submissions: a form made, then the submissions sent with the database down. */
async function submitWhileTheDatabaseIsDown(
  current: Phase,
  domain: string,
  drained: (formId: string, accepted: Sent[], client: Client) => Promise<boolean>,
) {
  const formId = await createForm(current.stack);
  const accepted: Sent[] = [];
  const result = await whileTheDatabaseIsDown(current, {
    send: async () => {
      const sent = await submitAll(current.stack, formId, domain);
      accepted.push(...sent.filter((s) => s.status === 202));
      return sent;
    },
    expected: (s) => s.status === 202 || s.status === 503,
    drained: (client) => drained(formId, accepted, client),
    state: async (client) => {
      const statuses = await rows<{ status: string; n: number }>(
        client,
        "select status, count(*) as n from form_submissions where form_id = ? group by status",
        [formId],
      );
      return `${accepted.length} accepted; submissions by status ${JSON.stringify(statuses)}`;
    },
  });
  const refused = result.sent.filter((s) => s.status === 503);
  return { ...result, formId, accepted, refused };
}

/** Every submission the queue still owes has been settled (processed, duplicate, spam or failed). */
async function settled(client: Client, formId: string, accepted: Sent[]): Promise<boolean> {
  const [row] = await rows<{ n: number }>(
    client,
    "select count(*) as n from form_submissions where form_id = ? and status != 'received'",
    [formId],
  );
  return Number(row?.n) >= accepted.length;
}

/** What the database says came of the submissions: exactly one of everything per accepted one. */
async function expectExactlyOneLeadEach(
  client: Client,
  formId: string,
  domain: string,
  accepted: Sent[],
  refused: Sent[],
) {
  const contacts = await rows<{ email: string; n: number }>(
    client,
    "select email, count(*) as n from contacts where email like ? and deleted_at is null group by email",
    [`%@${domain}`],
  );
  expect(contacts.filter((c) => Number(c.n) !== 1)).toEqual([]);
  expect(contacts.map((c) => c.email).sort()).toEqual(accepted.map((s) => s.email).sort());

  const submissions = await rows<{ id: string; status: string }>(
    client,
    "select id, status from form_submissions where form_id = ?",
    [formId],
  );
  expect(submissions.filter((s) => s.status !== "processed")).toEqual([]);
  expect(submissions.map((s) => s.id).sort()).toEqual(accepted.map((s) => s.submissionId).sort());
  const refusedIds = new Set(refused.map((s) => s.submissionId));
  expect(submissions.filter((s) => refusedIds.has(s.id))).toEqual([]);

  // The rest of the consumer's batch happened once per lead too: the timeline entry, the owner's notification.
  const [activities] = await rows<{ n: number; contacts: number }>(
    client,
    "select count(*) as n, count(distinct contact_id) as contacts from activities where type = 'form_submission' and json_extract(metadata, '$.formId') = ?",
    [formId],
  );
  expect({ n: Number(activities?.n), contacts: Number(activities?.contacts) }).toEqual({
    n: accepted.length,
    contacts: accepted.length,
  });
  const [notifications] = await rows<{ n: number }>(
    client,
    "select count(*) as n from outbox where template = 'form.lead' and subject like ?",
    ['New lead from "Fault test"%'],
  );
  expect(Number(notifications?.n)).toBe(accepted.length);
}

function report(
  label: string,
  result: { accepted: Sent[]; refused: Sent[]; sendSeconds: number; drainMs: number },
) {
  console.log(
    `forms fault (${label}): ${SUBMISSIONS} submissions in ${result.sendSeconds.toFixed(1)} s with the database down: ${result.accepted.length} × 202, ${result.refused.length} × 503; queue drained ${(result.drainMs / 1000).toFixed(1)} s after the database came back`,
  );
}

describe("form submissions while the database is down", () => {
  it("are each answered 202 or 503, and every 202 becomes exactly one contact once it is back", {
    timeout: 240_000,
  }, async () => {
    const current = await startPhase();
    const domain = "fault-once.example";
    const result = await submitWhileTheDatabaseIsDown(current, domain, (formId, accepted, client) =>
      settled(client, formId, accepted),
    );
    report("delivered once", result);
    expect(result.refused.every((s) => s.retryAfter !== null)).toBe(true);
    await expectExactlyOneLeadEach(result.client, result.formId, domain, result.accepted, result.refused);
  });

  it.each([
    { mode: "1", label: "one after the other" },
    { mode: "overlapping", label: "overlapping" },
  ])(
    "still make exactly one contact each when every queue message is delivered twice, $label",
    { timeout: 240_000 },
    async ({ mode, label }) => {
      const current = await startPhase({
        main: REDELIVERING_ENTRY,
        vars: { REDELIVER: mode, FAIL_CAPTURE_SENDS_EVERY: "10" },
      });
      const domain = `fault-twice-${mode}.example`;
      const deliveries = () => redeliveries(current.stack);
      const result = await submitWhileTheDatabaseIsDown(current, domain, async (_formId, accepted) => {
        // Drained: each accepted submission's message was handed over twice and acked by the second pass.
        const acked = new Set((await deliveries()).queues["crm-capture"]?.acked ?? []);
        return accepted.every((s) => acked.has(s.submissionId));
      });
      report(`delivered twice, ${label}; every tenth queue send refused`, result);
      const seen = await deliveries();
      const capture = seen.queues["crm-capture"];
      expect(capture?.firstPass).toBe(capture?.secondPass);
      // Once the database was back, the first pass ran every accepted message through the consumer to the end
      // too: each was really processed twice, not merely failed twice.
      expect(capture?.firstPassAcks).toBeGreaterThanOrEqual(result.accepted.length);
      // A refused send with the database away is a 503 with Retry-After, never a 2xx.
      expect(seen.refusedSends).toBeGreaterThan(0);
      expect(result.refused.length).toBe(seen.refusedSends);
      expect(result.refused.every((s) => s.retryAfter !== null)).toBe(true);
      expect(await settled(result.client, result.formId, result.accepted)).toBe(true);
      await expectExactlyOneLeadEach(result.client, result.formId, domain, result.accepted, result.refused);
    },
  );
});
