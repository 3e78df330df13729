// Replaying failed outbox messages, for admins: one by id (409 when it has not failed, 404 when unknown) or all
// that match a filter, a bounded number per call. A replayed message starts again from no attempts, and the
// outbound engine then delivers it. Every call is one round trip; the list can be filtered by status.
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { newId } from "../../db/ids.ts";
import { auditLog, outbox } from "../../db/schema/index.ts";
import { readConfig } from "../../functions/env.ts";
import { processOutbox } from "../../queues/outbound/process.ts";
import { apiKeyFor, createUser, sessionFor } from "./factories.ts";
import { captureConsole, mockOutbound } from "./outbound-support.ts";
import { type TestDatabase, useTestDatabase } from "./support.ts";

const t = useTestDatabase({
  EMAIL_PROVIDER: "resend",
  EMAIL_API_KEY: "re_test_key",
  EMAIL_FROM: "crm@acme.test",
});
const production = useTestDatabase({ ENVIRONMENT: "production" });
const HOUR = 60 * 60_000;

afterEach(() => {
  vi.restoreAllMocks();
});

type Status = "pending" | "sending" | "sent" | "failed";

async function message(
  db: TestDatabase,
  fields: {
    status?: Status;
    template?: string;
    channel?: "email" | "slack";
    createdAt?: number;
    kind?: string;
  } = {},
) {
  const id = newId();
  await db.db.insert(outbox).values({
    id,
    channel: fields.channel ?? "email",
    recipient: `${id.slice(-8)}@example.com`,
    subject: "Reset your password",
    body: "https://crm.test/reset?token=SECRET",
    template: fields.template ?? "password_reset",
    kind: fields.kind ?? null,
    status: fields.status ?? "failed",
    attempts: fields.status === "pending" ? 0 : 5,
    lastError:
      fields.status === "failed" || fields.status === undefined ? "HTTP 500; gave up after 5 attempts" : null,
    createdAt: fields.createdAt ?? Date.now(),
  });
  return id;
}

async function row(db: TestDatabase, id: string) {
  const [found] = await db.db.select().from(outbox).where(eq(outbox.id, id));
  return found;
}

async function caller(db: TestDatabase, role: "admin" | "manager" | "rep" = "admin") {
  const user = await createUser(db.db, { role });
  const { headers } = await sessionFor(db.db, user);
  return { user, headers };
}

