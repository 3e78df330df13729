// The outgoing-webhooks API: subscriptions (secret shown once, SSRF guard and event catalogue at creation,
// If-Match, turning off and on, rotation, delete), the test event, and errors that write nothing. Each request
// is one database round trip; only admins reach any of it.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { webhookDeliveries, webhookSubscriptions } from "../../db/schema/index.ts";
import { WEBHOOK_EVENT_TYPES } from "../../queues/webhooks-out/catalogue.ts";
import { WEBHOOKS_DELIVER } from "../../queues/webhooks-out/deliver.ts";
import { createUser, sessionFor } from "./factories.ts";
import { domainEvent, RECEIVER, webhooksTest } from "./webhooks-out-support.ts";

const w = webhooksTest();
const local = webhooksTest({ WEBHOOKS_ALLOW_PRIVATE_TARGETS: "true" });

async function subscriptionRows() {
  return w.t.db.select().from(webhookSubscriptions);
}

describe("the event catalogue", () => {
  it("lists every domain event type and form.submitted, each described", async () => {
    const { status, json, trips } = await w.call("GET", "/api/v1/webhook-event-types");
    expect(status).toBe(200);
    expect(trips).toBe(1);
    const types = (json.types as { type: string; description: string }[]).map((t) => t.type);
    for (const type of [
      "contact.created",
      "contact.updated",
      "contact.deleted",
      "deal.created",
      "deal.stage_changed",
      "deal.won",
      "deal.lost",
      "form.submitted",
      "task.due",
      "activity.created",
      "company.created",
    ]) {
      expect(types).toContain(type);
    }
    expect(types).toEqual([...WEBHOOK_EVENT_TYPES]);
    for (const entry of json.types as { description: string }[])
      expect(entry.description.length).toBeGreaterThan(5);
  });
});

describe("creating a subscription", () => {
  it("answers 201 with a whsec_ secret shown once: never in a read or a list", async () => {
    const { status, json, headers, trips } = await w.call("POST", "/api/v1/webhook-subscriptions", {
      url: `${RECEIVER}/crm`,
      events: ["deal.won", "contact.created", "deal.won"],
      description: "Data warehouse",
    });
    expect(status).toBe(201);
    expect(trips).toBe(1);
    expect(json).toMatchObject({
      url: `${RECEIVER}/crm`,
      events: ["deal.won", "contact.created"],
      description: "Data warehouse",
      enabled: true,
      disabledReason: null,
      lastSequence: 0,
      version: 1,
    });
    const secret = String(json.secret);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(headers.get("Location")).toBe(`/api/v1/webhook-subscriptions/${json.id}`);

    const read = await w.call("GET", `/api/v1/webhook-subscriptions/${json.id}`);
    expect(read.status).toBe(200);
    expect(read.trips).toBe(1);
    expect(read.headers.get("ETag")).toBe('W/"1"');
    expect(JSON.stringify(read.json)).not.toContain(secret);
    expect(read.json).not.toHaveProperty("secret");
    const list = await w.call("GET", "/api/v1/webhook-subscriptions");
    expect(JSON.stringify(list.json)).not.toContain(secret.slice(6));
    expect((list.json.items as { id: string }[]).map((s) => s.id)).toContain(json.id);
  });

  it("takes `*` for every event", async () => {
    const { status, json } = await w.call("POST", "/api/v1/webhook-subscriptions", {
      url: `${RECEIVER}/all`,
      events: ["*"],
    });
    expect(status).toBe(201);
    expect(json.events).toEqual(["*"]);
  });

  it.each([
    ["a loopback target", { url: "http://127.0.0.1:8787/hook", events: ["*"] }, /loopback/],
    ["a private network", { url: "https://10.0.0.5/hook", events: ["*"] }, /private network/],
    ["the cloud metadata address", { url: "http://169.254.169.254/latest", events: ["*"] }, /link-local/],
    ["localhost", { url: "http://localhost:3000/hook", events: ["*"] }, /local host name/],
    ["a .local name", { url: "http://nas.local/hook", events: ["*"] }, /local or internal/],
    ["a unique local IPv6 address", { url: "http://[fd00::1]/hook", events: ["*"] }, /fc00::\/7/],
    ["another scheme", { url: "ftp://hooks.example.com/x", events: ["*"] }, /http/],
    ["an unknown event type", { url: `${RECEIVER}/x`, events: ["contact.exploded"] }, /Unknown event type/],
    ["no events", { url: `${RECEIVER}/x`, events: [] }, /events/],
    ["an unknown field", { url: `${RECEIVER}/x`, events: ["*"], secret: "whsec_mine" }, /secret/],
  ])("refuses %s with a 422 and writes nothing", async (_, body, detail) => {
    const before = (await subscriptionRows()).length;
    const { status, json, headers, trips } = await w.call("POST", "/api/v1/webhook-subscriptions", body);
    expect(status).toBe(422);
    expect(headers.get("Content-Type")).toContain("application/problem+json");
    expect(String(json.detail)).toMatch(detail);
    expect(trips).toBeLessThanOrEqual(1);
    expect((await subscriptionRows()).length).toBe(before);
  });

  it("lets private targets through with WEBHOOKS_ALLOW_PRIVATE_TARGETS=true (local development)", async () => {
    const { status, json } = await local.call("POST", "/api/v1/webhook-subscriptions", {
      url: "http://127.0.0.1:9999/hook",
      events: ["*"],
    });
    expect(status).toBe(201);
    expect(json.url).toBe("http://127.0.0.1:9999/hook");
  });

  it("is for admins only: a manager is refused and nothing is written", async () => {
    const manager = await createUser(w.t.db, { role: "manager" });
    const { headers } = await sessionFor(w.t.db, manager);
    const before = (await subscriptionRows()).length;
    const response = await w.t.fetch("/api/v1/webhook-subscriptions", {
      method: "POST",
      headers: { ...headers, "Content-Type": "application/json" },
      body: JSON.stringify({ url: `${RECEIVER}/x`, events: ["*"] }),
    });
    expect(response.status).toBe(403);
    expect((await subscriptionRows()).length).toBe(before);
    const read = await w.t.fetch("/api/v1/webhook-deliveries", { headers });
    expect(read.status).toBe(403);
  });
});

