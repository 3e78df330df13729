// Sending deliveries: Standard Webhooks headers the reference library verifies (two signatures during a
// rotation), the same webhook-id on every attempt, retries on the schedule with jitter and Retry-After, a 410
// and an exhausted schedule disabling the subscription and telling the admins, unsafe targets refused at
// delivery too, redirects not followed, and the delivery log and its replays.
import { and, eq } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { notifications, webhookDeliveries, webhookSubscriptions } from "../../db/schema/index.ts";
import { deliverWebhooks, WEBHOOKS_DELIVER } from "../../queues/webhooks-out/deliver.ts";
import { MAX_ATTEMPTS, RETRY_DELAYS_MS, retryDelayMs } from "../../queues/webhooks-out/schedule.ts";
import { captureConsole } from "./outbound-support.ts";
import { domainEvent, mockReceiver, RECEIVER, type Received, webhooksTest } from "./webhooks-out-support.ts";

const w = webhooksTest();
const MINUTE = 60_000;

afterEach(() => {
  vi.restoreAllMocks();
});

async function delivery(id: string) {
  const [row] = await w.t.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, id));
  if (!row) throw new Error(`no delivery ${id}`);
  return row;
}

async function subscription(id: string) {
  const [row] = await w.t.db.select().from(webhookSubscriptions).where(eq(webhookSubscriptions.id, id));
  if (!row) throw new Error(`no subscription ${id}`);
  return row;
}

/** A subscription to `events` and one event for it; returns the subscription and its delivery. */
async function oneDelivery(url: string, events = ["contact.created"]) {
  const sub = await w.subscribe(events, url);
  const event = domainEvent("contact.created", { id: `c-${crypto.randomUUID()}`, name: "Lan" });
  await w.deliverEvents([event]);
  const [row] = await w.t.db
    .select()
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.subscriptionId, sub.id));
  if (!row) throw new Error("no delivery written");
  return { sub, event, deliveryId: row.id };
}

function verify(secret: string, request: Received) {
  return new Webhook(secret).verify(request.body, request.headers) as Record<string, unknown>;
}

/** A pass at `now` (the cron's scheduled time or the queue's clock). */
function pass(now: number) {
  return deliverWebhooks(w.services(), now);
}

