// POST /hooks/{sourceId}: deliveries signed by the reference `standardwebhooks` library and by HubSpot's v3
// algorithm are taken (202, then one contact, one timeline entry, the events); a tampered body, a wrong secret,
// a stale timestamp and a replayed id are refused or answered as duplicates and write nothing; a rotated
// secret is accepted while both are held. The other kinds (HMAC, token, Basic) too, briefly.
import { eq } from "drizzle-orm";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { newId } from "../../db/ids.ts";
import { activities, contacts, webhookInbox, webhookInboxEvents } from "../../db/schema/index.ts";
import { createUser, sessionFor } from "./factories.ts";
import {
  bodySignature,
  type Headers,
  hooksTest,
  hubspotHeaders,
  type Json,
  ORIGIN,
  standardHeaders,
} from "./webhooks-in-support.ts";

const { t, capture, call, createSource, post, drain, inboxCount, contactByEmail, sentEvents } = hooksTest();

let admin: Headers;

beforeAll(async () => {
  admin = (await sessionFor(t.db, await createUser(t.db, { role: "admin" }))).headers;
});

afterEach(() => {
  vi.restoreAllMocks();
  capture.failing = false;
});

const LEAD_MAPPING: Json = {
  eventType: "type",
  fields: { "contact.email": "data.email", "contact.firstName": "data.first_name" },
  rules: [
    {
      actions: [
        { type: "upsert_contact" },
        { type: "log_activity" },
        { type: "record_engagement", kind: "form_submitted" },
      ],
    },
  ],
};

function lead(email: string, extra: Json = {}): string {
  return JSON.stringify({ type: "lead.created", data: { email, first_name: "An", ...extra } });
}

async function standardSource() {
  return createSource(admin, {
    name: "Standard",
    verification: { kind: "standard_webhooks" },
    mapping: LEAD_MAPPING,
  });
}

async function nothingKept(sourceId: string) {
  expect(capture.sent).toEqual([]);
  expect(await inboxCount(sourceId)).toBe(0);
}