async function post(db: TestDatabase, path: string, headers: Record<string, string>, body?: unknown) {
  let response: Response | undefined;
  const trips = await db.roundTrips(async () => {
    response = await db.fetch(path, {
      method: "POST",
      headers: { ...headers, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  });
  if (!response) throw new Error("no response");
  return { response, trips, json: (await response.json()) as Record<string, unknown> };
}

describe("replaying one message", () => {
  it("puts a failed message back in line, audits it, and the outbound engine then delivers it", async () => {
    captureConsole();
    const { user, headers } = await caller(t);
    const id = await message(t);
    const { response, trips, json } = await post(t, `/api/v1/outbox/${id}/replay`, headers);
    expect(response.status).toBe(200);
    expect(trips).toBe(1);
    expect(json).toEqual({
      id,
      channel: "email",
      template: "password_reset",
      kind: null,
      status: "pending",
      attempts: 0,
      lastError: "HTTP 500; gave up after 5 attempts",
      createdAt: expect.any(Number),
    });
    // The answer shows neither the recipient nor the body (a live reset link).
    expect(JSON.stringify(json)).not.toContain("SECRET");
    expect(JSON.stringify(json)).not.toContain("@example.com");
    expect(await row(t, id)).toMatchObject({
      status: "pending",
      attempts: 0,
      nextAttemptAt: null,
      leaseUntil: null,
    });
    const [entry] = await t.db.select().from(auditLog).where(eq(auditLog.targetId, id));
    expect(entry).toMatchObject({
      action: "outbox.replayed",
      actorUserId: user.id,
      targetType: "outbox_message",
    });

    const { sent } = mockOutbound([{ status: 200, json: { id: "re_replayed" } }]);
    await processOutbox(t.db, readConfig(t.env), Date.now());
    expect(sent.map((s) => s.headers["idempotency-key"])).toEqual([id]);
    expect(await row(t, id)).toMatchObject({ status: "sent", attempts: 1, providerMessageId: "re_replayed" });
  });

  it("answers 409 for a message that has not failed, and 404 for an unknown id, changing nothing", async () => {
    const { headers } = await caller(t);
    for (const status of ["sent", "pending", "sending"] as const) {
      const id = await message(t, { status });
      const before = await row(t, id);
      const { response, trips, json } = await post(t, `/api/v1/outbox/${id}/replay`, headers);
      expect(response.status, status).toBe(409);
      expect(response.headers.get("Content-Type")).toBe("application/problem+json");
      expect(trips).toBe(1);
      expect(json.detail).toContain(`Only failed messages can be replayed; this one is ${status}`);
      expect(await row(t, id)).toEqual(before);
      expect(await t.db.select().from(auditLog).where(eq(auditLog.targetId, id))).toEqual([]);
    }
    const unknown = await post(t, `/api/v1/outbox/${newId()}/replay`, headers);
    expect(unknown.response.status).toBe(404);
    expect(unknown.response.headers.get("Content-Type")).toBe("application/problem+json");
    expect(unknown.trips).toBe(1);
  });

  it("is for admins, and for API keys with outbox:write", async () => {
    const id = await message(t);
    for (const role of ["manager", "rep"] as const) {
      const { headers } = await caller(t, role);
      expect((await post(t, `/api/v1/outbox/${id}/replay`, headers)).response.status, role).toBe(403);
    }
    const { user } = await caller(t);
    const readOnlyKey = await apiKeyFor(t.db, user, ["outbox:read"]);
    expect((await post(t, `/api/v1/outbox/${id}/replay`, readOnlyKey.headers)).response.status).toBe(403);
    expect(await row(t, id)).toMatchObject({ status: "failed", attempts: 5 });
    const key = await apiKeyFor(t.db, user, ["outbox:write"]);
    expect((await post(t, `/api/v1/outbox/${id}/replay`, key.headers)).response.status).toBe(200);
  });

  it("works in production, where the list itself does not exist", async () => {
    const { headers } = await caller(production);
    const id = await message(production);
    expect((await post(production, `/api/v1/outbox/${id}/replay`, headers)).response.status).toBe(200);
    expect(await row(production, id)).toMatchObject({ status: "pending", attempts: 0 });
    const list = await production.fetch("/api/v1/outbox?status=failed", { headers });
    expect(list.status).toBe(404);
  });
});

describe("replaying what matches a filter", () => {
  it("replays the oldest matching failed messages, at most `limit` a call, and says whether more remain", async () => {
    const { headers } = await caller(t);
    const template = `bulk-${newId()}`;
    const t0 = Date.now() - 10 * HOUR;
    const oldest = await message(t, { template, createdAt: t0 });
    const next = await message(t, { template, createdAt: t0 + HOUR });
    const sent = await message(t, { template, status: "sent", createdAt: t0 });
    const otherTemplate = await message(t, { createdAt: t0 });
    const slack = await message(t, { template, channel: "slack", createdAt: t0 + 2 * HOUR });

    const first = await post(t, "/api/v1/outbox/replay", headers, { template, channel: "email", limit: 1 });
    expect(first.response.status).toBe(200);
    expect(first.trips).toBe(1);
    expect(first.json).toEqual({ replayed: 1, ids: [oldest], more: true });
    const second = await post(t, "/api/v1/outbox/replay", headers, { template, channel: "email", limit: 1 });
    expect(second.json).toEqual({ replayed: 1, ids: [next], more: false });
    const third = await post(t, "/api/v1/outbox/replay", headers, { template, channel: "email" });
    expect(third.json).toEqual({ replayed: 0, ids: [], more: false });

    for (const id of [oldest, next])
      expect(await row(t, id)).toMatchObject({ status: "pending", attempts: 0 });
    expect(await row(t, sent)).toMatchObject({ status: "sent" });
    expect(await row(t, otherTemplate)).toMatchObject({ status: "failed", attempts: 5 });
    expect(await row(t, slack)).toMatchObject({ status: "failed", attempts: 5 });

    // One audit entry per call that replayed something, with the filter and the count.
    const entries = (await t.db.select().from(auditLog).where(eq(auditLog.action, "outbox.replayed"))).filter(
      (e) => e.changes?.includes(template),
    );
    expect(entries.map((e) => JSON.parse(e.changes ?? "{}").count)).toEqual([1, 1]);
  });

  it("filters by time and kind", async () => {
    const { headers } = await caller(t);
    const template = `window-${newId()}`;
    const t0 = Date.now() - 48 * HOUR;
    const before = await message(t, { template, createdAt: t0, kind: "reminder" });
    const inside = await message(t, { template, createdAt: t0 + 2 * HOUR, kind: "reminder" });
    const otherKind = await message(t, { template, createdAt: t0 + 2 * HOUR, kind: "digest" });
    const { json } = await post(t, "/api/v1/outbox/replay", headers, {
      template,
      kind: "reminder",
      createdFrom: t0 + HOUR,
      createdTo: t0 + 3 * HOUR,
    });
    expect(json).toEqual({ replayed: 1, ids: [inside], more: false });
    for (const id of [before, otherKind]) expect(await row(t, id)).toMatchObject({ status: "failed" });
  });

  it("refuses a bad filter with 422, replaying nothing", async () => {
    const { headers } = await caller(t);
    const id = await message(t, { template: "refused-filter" });
    for (const body of [
      { template: "refused-filter", limit: 501 },
      { template: "refused-filter", limit: 0 },
      { template: "refused-filter", createdFrom: 10, createdTo: 10 },
      { template: "refused-filter", channel: "pigeon" },
      { template: "refused-filter", status: "sent" },
      { template: "refused-filter", kind: "birthday" },
    ]) {
      const { response } = await post(t, "/api/v1/outbox/replay", headers, body);
      expect(response.status, JSON.stringify(body)).toBe(422);
      expect(response.headers.get("Content-Type")).toBe("application/problem+json");
    }
    expect(await row(t, id)).toMatchObject({ status: "failed", attempts: 5 });
    const { headers: manager } = await caller(t, "manager");
    expect((await post(t, "/api/v1/outbox/replay", manager, {})).response.status).toBe(403);
    expect(await row(t, id)).toMatchObject({ status: "failed", attempts: 5 });
  });
});

describe("the outbox list", () => {
  it("filters by status", async () => {
    const { headers } = await caller(t);
    const failed = await message(t, { template: "list-filter" });
    const sent = await message(t, { template: "list-filter", status: "sent" });
    const response = await t.fetch("/api/v1/outbox?status=failed&limit=200", { headers });
    expect(response.status).toBe(200);
    const page = (await response.json()) as { items: { id: string; status: string }[] };
    expect(page.items.every((m) => m.status === "failed")).toBe(true);
    expect(page.items.map((m) => m.id)).toContain(failed);
    expect(page.items.map((m) => m.id)).not.toContain(sent);
    expect((await t.fetch("/api/v1/outbox?status=lost", { headers })).status).toBe(422);
  });
});
