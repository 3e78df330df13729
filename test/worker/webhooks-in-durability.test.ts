// Inbound deliveries are answered 2xx only once durable, in at most one database round trip: queued with none
// when the source is known here; the source read in one when it is not; written to the inbox in one when the
// queue refuses (or the body is too large for a message), then swept onto the queue or processed; and 503 with
// Retry-After when nothing took it. With the database stopped, a source known here still verifies.
import { eq } from "drizzle-orm";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { newId } from "../../db/ids.ts";
import { webhookInbox } from "../../db/schema/index.ts";
import { FRESH_MS } from "../../functions/hooks/source-cache.ts";
import { createUser, sessionFor } from "./factories.ts";
import { type Headers, hooksTest, type Json, standardHeaders, stopDatabase } from "./webhooks-in-support.ts";

const { t, capture, createSource, post, drain, forget, contactByEmail } = hooksTest();

let admin: Headers;
let source: { id: string; secret: string };

beforeAll(async () => {
  admin = (await sessionFor(t.db, await createUser(t.db, { role: "admin" }))).headers;
  source = await createSource(admin, {
    name: "Durable",
    verification: { kind: "standard_webhooks" },
    mapping: {
      fields: { "contact.email": "email", "contact.custom.note": "note" },
      rules: [{ actions: [{ type: "upsert_contact" }, { type: "log_activity" }] }],
    },
  });
});

afterEach(() => {
  vi.restoreAllMocks();
  capture.failing = false;
});

function delivery(email: string, extra: Json = {}) {
  const body = JSON.stringify({ email, ...extra });
  const id = `msg_${newId()}`;
  return { id, body, headers: standardHeaders(source.secret, id, body) };
}

describe("round trips", () => {
  it("makes none for a source known here, and one to read a source that is not", async () => {
    const known = delivery("known@example.vn");
    expect((await post(source.id, known.body, known.headers)).trips).toBe(0);
    await forget(source.id);
    const cold = delivery("cold@example.vn");
    const response = await post(source.id, cold.body, cold.headers);
    expect(response.status).toBe(202);
    expect(response.trips).toBe(1);
    // Read once, it is known again.
    const warm = delivery("warm@example.vn");
    expect((await post(source.id, warm.body, warm.headers)).trips).toBe(0);
    expect(capture.sent).toHaveLength(3);
    await drain();
  });
});

describe("when the queue refuses", () => {
  it("writes the delivery to the inbox in one round trip, answers 202, and the sweep hands it on", async () => {
    const d = delivery("queue-down@example.vn");
    capture.failing = true;
    const response = await post(source.id, d.body, d.headers);
    expect(response.status).toBe(202);
    expect(response.trips).toBe(1);
    const [row] = await t.db.select().from(webhookInbox).where(eq(webhookInbox.deliveryId, d.id));
    expect(row).toMatchObject({ status: "received", body: d.body, sourceId: source.id });
    expect(JSON.parse(row?.headers ?? "{}")).toMatchObject({ "webhook-id": d.id });

    // The sweep leaves it a minute (its message may be on its way), then, the queue still down, processes it.
    await t.scheduled("* * * * *", Date.now() + 2 * 60_000);
    expect(await contactByEmail("queue-down@example.vn")).toBeUndefined();
    await t.db.update(webhookInbox).set({ updatedAt: 0 }).where(eq(webhookInbox.deliveryId, d.id));
    await t.scheduled("* * * * *", Date.now() + 3 * 60_000);
    expect(await contactByEmail("queue-down@example.vn")).toBeDefined();
    const [done] = await t.db.select().from(webhookInbox).where(eq(webhookInbox.deliveryId, d.id));
    expect(done?.status).toBe("processed");
  });

  it("queues a kept delivery without its body once the queue is back", async () => {
    const d = delivery("swept@example.vn");
    capture.failing = true;
    expect((await post(source.id, d.body, d.headers)).status).toBe(202);
    capture.failing = false;
    await t.db.update(webhookInbox).set({ updatedAt: 0 }).where(eq(webhookInbox.deliveryId, d.id));
    await t.scheduled("* * * * *", Date.now() + 4 * 60_000);
    const message = capture.sent.find((m) => (m.data as Json).deliveryId === d.id);
    expect(message?.data).toMatchObject({ body: null, deliveryId: d.id });
    await drain();
    expect(await contactByEmail("swept@example.vn")).toBeDefined();
  });

  it("answers 503 with Retry-After when the request already spent its round trip reading the source", async () => {
    await forget(source.id);
    const d = delivery("cold-and-down@example.vn");
    capture.failing = true;
    const response = await post(source.id, d.body, d.headers);
    expect(response.status).toBe(503);
    expect(response.trips).toBe(1);
    expect(response.headers.get("Retry-After")).toBe("30");
    const [row] = await t.db.select().from(webhookInbox).where(eq(webhookInbox.deliveryId, d.id));
    expect(row).toBeUndefined();
    // The sender's retry finds the source known, and the inbox takes it.
    const retry = await post(source.id, d.body, d.headers);
    expect(retry.status).toBe(202);
    expect(retry.trips).toBe(1);
  });
});