describe("Standard Webhooks", () => {
  it("takes a delivery signed by the standardwebhooks library: 202 with no round trip, then one lead", async () => {
    const source = await standardSource();
    expect(source.secret).toMatch(/^whsec_/);
    const body = lead("an.std@example.vn");
    const id = `msg_${newId()}`;
    const response = await post(source.id, body, standardHeaders(source.secret, id, body));
    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({ deliveryId: id, status: "accepted" });
    expect(response.trips).toBe(0);
    expect(capture.sent).toHaveLength(1);
    expect(capture.sent[0]).toMatchObject({
      type: "webhook.delivery",
      data: { sourceId: source.id, deliveryId: id },
    });

    const result = await drain();
    expect(result?.explicitAcks).toHaveLength(1);
    const contact = await contactByEmail("an.std@example.vn");
    expect(contact).toMatchObject({ firstName: "An", source: "Webhook: Standard" });
    const [row] = await t.db.select().from(webhookInbox).where(eq(webhookInbox.sourceId, source.id));
    expect(row).toMatchObject({
      deliveryId: id,
      status: "processed",
      eventType: "lead.created",
      eventCount: 1,
    });
    expect(JSON.parse(row?.verification ?? "{}")).toMatchObject({ kind: "standard_webhooks", secret: 1 });
    expect(row?.body).toBe(body);
    const logged = await t.db
      .select()
      .from(activities)
      .where(eq(activities.contactId, contact?.id ?? ""));
    expect(logged.map((a) => a.type)).toEqual(["webhook_event"]);
    expect(sentEvents("engagement.recorded").at(-1)?.data).toMatchObject({
      contactId: contact?.id,
      kind: "form_submitted",
    });
    expect(sentEvents("webhook.event").at(-1)?.data).toEqual({
      sourceId: source.id,
      deliveryId: row?.id,
      eventType: "lead.created",
      contactId: contact?.id,
      payload: JSON.parse(body),
    });
  });

  it("refuses a tampered body, a wrong secret and a missing signature with 401, keeping nothing", async () => {
    const source = await standardSource();
    const body = lead("tampered@example.vn");
    const headers = standardHeaders(source.secret, `msg_${newId()}`, body);
    const tampered = await post(source.id, body.replace("tampered", "tamperee"), headers);
    expect(tampered.status).toBe(401);
    expect(tampered.headers.get("Content-Type")).toBe("application/problem+json");
    expect(tampered.body).toMatchObject({ code: "unauthorized" });

    const other = `whsec_${btoa("another secret of enough bytes!!")}`;
    const wrong = await post(source.id, body, standardHeaders(other, `msg_${newId()}`, body));
    expect(wrong.status).toBe(401);
    const unsigned = await post(source.id, body, { "webhook-id": "msg_x", "webhook-timestamp": "1" });
    expect(unsigned.status).toBe(401);
    await nothingKept(source.id);
    expect(await contactByEmail("tampered@example.vn")).toBeUndefined();
  });

  it("refuses a timestamp more than 5 minutes away, either way, with 400, keeping nothing", async () => {
    const source = await standardSource();
    const body = lead("stale@example.vn");
    const old = await post(
      source.id,
      body,
      standardHeaders(source.secret, `msg_${newId()}`, body, new Date(Date.now() - 6 * 60_000)),
    );
    expect(old.status).toBe(400);
    expect(old.body.detail).toMatch(/5 minutes/);
    const future = await post(
      source.id,
      body,
      standardHeaders(source.secret, `msg_${newId()}`, body, new Date(Date.now() + 6 * 60_000)),
    );
    expect(future.status).toBe(400);
    // Within the tolerance is fine.
    const recent = await post(
      source.id,
      body,
      standardHeaders(source.secret, `msg_${newId()}`, body, new Date(Date.now() - 4 * 60_000)),
    );
    expect(recent.status).toBe(202);
    capture.sent.splice(0);
  });

  it("answers a replayed delivery id as a duplicate and queues nothing again", async () => {
    const source = await standardSource();
    const body = lead("replayed@example.vn");
    const id = `msg_${newId()}`;
    const headers = standardHeaders(source.secret, id, body);
    expect((await post(source.id, body, headers)).status).toBe(202);
    await drain();
    const before = await contactByEmail("replayed@example.vn");

    // The very same request again, and the same id signed afresh over another body.
    const again = await post(source.id, body, headers);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ deliveryId: id, status: "duplicate" });
    const other = lead("replayed@example.vn", { first_name: "Changed" });
    const resigned = await post(source.id, other, standardHeaders(source.secret, id, other));
    expect(resigned.status).toBe(200);
    expect(capture.sent).toEqual([]);
    expect(await inboxCount(source.id)).toBe(1);
    expect(await contactByEmail("replayed@example.vn")).toEqual(before);
  });

  it("processes a delivery once however often its message comes, even under another inbox id", async () => {
    const source = await standardSource();
    const body = lead("twice@example.vn");
    expect((await post(source.id, body, standardHeaders(source.secret, "msg_twice", body))).status).toBe(202);
    const [message] = capture.sent.splice(0);
    if (!message) throw new Error("nothing queued");
    // The same message twice in one batch, then once more later, and a copy that another location queued.
    const copy = { ...message, id: newId(), data: { ...(message.data as Json), inboxId: newId() } };
    await t.queue("crm-capture", [message, message]);
    const contact = await contactByEmail("twice@example.vn");
    const eventsBefore = sentEvents("webhook.event").length;
    const result = await t.queue("crm-capture", [message, copy]);
    expect(result.explicitAcks).toHaveLength(2);
    expect(await inboxCount(source.id)).toBe(1);
    expect(await contactByEmail("twice@example.vn")).toEqual(contact);
    const logged = await t.db
      .select()
      .from(activities)
      .where(eq(activities.contactId, contact?.id ?? ""));
    expect(logged).toHaveLength(1);
    const rows = await t.db.select().from(contacts).where(eq(contacts.email, "twice@example.vn"));
    expect(rows).toHaveLength(1);
    // Announced again with the same ids, which their consumers key on.
    const ids = sentEvents("webhook.event")
      .slice(eventsBefore)
      .map((m) => m.id);
    expect(new Set(ids).size).toBe(1);
  });

  it("accepts either secret during a rotation, and only the new one once the old is retired", async () => {
    const source = await standardSource();
    const added = await call("POST", `/api/v1/webhook-sources/${source.id}/secrets`, admin, {});
    expect(added.status).toBe(201);
    const newSecret = added.body.secret as string;
    expect(newSecret).toMatch(/^whsec_/);
    expect((added.body.source as Json).secrets).toHaveLength(2);

    const oldBody = lead("rotate-old@example.vn");
    const byOld = await post(source.id, oldBody, standardHeaders(source.secret, `msg_${newId()}`, oldBody));
    expect(byOld.status).toBe(202);
    const newBody = lead("rotate-new@example.vn");
    const byNew = await post(source.id, newBody, standardHeaders(newSecret, `msg_${newId()}`, newBody));
    expect(byNew.status).toBe(202);
    expect(
      capture.sent.map((m) => (m.data as { verification: { secret: number } }).verification.secret),
    ).toEqual([2, 1]);
    await drain();

    const third = await call("POST", `/api/v1/webhook-sources/${source.id}/secrets`, admin, {});
    expect(third.status).toBe(409);
    const oldId = ((added.body.source as Json).secrets as { id: string }[])[1]?.id;
    const retired = await call("POST", `/api/v1/webhook-sources/${source.id}/secrets/retire`, admin, {
      secretId: oldId,
    });
    expect(retired.status).toBe(200);
    const late = lead("rotate-late@example.vn");
    expect((await post(source.id, late, standardHeaders(source.secret, `msg_${newId()}`, late))).status).toBe(
      401,
    );
    expect((await post(source.id, late, standardHeaders(newSecret, `msg_${newId()}`, late))).status).toBe(
      202,
    );
    capture.sent.splice(0);
    const last = await call("POST", `/api/v1/webhook-sources/${source.id}/secrets/retire`, admin, {
      secretId: (retired.body.secrets as { id: string }[])[0]?.id,
    });
    expect(last.status).toBe(409);
  });

  it("answers 404 for an unknown or archived source, and for an id that is not one, keeping nothing", async () => {
    const unknown = newId();
    const body = lead("nobody@example.vn");
    const missing = await post(
      unknown,
      body,
      standardHeaders(`whsec_${btoa("x".repeat(24))}`, "msg_1", body),
    );
    expect(missing.status).toBe(404);
    expect(missing.trips).toBe(1);
    expect((await post("not-a-source", body)).trips).toBe(0);
    const source = await standardSource();
    expect((await call("DELETE", `/api/v1/webhook-sources/${source.id}`, admin)).status).toBe(204);
    const archived = await post(source.id, body, standardHeaders(source.secret, `msg_${newId()}`, body));
    expect(archived.status).toBe(404);
    await nothingKept(source.id);
    expect((await call("POST", `/api/v1/webhook-sources/${source.id}/restore`, admin)).status).toBe(200);
    expect((await post(source.id, body, standardHeaders(source.secret, `msg_${newId()}`, body))).status).toBe(
      202,
    );
    capture.sent.splice(0);
  });
});

