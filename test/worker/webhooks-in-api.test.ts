// The inbound-webhook admin API: sources (secrets shown once, then hints; a bad mapping or secret is a 422
// that names the part, and writes nothing; If-Match; archive and restore), the inbox (filters, search, one
// delivery with its events and no credentials), replays of one and many, and retention.
import { count, eq } from "drizzle-orm";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { newId } from "../../db/ids.ts";
import { auditLog, webhookInbox, webhookSources } from "../../db/schema/index.ts";
import { createUser, DAY, sessionFor } from "./factories.ts";
import { type Headers, hooksTest, type Json, standardHeaders } from "./webhooks-in-support.ts";

const { t, call, capture, createSource, post, drain, contactByEmail } = hooksTest();

let admin: Headers;
let manager: Headers;

beforeAll(async () => {
  admin = (await sessionFor(t.db, await createUser(t.db, { role: "admin" }))).headers;
  manager = (await sessionFor(t.db, await createUser(t.db, { role: "manager" }))).headers;
});

afterEach(() => {
  vi.restoreAllMocks();
  capture.failing = false;
});

const MAPPING: Json = {
  eventType: "type",
  fields: { "contact.email": "email" },
  rules: [{ on: ["lead"], actions: [{ type: "upsert_contact" }, { type: "log_activity" }] }],
};

async function sourceCount(): Promise<number> {
  const [row] = await t.db.select({ n: count() }).from(webhookSources);
  return row?.n ?? 0;
}

describe("sources", () => {
  it("shows the secret once, then only a hint, in every read and list", async () => {
    const created = await call("POST", "/api/v1/webhook-sources", admin, {
      name: "Hints",
      verification: { kind: "standard_webhooks" },
      mapping: MAPPING,
    });
    expect(created.status).toBe(201);
    expect(created.trips).toBe(1);
    const secret = created.body.secret as string;
    expect(created.body).toMatchObject({
      endpoint: `http://crm.test/hooks/${created.body.id}`,
      verification: { kind: "standard_webhooks" },
      secrets: [{ id: expect.any(String), hint: `…${secret.slice(-4)}` }],
      retentionDays: 30,
    });
    const read = await call("GET", `/api/v1/webhook-sources/${created.body.id}`, admin);
    expect(read.status).toBe(200);
    expect(read.trips).toBe(1);
    expect(read.text).not.toContain(secret);
    expect(read.text).not.toContain(secret.slice(6, 30));
    const list = await call("GET", "/api/v1/webhook-sources", admin);
    expect(list.text).not.toContain(secret.slice(6, 30));
    const [audit] = await t.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.targetId, created.body.id as string));
    expect(audit?.action).toBe("webhook_source.created");
    expect(audit?.changes ?? "").not.toContain(secret.slice(6, 30));
  });

  it.each([
    [
      { fields: { "contact.email": "a..b" }, rules: [{ actions: [{ type: "upsert_contact" }] }] },
      "mapping.fields.contact.email",
    ],
    [
      { fields: { "contact.shoeSize": "a" }, rules: [{ actions: [{ type: "upsert_contact" }] }] },
      "mapping.fields.contact.shoeSize",
    ],
    [
      { fields: { "contact.firstName": "a" }, rules: [{ actions: [{ type: "upsert_contact" }] }] },
      "mapping.fields",
    ],
    [
      { fields: { "contact.email": "email" }, rules: [{ on: ["x"], actions: [{ type: "log_activity" }] }] },
      "mapping.rules.0.on",
    ],
    [
      {
        fields: { "contact.email": "email" },
        rules: [{ actions: [{ type: "record_engagement", kind: "liked" }] }],
      },
      "mapping.rules.0.actions.0.kind",
    ],
    [{ fields: { "contact.email": "email" }, rules: [] }, "mapping.rules"],
    [
      { fields: { "contact.email": "x[name=" }, rules: [{ actions: [{ type: "log_activity" }] }] },
      "mapping.fields.contact.email",
    ],
  ])("refuses a bad mapping with a 422 naming the part, writing nothing (%#)", async (mapping, path) => {
    const before = await sourceCount();
    const response = await call("POST", "/api/v1/webhook-sources", admin, {
      name: "Bad",
      verification: { kind: "standard_webhooks" },
      mapping,
    });
    expect(response.status).toBe(422);
    expect(response.headers.get("Content-Type")).toBe("application/problem+json");
    expect((response.body.errors as { path: string }[]).map((e) => e.path)).toContain(path);
    expect(await sourceCount()).toBe(before);
  });

  it("refuses a secret that does not fit the kind, an unknown owner or form, and no mapping without a preset", async () => {
    const bad = await call("POST", "/api/v1/webhook-sources", admin, {
      name: "Bad secret",
      verification: { kind: "standard_webhooks" },
      secret: "not-base64-!!!",
      mapping: MAPPING,
    });
    expect(bad.status).toBe(422);
    expect(bad.body.errors).toEqual([{ path: "secret", message: expect.stringMatching(/whsec_/) }]);
    const owner = await call("POST", "/api/v1/webhook-sources", admin, {
      name: "Bad owner",
      preset: "generic-lead",
      defaultOwnerId: newId(),
      attribution: { formId: newId() },
    });
    expect(owner.status).toBe(422);
    expect((owner.body.errors as { path: string }[]).map((e) => e.path).sort()).toEqual([
      "attribution.formId",
      "defaultOwnerId",
    ]);
    const none = await call("POST", "/api/v1/webhook-sources", admin, {
      name: "No mapping",
      verification: { kind: "token", in: "header", name: "X-Token" },
    });
    expect(none.status).toBe(422);
    const header = await call("POST", "/api/v1/webhook-sources", admin, {
      name: "Bad header",
      verification: { kind: "token", in: "header", name: "X Token" },
      mapping: MAPPING,
    });
    expect(header.status).toBe(422);
  });

  it("changes a source with If-Match, keeps its kind, and is for admins only", async () => {
    const source = await createSource(admin, { name: "Change", preset: "generic-lead" });
    const stale = await call(
      "PATCH",
      `/api/v1/webhook-sources/${source.id}`,
      { ...admin, "If-Match": 'W/"9"' },
      {
        name: "Stale",
      },
    );
    expect(stale.status).toBe(412);
    const renamed = await call(
      "PATCH",
      `/api/v1/webhook-sources/${source.id}`,
      { ...admin, "If-Match": 'W/"1"' },
      {
        name: "Renamed",
        retentionDays: 7,
      },
    );
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: "Renamed", retentionDays: 7, version: 2 });
    const kind = await call("PATCH", `/api/v1/webhook-sources/${source.id}`, admin, {
      verification: { kind: "basic", username: "x" },
    });
    expect(kind.status).toBe(422);
    expect(kind.body.errors).toEqual([
      { path: "verification.kind", message: expect.stringMatching(/standard_webhooks/) },
    ]);
    expect((await call("GET", `/api/v1/webhook-sources/${source.id}`, manager)).status).toBe(403);
  });
});