describe("large bodies", () => {
  it("keeps a body too large for a queue message in the inbox and queues a message without it", async () => {
    const d = delivery("large@example.vn", { note: "x".repeat(200_000) });
    const response = await post(source.id, d.body, d.headers);
    expect(response.status).toBe(202);
    expect(response.trips).toBe(1);
    const message = capture.sent.at(-1);
    expect(message?.data).toMatchObject({ deliveryId: d.id, body: null });
    await drain();
    const [row] = await t.db.select().from(webhookInbox).where(eq(webhookInbox.deliveryId, d.id));
    expect(row?.status).toBe("processed");
    expect(row?.body).toBe(d.body);
    expect(await contactByEmail("large@example.vn")).toBeDefined();
  });

  it("refuses a body over 1 MB with 413, keeping nothing", async () => {
    const d = delivery("huge@example.vn", { note: "x".repeat(1024 * 1024) });
    const response = await post(source.id, d.body, d.headers);
    expect(response.status).toBe(413);
    const [row] = await t.db.select().from(webhookInbox).where(eq(webhookInbox.deliveryId, d.id));
    expect(row).toBeUndefined();
  });
});

describe("with the database stopped", () => {
  it("still takes a delivery for a source known here, and refuses a bad one", async () => {
    const d = delivery("db-down@example.vn");
    const stopped = stopDatabase(t.env.LIBSQL_URL ?? "");
    try {
      const response = await post(source.id, d.body, d.headers);
      expect(response.status).toBe(202);
      const bad = await post(source.id, `${d.body} `, d.headers);
      expect(bad.status).toBe(401);
      // Past its minute the entry is stale, and the database cannot refresh it: it still verifies.
      const later = Date.now() + FRESH_MS + 5_000;
      vi.spyOn(Date, "now").mockReturnValue(later);
      const stale = delivery("db-down-stale@example.vn");
      const staleHeaders = standardHeaders(source.secret, stale.id, stale.body, new Date(later));
      expect((await post(source.id, stale.body, staleHeaders)).status).toBe(202);
    } finally {
      stopped.mockRestore();
      vi.restoreAllMocks();
    }
    await drain();
    expect(await contactByEmail("db-down@example.vn")).toBeDefined();
    expect(await contactByEmail("db-down-stale@example.vn")).toBeDefined();
  });

  it("answers 503 for a source this location never saw, and when the queue refuses too", async () => {
    const d = delivery("db-down-2@example.vn");
    const stopped = stopDatabase(t.env.LIBSQL_URL ?? "");
    try {
      capture.failing = true;
      const both = await post(source.id, d.body, d.headers);
      expect(both.status).toBe(503);
      expect(both.headers.get("Retry-After")).toBe("30");
      capture.failing = false;
      await forget(source.id);
      const unknown = await post(source.id, d.body, d.headers);
      expect(unknown.status).toBe(503);
      expect(unknown.body).toMatchObject({ code: "unavailable" });
    } finally {
      stopped.mockRestore();
    }
    expect(capture.sent).toEqual([]);
    const [row] = await t.db.select().from(webhookInbox).where(eq(webhookInbox.deliveryId, d.id));
    expect(row).toBeUndefined();
  });
});