describe("a delivery", () => {
  it("carries the Standard Webhooks headers, which the reference library verifies, and the envelope", async () => {
    const { received, url } = mockReceiver([{ status: 204 }]);
    const { sub, event, deliveryId } = await oneDelivery(url);
    const summary = await pass(Date.now());
    expect(summary).toEqual({ delivered: 1, retrying: 0, failed: 0 });
    const [request] = received;
    if (!request) throw new Error("nothing was sent");
    expect(request.url).toBe(url);
    expect(request.headers["content-type"]).toBe("application/json");
    expect(request.headers["webhook-id"]).toBe(deliveryId);
    expect(request.headers["webhook-sequence"]).toBe("1");
    expect(Number(request.headers["webhook-timestamp"])).toBeCloseTo(Date.now() / 1000, -2);
    expect(request.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(verify(sub.secret, request)).toEqual({
      type: "contact.created",
      timestamp: new Date(event.createdAt).toISOString(),
      data: {
        sequence: 1,
        eventId: event.id,
        object: "contact",
        id: (event.data as { recordId: string }).recordId,
        record: (event.data as { after: unknown }).after,
      },
    });
    expect(await delivery(deliveryId)).toMatchObject({
      status: "delivered",
      attempts: 1,
      responseStatus: 204,
      nextAttemptAt: null,
      error: null,
    });
    expect((await subscription(sub.id)).lastSuccessAt).toEqual(expect.any(Number));
  });

  it("is refused by the library with another secret or a changed body", async () => {
    const { received, url } = mockReceiver();
    const { deliveryId } = await oneDelivery(url);
    await pass(Date.now());
    const request = received.find((r) => r.headers["webhook-id"] === deliveryId);
    if (!request) throw new Error("nothing was sent");
    const other = await w.subscribe(["deal.won"]);
    expect(() => verify(other.secret, request)).toThrow(/signature/i);
    expect(() => verify(other.secret, { ...request, body: request.body.replace("Lan", "Lam") })).toThrow();
  });

  it("carries two signatures during a rotation, each verified by its own secret, then one", async () => {
    const { received, url } = mockReceiver();
    const sub = await w.subscribe(["deal.won"], url);
    const rotated = await w.call("POST", `/api/v1/webhook-subscriptions/${sub.id}/rotate-secret`, {
      graceSeconds: 3600,
    });
    const newSecret = String(rotated.json.secret);
    await w.deliverEvents([
      domainEvent("deal.won", { id: "d-rot", status: "won" }, { id: "d-rot", status: "open" }),
    ]);
    await pass(Date.now());
    const [during] = received.filter((r) => JSON.parse(r.body).data.id === "d-rot");
    if (!during) throw new Error("nothing was sent");
    expect(during.headers["webhook-signature"]?.split(" ")).toHaveLength(2);
    expect(verify(newSecret, during)).toMatchObject({ type: "deal.won" });
    expect(verify(sub.secret, during)).toMatchObject({ type: "deal.won" });

    // After the grace period only the new secret signs.
    await w.deliverEvents([domainEvent("deal.won", { id: "d-rot2" }, { id: "d-rot2" })]);
    await pass(Date.now() + 2 * 3600_000);
    const [after] = received.filter((r) => JSON.parse(r.body).data.id === "d-rot2");
    if (!after) throw new Error("nothing was sent");
    expect(after.headers["webhook-signature"]?.split(" ")).toHaveLength(1);
    expect(() => verify(sub.secret, after)).toThrow(/signature/i);
  });
});

describe("retries", () => {
  it("follow the schedule with growing delays and jitter, with the same webhook-id, until a 2xx", async () => {
    const logs = captureConsole();
    const { received, url } = mockReceiver([
      { status: 500 },
      { status: 502 },
      "network",
      { status: 503 },
      { status: 200 },
    ]);
    const { sub, deliveryId } = await oneDelivery(url);
    let now = Date.now();
    const gaps: number[] = [];
    for (let i = 0; i < 4; i++) {
      await pass(now);
      const row = await delivery(deliveryId);
      expect(row.status).toBe("pending");
      expect(row.attempts).toBe(i + 1);
      const gap = (row.nextAttemptAt ?? 0) - now;
      const planned = RETRY_DELAYS_MS[i] ?? 0;
      expect(gap).toBeGreaterThanOrEqual(planned * 0.9);
      expect(gap).toBeLessThanOrEqual(planned * 1.1);
      gaps.push(gap);
      // Not before it is due.
      await pass(now + gap - 1000);
      expect(received).toHaveLength(i + 1);
      now += gap;
    }
    expect(gaps).toEqual([...gaps].sort((a, b) => a - b));
    expect((await delivery(deliveryId)).error).toBe("HTTP 503");
    await pass(now);
    expect(await delivery(deliveryId)).toMatchObject({
      status: "delivered",
      attempts: 5,
      responseStatus: 200,
    });
    expect(new Set(received.map((r) => r.headers["webhook-id"]))).toEqual(new Set([deliveryId]));
    // Each attempt is signed afresh, and each verifies.
    for (const request of received) expect(verify(sub.secret, request)).toBeTruthy();
    expect(logs.join("\n")).toContain("HTTP 502");
    expect(logs.join("\n")).not.toContain(sub.secret);
    expect(logs.join("\n")).not.toContain(RECEIVER);
  });

  it("count a receiver that does not answer within 15 seconds as a failed attempt", async () => {
    captureConsole();
    const { url } = mockReceiver(["timeout"]);
    const { deliveryId } = await oneDelivery(url);
    await pass(Date.now());
    expect(await delivery(deliveryId)).toMatchObject({
      status: "pending",
      attempts: 1,
      responseStatus: null,
      error: "No answer within 15 seconds",
    });
  });

  it("asks for a retry due within the minute through a delayed queue message", async () => {
    captureConsole();
    const { url } = mockReceiver([{ status: 500 }]);
    await oneDelivery(url);
    w.outbound.sent.length = 0;
    await pass(Date.now());
    expect(w.outbound.sent.map((m) => m.type)).toEqual([WEBHOOKS_DELIVER]);
  });

  it("honour Retry-After when it asks for longer than the schedule", async () => {
    captureConsole();
    const { url } = mockReceiver([
      { status: 503, headers: { "Retry-After": "900" } },
      { status: 429, headers: { "Retry-After": "1" } },
    ]);
    const { deliveryId } = await oneDelivery(url);
    const now = Date.now();
    await pass(now);
    expect((await delivery(deliveryId)).nextAttemptAt).toBe(now + 900_000);
    // A shorter Retry-After than the schedule's delay leaves the schedule's (5 minutes after the 2nd attempt).
    await pass(now + 900_000);
    const gap = ((await delivery(deliveryId)).nextAttemptAt ?? 0) - (now + 900_000);
    expect(gap).toBeGreaterThanOrEqual(0.9 * 5 * MINUTE);
  });

  it("retry for about three days: the spec's schedule first, then on at 10 and 12 hours", () => {
    const hours = RETRY_DELAYS_MS.reduce((sum, ms) => sum + ms, 0) / 3_600_000;
    expect(hours).toBeGreaterThan(70);
    expect(hours).toBeLessThan(74);
    expect(RETRY_DELAYS_MS.slice(0, 7)).toEqual([
      5_000,
      5 * MINUTE,
      30 * MINUTE,
      2 * 60 * MINUTE,
      5 * 60 * MINUTE,
      10 * 60 * MINUTE,
      10 * 60 * MINUTE,
    ]);
    expect(MAX_ATTEMPTS).toBe(12);
  });

  it("takes Retry-After as an HTTP date too, and a day at most", () => {
    expect(retryDelayMs(1, 3_600_000, () => 0.5)).toBe(3_600_000);
    expect(retryDelayMs(1, 10 * 24 * 3_600_000, () => 0.5)).toBe(24 * 3_600_000);
    expect(retryDelayMs(MAX_ATTEMPTS, null)).toBeNull();
  });

  it("do not follow a redirect: a 3xx is a failed attempt", async () => {
    captureConsole();
    const { received, url } = mockReceiver([
      { status: 307, headers: { Location: "http://169.254.169.254/" } },
    ]);
    const { deliveryId } = await oneDelivery(url);
    await pass(Date.now());
    expect(received).toHaveLength(1);
    expect(received[0]?.redirect).toBe("manual");
    expect(await delivery(deliveryId)).toMatchObject({
      status: "pending",
      responseStatus: 307,
      error: "HTTP 307 (redirects are not followed)",
    });
  });
});

async function adminNotifications(subscriptionId: string) {
  const admin = await w.admin();
  return w.t.db
    .select()
    .from(notifications)
    .where(
      and(
        eq(notifications.userId, admin.id),
        eq(notifications.link, `/api/v1/webhook-subscriptions/${subscriptionId}`),
      ),
    );
}

describe("disabling", () => {
  it("a 410 disables the subscription, skips its pending deliveries and notifies the admins once", async () => {
    captureConsole();
    const { received, url } = mockReceiver([{ status: 410 }]);
    const { sub, deliveryId } = await oneDelivery(url, ["contact.created", "deal.won"]);
    const now = Date.now();
    await pass(now);
    // Another event after the 410 is kept, not sent.
    await w.deliverEvents([domainEvent("deal.won", { id: "d-after-410" }, { id: "d-after-410" })]);
    await pass(now + MINUTE);
    expect(received).toHaveLength(1);
    expect(await delivery(deliveryId)).toMatchObject({ status: "failed", responseStatus: 410 });
    expect(await subscription(sub.id)).toMatchObject({
      enabled: false,
      disabledReason: "gone",
      disabledAt: now,
    });
    const rows = await w.t.db
      .select()
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.subscriptionId, sub.id));
    expect(rows.map((r) => r.status).sort()).toEqual(["failed", "skipped"]);
    const notes = await adminNotifications(sub.id);
    expect(notes).toHaveLength(1);
    // A kind of its own, so that admins choose where integration trouble reaches them.
    expect(notes[0]?.kind).toBe("integration");
    expect(notes[0]?.body).toContain("410");
  });

  it("an exhausted schedule fails the delivery, disables the subscription and notifies the admins", async () => {
    captureConsole();
    const { url } = mockReceiver(Array.from({ length: MAX_ATTEMPTS }, () => ({ status: 500 })));
    const { sub, deliveryId } = await oneDelivery(url);
    let now = Date.now();
    for (let i = 0; i < MAX_ATTEMPTS; i++) {
      await pass(now);
      now = Math.max(now, (await delivery(deliveryId)).nextAttemptAt ?? now);
    }
    expect(await delivery(deliveryId)).toMatchObject({
      status: "failed",
      attempts: MAX_ATTEMPTS,
      nextAttemptAt: null,
      error: `HTTP 500; gave up after ${MAX_ATTEMPTS} attempts`,
    });
    expect(await subscription(sub.id)).toMatchObject({ enabled: false, disabledReason: "failing" });
    expect(await adminNotifications(sub.id)).toHaveLength(1);
  });

  it("an exhausted delivery leaves the subscription on when another got through since", async () => {
    captureConsole();
    const { replies, url } = mockReceiver();
    const { sub, deliveryId } = await oneDelivery(url);
    replies.push({ status: 500 });
    let now = Date.now();
    await pass(now);
    // A later event is delivered between the failing one's retries.
    replies.push({ status: 200 });
    await w.deliverEvents([domainEvent("contact.created", { id: "c-good", name: "Good" })]);
    await pass(Date.now());
    expect(replies).toEqual([]);
    for (let i = 1; i < MAX_ATTEMPTS; i++) {
      replies.push({ status: 500 });
      now = (await delivery(deliveryId)).nextAttemptAt ?? now;
      await pass(now);
    }
    expect((await delivery(deliveryId)).status).toBe("failed");
    expect(await subscription(sub.id)).toMatchObject({ enabled: true, disabledReason: null });
  });

  it("refuses a private target at delivery too: nothing is sent, the subscription is disabled", async () => {
    captureConsole();
    const { received, others } = mockReceiver();
    const sub = await w.subscribe(["task.due"]);
    // Allowed once (a local-development setting since turned off): written straight to the table.
    await w.t.db
      .update(webhookSubscriptions)
      .set({ url: "http://169.254.169.254/latest/meta-data/" })
      .where(eq(webhookSubscriptions.id, sub.id));
    await w.deliverEvents([domainEvent("task.due", { id: "t-due" }, { id: "t-due" })]);
    await pass(Date.now());
    expect([...received, ...others].filter((r) => r.url.includes("169.254"))).toEqual([]);
    const [row] = await w.t.db
      .select()
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.subscriptionId, sub.id));
    expect(row?.status).toBe("failed");
    expect(row?.error).toMatch(/refused.*link-local/);
    expect(await subscription(sub.id)).toMatchObject({ enabled: false, disabledReason: "target_refused" });
  });
});