describe("changing a subscription", () => {
  it("updates with If-Match, and answers 412 to a stale version", async () => {
    const { id } = await w.subscribe(["contact.created"]);
    const updated = await w.call(
      "PATCH",
      `/api/v1/webhook-subscriptions/${id}`,
      { events: ["deal.won", "deal.lost"], url: `${RECEIVER}/v2` },
      { "If-Match": 'W/"1"' },
    );
    expect(updated.status).toBe(200);
    expect(updated.trips).toBe(1);
    expect(updated.json).toMatchObject({
      events: ["deal.won", "deal.lost"],
      url: `${RECEIVER}/v2`,
      version: 2,
    });
    const stale = await w.call(
      "PATCH",
      `/api/v1/webhook-subscriptions/${id}`,
      { description: "late" },
      { "If-Match": 'W/"1"' },
    );
    expect(stale.status).toBe(412);
    const [row] = await w.t.db.select().from(webhookSubscriptions).where(eq(webhookSubscriptions.id, id));
    expect(row?.description).toBeNull();
  });

  it("refuses a private target on update (422) and leaves the subscription as it was", async () => {
    const { id } = await w.subscribe();
    const { status } = await w.call("PATCH", `/api/v1/webhook-subscriptions/${id}`, {
      url: "http://192.168.1.20/hook",
    });
    expect(status).toBe(422);
    const [row] = await w.t.db.select().from(webhookSubscriptions).where(eq(webhookSubscriptions.id, id));
    expect(row?.url).toBe(`${RECEIVER}/hook`);
  });

  it("turned off: reason manual, its pending deliveries and new events kept as skipped; on again clears it", async () => {
    const { id } = await w.subscribe(["contact.created"]);
    await w.deliverEvents([domainEvent("contact.created", { id: "c-before-off", name: "Lan" })]);
    const off = await w.call("PATCH", `/api/v1/webhook-subscriptions/${id}`, { enabled: false });
    expect(off.status).toBe(200);
    expect(off.json).toMatchObject({ enabled: false, disabledReason: "manual" });
    expect(off.json.disabledAt).toEqual(expect.any(Number));
    await w.deliverEvents([domainEvent("contact.created", { id: "c-while-off", name: "Minh" })]);
    const rows = await w.t.db
      .select()
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.subscriptionId, id))
      .orderBy(webhookDeliveries.sequence);
    expect(rows.map((r) => [r.sequence, r.status])).toEqual([
      [1, "skipped"],
      [2, "skipped"],
    ]);
    const on = await w.call("PATCH", `/api/v1/webhook-subscriptions/${id}`, { enabled: true });
    expect(on.json).toMatchObject({ enabled: true, disabledReason: null, disabledAt: null });
  });

  it("answers 404 for an unknown id on read, update, delete, rotation and test", async () => {
    const unknown = "01900000-0000-7000-8000-00000000dead";
    for (const [method, path, body] of [
      ["GET", `/api/v1/webhook-subscriptions/${unknown}`, undefined],
      ["PATCH", `/api/v1/webhook-subscriptions/${unknown}`, { description: "x" }],
      ["DELETE", `/api/v1/webhook-subscriptions/${unknown}`, undefined],
      ["POST", `/api/v1/webhook-subscriptions/${unknown}/rotate-secret`, {}],
      ["POST", `/api/v1/webhook-subscriptions/${unknown}/test`, undefined],
    ] as const) {
      const { status, trips } = await w.call(method, path, body);
      expect([method, path, status]).toEqual([method, path, 404]);
      expect(trips).toBe(1);
    }
  });

  it("deletes a subscription with its delivery log", async () => {
    const { id } = await w.subscribe(["contact.created"]);
    await w.deliverEvents([domainEvent("contact.created", { id: "c-deleted-sub", name: "Hoa" })]);
    const { status, trips } = await w.call("DELETE", `/api/v1/webhook-subscriptions/${id}`);
    expect(status).toBe(204);
    expect(trips).toBe(1);
    expect(
      await w.t.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.subscriptionId, id)),
    ).toEqual([]);
    expect((await w.call("GET", `/api/v1/webhook-subscriptions/${id}`)).status).toBe(404);
  });
});