describe("HubSpot signature v3", () => {
  const HUBSPOT_SECRET = "3c6b1d0e-7f2a-4b8c-9d1e-0a2b3c4d5e6f";
  const events = (email: string) =>
    JSON.stringify([
      {
        eventId: 1001,
        subscriptionId: 42,
        portalId: 62515,
        occurredAt: Date.now(),
        subscriptionType: "contact.propertyChange",
        attemptNumber: 0,
        objectId: 123,
        propertyName: "email",
        propertyValue: email,
      },
    ]);

  async function hubspotSource() {
    return createSource(admin, {
      name: "HubSpot",
      verification: { kind: "hubspot_v3" },
      secret: HUBSPOT_SECRET,
      mapping: {
        events: "$",
        eventType: "subscriptionType",
        eventId: "eventId",
        occurredAt: "occurredAt",
        fields: { "contact.email": "propertyValue" },
        rules: [
          { on: ["contact.propertyChange"], actions: [{ type: "upsert_contact" }, { type: "log_activity" }] },
        ],
      },
    });
  }

  it("needs the app's client secret to be created", async () => {
    const created = await call("POST", "/api/v1/webhook-sources", admin, {
      name: "No secret",
      verification: { kind: "hubspot_v3" },
      mapping: LEAD_MAPPING,
    });
    expect(created.status).toBe(422);
    expect(created.body.errors).toEqual([
      { path: "secret", message: expect.stringMatching(/client secret/) },
    ]);
  });

  it("takes a delivery signed as HubSpot documents it, the URI's query included", async () => {
    const source = await hubspotSource();
    expect(source.secret).toBe(HUBSPOT_SECRET);
    const query = "?portal=62515&ref=a%3Ab%2Cc";
    const body = events("hub@example.vn");
    const headers = await hubspotHeaders(HUBSPOT_SECRET, `${ORIGIN}/hooks/${source.id}${query}`, body);
    const response = await post(source.id, body, headers, query);
    expect(response.status).toBe(202);
    await drain();
    expect(await contactByEmail("hub@example.vn")).toBeDefined();
    const [row] = await t.db.select().from(webhookInbox).where(eq(webhookInbox.sourceId, source.id));
    expect(JSON.parse(row?.queryParams ?? "{}")).toEqual({ portal: "62515", ref: "a:b,c" });
    const eventRows = await t.db
      .select()
      .from(webhookInboxEvents)
      .where(eq(webhookInboxEvents.inboxId, row?.id ?? ""));
    expect(eventRows).toMatchObject([
      { idx: 0, eventId: "1001", eventType: "contact.propertyChange", status: "processed" },
    ]);
  });

  it("refuses a tampered body, a wrong secret, another URI and a stale timestamp, keeping nothing", async () => {
    const source = await hubspotSource();
    const uri = `${ORIGIN}/hooks/${source.id}`;
    const body = events("hub-bad@example.vn");
    const good = await hubspotHeaders(HUBSPOT_SECRET, uri, body);
    expect((await post(source.id, body.replace("hub-bad", "hub-evil"), good)).status).toBe(401);
    expect((await post(source.id, body, await hubspotHeaders("wrong-secret-value", uri, body))).status).toBe(
      401,
    );
    expect(
      (await post(source.id, body, await hubspotHeaders(HUBSPOT_SECRET, `${uri}?x=1`, body))).status,
    ).toBe(401);
    const stale = await hubspotHeaders(HUBSPOT_SECRET, uri, body, Date.now() - 6 * 60_000);
    const answer = await post(source.id, body, stale);
    expect(answer.status).toBe(400);
    await nothingKept(source.id);
  });
});