describe("the delivery log and replays", () => {
  it("lists deliveries filtered by subscription, status and event type, in one round trip", async () => {
    captureConsole();
    const { url } = mockReceiver([{ status: 200 }, { status: 500 }]);
    const sub = await w.subscribe(["contact.created", "deal.lost"], url);
    await w.deliverEvents([
      domainEvent("contact.created", { id: "c-log" }),
      domainEvent("deal.lost", { id: "d-log" }, { id: "d-log" }),
    ]);
    await pass(Date.now());
    const all = await w.call("GET", `/api/v1/webhook-deliveries?subscriptionId=${sub.id}`);
    expect(all.status).toBe(200);
    expect(all.trips).toBe(1);
    const items = all.json.items as {
      eventType: string;
      status: string;
      attempts: number;
      durationMs: number;
    }[];
    expect(items).toHaveLength(2);
    expect(items.every((i) => i.attempts === 1 && typeof i.durationMs === "number")).toBe(true);
    const pending = await w.call("GET", `/api/v1/webhook-deliveries?subscriptionId=${sub.id}&status=pending`);
    expect((pending.json.items as { nextAttemptAt: number; error: string }[])[0]).toMatchObject({
      nextAttemptAt: expect.any(Number),
      error: "HTTP 500",
    });
    const byType = await w.call(
      "GET",
      `/api/v1/webhook-deliveries?subscriptionId=${sub.id}&eventType=deal.lost`,
    );
    expect((byType.json.items as { eventType: string }[]).map((i) => i.eventType)).toEqual(["deal.lost"]);
    const bad = await w.call("GET", "/api/v1/webhook-deliveries?status=exploded");
    expect(bad.status).toBe(422);
  });

  it("shows one delivery with the exact body sent and the receiver's answer", async () => {
    const { received, url } = mockReceiver([{ status: 200, body: "thanks" }]);
    const { deliveryId } = await oneDelivery(url);
    await pass(Date.now());
    const detail = await w.call("GET", `/api/v1/webhook-deliveries/${deliveryId}`);
    expect(detail.json).toMatchObject({ id: deliveryId, status: "delivered", responseBody: "thanks" });
    expect(detail.json.payload).toBe(received.find((r) => r.headers["webhook-id"] === deliveryId)?.body);
    expect(
      (await w.call("GET", "/api/v1/webhook-deliveries/01900000-0000-7000-8000-000000000000")).status,
    ).toBe(404);
  });

  it("replays one delivery with the same webhook-id and sequence, on a fresh schedule", async () => {
    captureConsole();
    const { received, url } = mockReceiver([{ status: 200 }, { status: 200 }]);
    const { deliveryId } = await oneDelivery(url);
    await pass(Date.now());
    w.outbound.sent.length = 0;
    const replay = await w.call("POST", `/api/v1/webhook-deliveries/${deliveryId}/replay`);
    expect(replay.status).toBe(202);
    expect(replay.trips).toBe(1);
    expect(replay.json).toMatchObject({ id: deliveryId, status: "pending", attempts: 0 });
    expect(w.outbound.sent.map((m) => m.type)).toEqual([WEBHOOKS_DELIVER]);
    await pass(Date.now());
    const sent = received.filter((r) => r.headers["webhook-id"] === deliveryId);
    expect(sent).toHaveLength(2);
    expect(sent[1]?.body).toBe(sent[0]?.body);
    expect(await delivery(deliveryId)).toMatchObject({ status: "delivered", attempts: 1 });
  });

  it("replays a disabled subscription's skipped deliveries once it is enabled again, not before", async () => {
    captureConsole();
    const { received, url } = mockReceiver([{ status: 410 }]);
    const { sub } = await oneDelivery(url, ["contact.created"]);
    await pass(Date.now());
    await w.deliverEvents([
      domainEvent("contact.created", { id: "c-missed-1" }),
      domainEvent("contact.created", { id: "c-missed-2" }),
    ]);
    const refused = await w.call("POST", "/api/v1/webhook-deliveries/replay", {
      subscriptionId: sub.id,
      status: "skipped",
    });
    expect(refused.status).toBe(202);
    expect(refused.json.replayed).toEqual([]);
    const skipped = await w.t.db
      .select()
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.subscriptionId, sub.id), eq(webhookDeliveries.status, "skipped")));
    const one = skipped[0]?.id ?? "";
    expect((await w.call("POST", `/api/v1/webhook-deliveries/${one}/replay`)).status).toBe(409);

    await w.call("PATCH", `/api/v1/webhook-subscriptions/${sub.id}`, { enabled: true });
    const replay = await w.call("POST", "/api/v1/webhook-deliveries/replay", {
      subscriptionId: sub.id,
      status: "skipped",
    });
    expect(replay.trips).toBe(1);
    expect((replay.json.replayed as string[]).sort()).toEqual(skipped.map((s) => s.id).sort());
    await pass(Date.now());
    const sequences = received
      .filter((r) => skipped.some((s) => s.id === r.headers["webhook-id"]))
      .map((r) => Number(r.headers["webhook-sequence"]))
      .sort();
    expect(sequences).toEqual([2, 3]);
  });

  it("refuses a replay without ids or a filter", async () => {
    const { status } = await w.call("POST", "/api/v1/webhook-deliveries/replay", {});
    expect(status).toBe(422);
  });
});

describe("the minute cron", () => {
  it("runs the webhooks-out job on * * * * *, with the scheduled time as its clock", async () => {
    const { received, url } = mockReceiver([{ status: 200 }]);
    const { deliveryId } = await oneDelivery(url);
    const at = Date.now() + 5 * MINUTE;
    await w.t.scheduled("* * * * *", at);
    expect(received.some((r) => r.headers["webhook-id"] === deliveryId)).toBe(true);
    expect(await delivery(deliveryId)).toMatchObject({ status: "delivered", deliveredAt: at });
  });
});