describe("secret rotation", () => {
  it("shows the new secret once and keeps the old one signing for the grace period", async () => {
    const { id, secret } = await w.subscribe();
    const before = Date.now();
    const { status, json, trips } = await w.call(
      "POST",
      `/api/v1/webhook-subscriptions/${id}/rotate-secret`,
      {
        graceSeconds: 3600,
      },
    );
    expect(status).toBe(200);
    expect(trips).toBe(1);
    expect(json.secret).toMatch(/^whsec_/);
    expect(json.secret).not.toBe(secret);
    expect(Number(json.previousSecretExpiresAt)).toBeGreaterThanOrEqual(before + 3600_000);
    const [row] = await w.t.db.select().from(webhookSubscriptions).where(eq(webhookSubscriptions.id, id));
    expect(row).toMatchObject({ secret: json.secret, previousSecret: secret });

    const now = await w.call("POST", `/api/v1/webhook-subscriptions/${id}/rotate-secret`, {
      graceSeconds: 0,
    });
    expect(now.json.previousSecretExpiresAt).toBeNull();
  });

  it("refuses a grace period over a week", async () => {
    const { id } = await w.subscribe();
    const { status } = await w.call("POST", `/api/v1/webhook-subscriptions/${id}/rotate-secret`, {
      graceSeconds: 8 * 24 * 3600,
    });
    expect(status).toBe(422);
  });
});

describe("the test event", () => {
  it("queues a webhook.test delivery for this subscription only, and asks for a delivery pass", async () => {
    const { id } = await w.subscribe(["deal.won"]);
    const other = await w.subscribe(["*"]);
    w.outbound.sent.length = 0;
    const { status, json, trips } = await w.call("POST", `/api/v1/webhook-subscriptions/${id}/test`);
    expect(status).toBe(202);
    expect(trips).toBe(1);
    expect(json).toMatchObject({ type: "webhook.test", eventId: expect.stringMatching(/^test_/) });
    const rows = await w.t.db
      .select()
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.eventId, String(json.eventId)));
    expect(rows.map((r) => [r.id, r.subscriptionId, r.status, r.sequence])).toEqual([
      [json.deliveryId, id, "pending", 1],
    ]);
    expect(rows.some((r) => r.subscriptionId === other.id)).toBe(false);
    expect(w.outbound.sent.map((m) => m.type)).toEqual([WEBHOOKS_DELIVER]);
  });

  it("is a 409 for a disabled subscription, and writes nothing", async () => {
    const { id } = await w.subscribe();
    await w.call("PATCH", `/api/v1/webhook-subscriptions/${id}`, { enabled: false });
    const { status, json } = await w.call("POST", `/api/v1/webhook-subscriptions/${id}/test`);
    expect(status).toBe(409);
    expect(String(json.detail)).toContain("disabled");
    expect(
      await w.t.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.subscriptionId, id)),
    ).toEqual([]);
  });
});