describe("HMAC, token and Basic sources", () => {
  it("verifies a hex HMAC of the body behind a prefix", async () => {
    const source = await createSource(admin, {
      name: "HMAC",
      verification: { kind: "hmac_sha256", header: "X-Signature", encoding: "hex", prefix: "sha256=" },
      mapping: LEAD_MAPPING,
    });
    const body = lead("hmac@example.vn");
    const signature = await bodySignature(source.secret, body, "hex", "sha256=");
    expect((await post(source.id, body, { "X-Signature": signature })).status).toBe(202);
    expect((await post(source.id, `${body} `, { "X-Signature": signature })).status).toBe(401);
    // Without its prefix too; the same body again is the same delivery (its id is the body's hash).
    const next = lead("hmac-2@example.vn");
    const bare = await bodySignature(source.secret, next, "hex");
    expect((await post(source.id, next, { "X-Signature": bare })).status).toBe(202);
    const again = await post(source.id, next, { "X-Signature": bare });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({
      status: "duplicate",
      deliveryId: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
    });
    capture.sent.splice(0);
  });

  it("verifies a token in a header, the query or the payload, and keeps it nowhere", async () => {
    const inHeader = await createSource(admin, {
      name: "Token header",
      verification: { kind: "token", in: "header", name: "Authorization", prefix: "Bearer " },
      mapping: LEAD_MAPPING,
    });
    const body = lead("token@example.vn");
    expect((await post(inHeader.id, body, { Authorization: `Bearer ${inHeader.secret}` })).status).toBe(202);
    expect((await post(inHeader.id, body, { Authorization: "Bearer nope-nope-nope" })).status).toBe(401);
    expect(capture.sent.at(-1)?.data).not.toHaveProperty(["headers", "authorization"]);

    const inQuery = await createSource(admin, {
      name: "Token query",
      verification: { kind: "token", in: "query", name: "key" },
      mapping: LEAD_MAPPING,
    });
    const query = `?key=${encodeURIComponent(inQuery.secret)}&campaign=spring`;
    expect((await post(inQuery.id, body, {}, query)).status).toBe(202);
    expect(capture.sent.at(-1)?.data).toMatchObject({ query: { campaign: "spring" } });
    expect((await post(inQuery.id, body, {}, "?key=wrong-wrong")).status).toBe(401);

    const inPayload = await createSource(admin, {
      name: "Token payload",
      verification: { kind: "token", in: "payload", name: "google_key" },
      mapping: LEAD_MAPPING,
    });
    const withKey = JSON.stringify({ ...JSON.parse(body), google_key: inPayload.secret });
    expect((await post(inPayload.id, withKey)).status).toBe(202);
    const kept = (capture.sent.at(-1)?.data as { body: string } | undefined)?.body ?? "";
    expect(kept).not.toContain(inPayload.secret);
    expect(JSON.parse(kept).google_key).toBe("[redacted]");
    expect((await post(inPayload.id, body)).status).toBe(401);
    capture.sent.splice(0);
  });

  it("verifies HTTP Basic with the source's username and secret", async () => {
    const source = await createSource(admin, {
      name: "Basic",
      verification: { kind: "basic", username: "crm" },
      mapping: LEAD_MAPPING,
    });
    const body = lead("basic@example.vn");
    const auth = (user: string, password: string) => ({
      Authorization: `Basic ${btoa(`${user}:${password}`)}`,
    });
    expect((await post(source.id, body, auth("crm", source.secret))).status).toBe(202);
    expect((await post(source.id, body, auth("other", source.secret))).status).toBe(401);
    expect((await post(source.id, body, auth("crm", "not-the-secret"))).status).toBe(401);
    expect(capture.sent.at(-1)?.data).not.toHaveProperty(["headers", "authorization"]);
    capture.sent.splice(0);
  });
});