describe("the inbox", () => {
  let source: { id: string; secret: string };

  async function deliver(body: Json, id = `msg_${newId()}`) {
    const text = JSON.stringify(body);
    const response = await post(source.id, text, standardHeaders(source.secret, id, text));
    expect(response.status).toBe(202);
    await drain();
    return id;
  }

  beforeAll(async () => {
    source = await createSource(admin, {
      name: "Inbox",
      verification: { kind: "standard_webhooks" },
      mapping: MAPPING,
    });
  });

  it("lists deliveries newest first, filtered by source and status and searched in the body, one trip a page", async () => {
    const first = await deliver({ type: "lead", email: "inbox-one@example.vn" });
    const second = await deliver({ type: "lead", email: "inbox-two@example.vn" });
    const page = await call("GET", `/api/v1/webhook-inbox?sourceId=${source.id}&limit=1`, admin);
    expect(page.status).toBe(200);
    expect(page.trips).toBe(1);
    expect((page.body.items as Json[])[0]).toMatchObject({
      deliveryId: second,
      status: "processed",
      eventType: "lead",
      verification: { kind: "standard_webhooks", secret: 1 },
    });
    const next = await call(
      "GET",
      `/api/v1/webhook-inbox?sourceId=${source.id}&limit=1&cursor=${page.body.nextCursor}`,
      admin,
    );
    expect((next.body.items as Json[])[0]).toMatchObject({ deliveryId: first });
    const found = await call("GET", "/api/v1/webhook-inbox?q=INBOX-ONE", admin);
    expect((found.body.items as Json[]).map((i) => i.deliveryId)).toEqual([first]);
    const failed = await call("GET", `/api/v1/webhook-inbox?sourceId=${source.id}&status=failed`, admin);
    expect(failed.body.items).toEqual([]);
  });

  it("shows one delivery: headers without credentials, the raw body, its events", async () => {
    const id = await deliver({ type: "lead", email: "detail@example.vn" });
    const [row] = await t.db.select().from(webhookInbox).where(eq(webhookInbox.deliveryId, id));
    const detail = await call("GET", `/api/v1/webhook-inbox/${row?.id}`, admin);
    expect(detail.status).toBe(200);
    expect(detail.trips).toBe(1);
    expect(detail.body).toMatchObject({
      deliveryId: id,
      body: JSON.stringify({ type: "lead", email: "detail@example.vn" }),
      bodyEncoding: "utf8",
      headers: { "webhook-id": id, "content-type": "application/json" },
      events: [
        { index: 0, eventType: "lead", status: "processed", actions: ["upsert_contact", "log_activity"] },
      ],
    });
    expect(detail.body.headers).not.toHaveProperty("authorization");
    expect((await call("GET", `/api/v1/webhook-inbox/${newId()}`, admin)).status).toBe(404);
  });

  it("replays a failed delivery once the mapping is fixed, and many at once", async () => {
    const broken = await createSource(admin, {
      name: "Broken",
      verification: { kind: "standard_webhooks" },
      mapping: { ...MAPPING, events: "items" },
    });
    const ids: string[] = [];
    for (const email of ["replay-a@example.vn", "replay-b@example.vn", "replay-c@example.vn"]) {
      const text = JSON.stringify({ type: "lead", email });
      const id = `msg_${newId()}`;
      expect((await post(broken.id, text, standardHeaders(broken.secret, id, text))).status).toBe(202);
      ids.push(id);
    }
    await drain();
    const rows = await t.db.select().from(webhookInbox).where(eq(webhookInbox.sourceId, broken.id));
    expect(rows.map((r) => r.status)).toEqual(["failed", "failed", "failed"]);
    expect(rows[0]?.error).toMatch(/no list of events at items/);

    const fixed = await call("PATCH", `/api/v1/webhook-sources/${broken.id}`, admin, { mapping: MAPPING });
    expect(fixed.status).toBe(200);
    const one = rows.find((r) => r.deliveryId === ids[0]);
    const replayed = await call("POST", `/api/v1/webhook-inbox/${one?.id}/replay`, admin);
    expect(replayed.status).toBe(202);
    expect(replayed.trips).toBe(1);
    expect(replayed.body).toEqual({ replayed: 1, ids: [one?.id], status: "queued" });
    expect((await call("POST", `/api/v1/webhook-inbox/${one?.id}/replay`, admin)).status).toBe(409);
    await drain();
    expect(await contactByEmail("replay-a@example.vn")).toBeDefined();

    capture.failing = true;
    const many = await call("POST", "/api/v1/webhook-inbox/replay", admin, {
      sourceId: broken.id,
      status: "failed",
    });
    expect(many.status).toBe(202);
    expect(many.body).toMatchObject({ replayed: 2, status: "pending" });
    capture.failing = false;
    // The sweep takes them up once they have waited a minute.
    await t.db.update(webhookInbox).set({ updatedAt: 0 }).where(eq(webhookInbox.sourceId, broken.id));
    await t.scheduled("* * * * *", Date.now());
    await drain();
    expect(await contactByEmail("replay-b@example.vn")).toBeDefined();
    expect(await contactByEmail("replay-c@example.vn")).toBeDefined();
    const after = await t.db.select().from(webhookInbox).where(eq(webhookInbox.sourceId, broken.id));
    expect(after.map((r) => [r.status, r.replays])).toEqual([
      ["processed", 1],
      ["processed", 1],
      ["processed", 1],
    ]);
    expect((await call("POST", "/api/v1/webhook-inbox/replay", admin, {})).status).toBe(422);
  });

  it("deletes settled deliveries older than their source's retention in the daily housekeeping", async () => {
    const short = await createSource(admin, {
      name: "Short retention",
      verification: { kind: "standard_webhooks" },
      mapping: MAPPING,
      retentionDays: 2,
    });
    const text = JSON.stringify({ type: "lead", email: "old@example.vn" });
    expect((await post(short.id, text, standardHeaders(short.secret, "msg_old", text))).status).toBe(202);
    await drain();
    const keptId = await deliver({ type: "lead", email: "kept@example.vn" });
    await t.scheduled("17 3 * * *", Date.now() + 3 * DAY);
    const left = await t.db.select().from(webhookInbox).where(eq(webhookInbox.sourceId, short.id));
    expect(left).toEqual([]);
    const [kept] = await t.db.select().from(webhookInbox).where(eq(webhookInbox.deliveryId, keptId));
    expect(kept).toBeDefined();
  });
});
