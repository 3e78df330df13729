// Outgoing webhooks on the real stack (wrangler dev: workerd with its local Queues, over the local libSQL
// server), delivered to a receiver in this test on a local port (allowed by WEBHOOKS_ALLOW_PRIVATE_TARGETS,
// the local-development setting). The receiver verifies every delivery with the `standardwebhooks` library.
// A contact made through the API reaches it; 5xx answers are retried with growing delays and the same
// webhook-id; Retry-After is honoured; a 410 disables the subscription and tells the admins; during a secret
// rotation both signatures verify. Time beyond the first seconds is the cron's: the test fires the minute
// cron at the time a retry is due (miniflare's `/cdn-cgi/local/scheduled?time=`), as it would fire then.
import { createHmac, timingSafeEqual } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/lib/processes.ts";
import { type LocalStack, startLocalStack } from "../../scripts/lib/stack.ts";

const WAIT_MS = 60_000;

interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** Replies by path: a status (and headers) per request, in turn; 200 once the script is used up. */
type Script = Record<string, { status: number; headers?: Record<string, string> }[]>;

let stack: LocalStack;
let dataDir: string;
let receiver: Server;
let receiverUrl: string;
let auth: Record<string, string>;
const received: Received[] = [];
const script: Script = {};

function startReceiver(port: number): Promise<Server> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const path = request.url ?? "/";
      const headers: Record<string, string> = {};
      for (const [key, value] of Object.entries(request.headers)) {
        if (typeof value === "string") headers[key] = value;
      }
      received.push({ path, headers, body: Buffer.concat(chunks).toString("utf8") });
      const reply = script[path]?.shift() ?? { status: 200 };
      response.writeHead(reply.status, { "Content-Type": "text/plain", ...reply.headers });
      response.end(reply.status < 300 ? "thanks" : "not now");
    });
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "crm-webhooks-out-"));
  const port = await freePort();
  receiver = await startReceiver(port);
  receiverUrl = `http://127.0.0.1:${port}`;
  stack = await startLocalStack({
    port: await freePort(),
    dbPort: await freePort(),
    dataDir,
    quiet: true,
    vars: { WEBHOOKS_ALLOW_PRIVATE_TARGETS: "true" },
  });
  const login = await fetch(`${stack.workerUrl}/api/v1/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: stack.admin.email, password: stack.admin.password }),
  });
  expect(login.status).toBe(200);
  const cookie = login.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  auth = { Cookie: cookie, "X-CRM-Request": "1", "Content-Type": "application/json" };
});

afterAll(async () => {
  await stack?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function api<T = Record<string, unknown>>(method: string, path: string, body?: unknown) {
  const response = await fetch(`${stack.workerUrl}${path}`, {
    method,
    headers: auth,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : {}) as T };
}

async function subscribe(path: string, events: string[]) {
  const { status, json } = await api("POST", "/api/v1/webhook-subscriptions", {
    url: `${receiverUrl}${path}`,
    events,
  });
  expect(status, JSON.stringify(json)).toBe(201);
  return { id: String(json.id), secret: String(json.secret) };
}

interface Delivery {
  id: string;
  status: string;
  attempts: number;
  nextAttemptAt: number | null;
  lastAttemptAt: number | null;
  responseStatus: number | null;
}

async function delivery(id: string): Promise<Delivery> {
  const { status, json } = await api<Delivery>("GET", `/api/v1/webhook-deliveries/${id}`);
  expect(status).toBe(200);
  return json;
}

/**
 * Fires the minute cron at `time`. Miniflare's own trigger takes the scheduled time (`/__scheduled`, wrangler's
 * --test-scheduled page, takes only the cron and runs at the present time).
 */
async function fireCron(time: number) {
  const url = new URL("/cdn-cgi/local/scheduled", stack.workerUrl);
  url.searchParams.set("cron", "* * * * *");
  url.searchParams.set("time", String(Math.round(time)));
  const response = await fetch(url, { signal: AbortSignal.timeout(60_000) });
  expect(response.ok).toBe(true);
}

/**
 * Polls until `done` holds. A queue message asks for each first attempt and each retry within the minute; if
 * one is lost (wrangler dev restarts the Worker when a source file changes, and its local queues forget),
 * the minute cron, fired now and then at the present time, makes up for it, as it does in production.
 */
async function waitFor<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const started = Date.now();
  let lastCron = started;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() - started > WAIT_MS) throw new Error(`${what} did not happen within ${WAIT_MS} ms`);
    if (Date.now() - lastCron > 10_000) {
      lastCron = Date.now();
      await fireCron(lastCron);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const to = (path: string) => received.filter((r) => r.path === path);

/** The check the README shows for receivers without a library: node:crypto and a constant-time compare. */
function verifyByHand(secret: string, request: Received): boolean {
  const id = request.headers["webhook-id"];
  const timestamp = request.headers["webhook-timestamp"];
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${request.body}`).digest();
  return (request.headers["webhook-signature"] ?? "").split(" ").some((entry) => {
    const [version, signature] = entry.split(",");
    const given = Buffer.from(signature ?? "", "base64");
    return version === "v1" && given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/** The delivery the test endpoint queued for a subscription. */
async function sendTest(subscriptionId: string): Promise<string> {
  const { status, json } = await api("POST", `/api/v1/webhook-subscriptions/${subscriptionId}/test`);
  expect(status, JSON.stringify(json)).toBe(202);
  return String(json.deliveryId);
}

describe("outgoing webhooks to a receiver on a local port", () => {
  it("deliver a contact created through the API, signed so that standardwebhooks verifies it", {
    timeout: 90_000,
  }, async () => {
    const sub = await subscribe("/contacts", ["contact.created"]);
    const created = await api("POST", "/api/v1/contacts", {
      name: "Nguyễn Thị Lan",
      emails: ["lan.webhooks@example.com"],
    });
    expect(created.status).toBe(201);
    const request = await waitFor("the contact.created delivery", async () => to("/contacts")[0]);
    const payload = new Webhook(sub.secret).verify(request.body, request.headers) as {
      type: string;
      timestamp: string;
      data: { sequence: number; object: string; id: string; record: { name: string } };
    };
    expect(payload.type).toBe("contact.created");
    expect(payload.data).toMatchObject({
      sequence: 1,
      object: "contact",
      id: created.json.id,
      record: { name: "Nguyễn Thị Lan" },
    });
    expect(request.headers["webhook-sequence"]).toBe("1");
    expect(verifyByHand(sub.secret, request)).toBe(true);
    expect(verifyByHand(sub.secret, { ...request, body: `${request.body} ` })).toBe(false);
    expect(new Date(payload.timestamp).toISOString()).toBe(payload.timestamp);
    expect(() =>
      new Webhook(`whsec_${btoa("another secret of enough length!")}`).verify(request.body, request.headers),
    ).toThrow();
  });

  it("retry 5xx answers with growing delays and the same webhook-id until a 2xx", {
    timeout: 120_000,
  }, async () => {
    script["/flaky"] = [{ status: 500 }, { status: 502 }, { status: 503 }];
    const sub = await subscribe("/flaky", ["deal.won"]);
    const id = await sendTest(sub.id);
    const gaps: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const row = await waitFor(`attempt ${attempt}`, async () => {
        const d = await delivery(id);
        return d.attempts >= attempt && d.status === "pending" ? d : undefined;
      });
      expect(row.responseStatus).toBe([500, 502, 503][attempt - 1]);
      const gap = (row.nextAttemptAt ?? 0) - (row.lastAttemptAt ?? 0);
      gaps.push(gap);
      // Due then, and not before: a cron a second early sends nothing.
      await fireCron((row.nextAttemptAt ?? 0) - 1000);
      expect(to("/flaky")).toHaveLength(attempt);
      await fireCron(row.nextAttemptAt ?? 0);
    }
    const done = await waitFor("the delivery", async () => {
      const d = await delivery(id);
      return d.status === "delivered" ? d : undefined;
    });
    expect(done.attempts).toBe(4);
    // The schedule: 5 s, 5 min and 30 min, each within a tenth (jitter).
    expect(gaps[0]).toBeGreaterThanOrEqual(4_500);
    expect(gaps[0]).toBeLessThanOrEqual(5_500);
    expect(gaps[1]).toBeGreaterThanOrEqual(270_000);
    expect(gaps[1]).toBeLessThanOrEqual(330_000);
    expect(gaps[2]).toBeGreaterThanOrEqual(1_620_000);
    expect(gaps[2]).toBeLessThanOrEqual(1_980_000);
    const attempts = to("/flaky");
    expect(attempts).toHaveLength(4);
    expect(new Set(attempts.map((r) => r.headers["webhook-id"]))).toEqual(new Set([id]));
    for (const request of attempts) {
      expect(new Webhook(sub.secret).verify(request.body, request.headers)).toMatchObject({
        type: "webhook.test",
      });
    }
    expect(new Set(attempts.map((r) => r.body)).size).toBe(1);
  });

  it("honour Retry-After", { timeout: 90_000 }, async () => {
    script["/busy"] = [{ status: 503, headers: { "Retry-After": "3600" } }];
    const sub = await subscribe("/busy", ["deal.won"]);
    const id = await sendTest(sub.id);
    const row = await waitFor("the first attempt", async () => {
      const d = await delivery(id);
      return d.attempts === 1 && d.status === "pending" ? d : undefined;
    });
    expect((row.nextAttemptAt ?? 0) - (row.lastAttemptAt ?? 0)).toBe(3_600_000);
    await fireCron((row.nextAttemptAt ?? 0) - 60_000);
    expect(to("/busy")).toHaveLength(1);
    await fireCron(row.nextAttemptAt ?? 0);
    expect(await delivery(id)).toMatchObject({ status: "delivered", attempts: 2 });
  });

  it("disable the subscription on a 410 and tell the admins", { timeout: 90_000 }, async () => {
    script["/gone"] = [{ status: 410 }];
    const sub = await subscribe("/gone", ["deal.won"]);
    const id = await sendTest(sub.id);
    await waitFor("the 410", async () => ((await delivery(id)).status === "failed" ? true : undefined));
    const { json } = await api("GET", `/api/v1/webhook-subscriptions/${sub.id}`);
    expect(json).toMatchObject({ enabled: false, disabledReason: "gone" });
    expect((await api("POST", `/api/v1/webhook-subscriptions/${sub.id}/test`)).status).toBe(409);
    const feed = await api<{ items: { title: string; link: string }[] }>("GET", "/api/v1/notifications");
    expect(feed.json.items.filter((n) => n.link === `/api/v1/webhook-subscriptions/${sub.id}`)).toHaveLength(
      1,
    );
    expect(to("/gone")).toHaveLength(1);
  });

  it("sign with both secrets during a rotation, and each verifies", { timeout: 90_000 }, async () => {
    const sub = await subscribe("/rotating", ["deal.won"]);
    const rotated = await api("POST", `/api/v1/webhook-subscriptions/${sub.id}/rotate-secret`, {
      graceSeconds: 600,
    });
    expect(rotated.status).toBe(200);
    const id = await sendTest(sub.id);
    const request = await waitFor("the delivery", async () => to("/rotating")[0]);
    expect(request.headers["webhook-id"]).toBe(id);
    expect(request.headers["webhook-signature"]?.split(" ")).toHaveLength(2);
    for (const secret of [String(rotated.json.secret), sub.secret]) {
      expect(new Webhook(secret).verify(request.body, request.headers)).toMatchObject({
        type: "webhook.test",
      });
    }
  });
});
