// The dead letters through the API: what failed every retry is listed (by queue, type, replayed or not), read,
// and sent back to its queue, one or many, in one round trip; a letter no consumer can read is not sent; a
// queue that refuses is a 503 and leaves the letter as it was. Admins only.
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../db/ids.ts";
import { deadLetters } from "../../db/schema/index.ts";
import { createUser, sessionFor } from "./factories.ts";
import { formsTest, type Headers, type Json } from "./forms-support.ts";

const { t, call, capture, events } = formsTest();

let admin: Headers;
let manager: Headers;

beforeAll(async () => {
  admin = (await sessionFor(t.db, await createUser(t.db, { role: "admin" }))).headers;
  manager = (await sessionFor(t.db, await createUser(t.db, { role: "manager" }))).headers;
});

async function letter(queue: string, body: unknown, receivedAt = Date.now()): Promise<string> {
  const messageId = newId();
  const id = `${queue}:${messageId}`;
  await t.db.insert(deadLetters).values({
    id,
    queue,
    messageId,
    type: (body as { type?: string } | null)?.type ?? null,
    body: JSON.stringify(body),
    attempts: 10,
    error: `Failed every retry on ${queue}`,
    receivedAt,
  });
  return id;
}

const message = (type: string) => ({ id: newId(), type, createdAt: Date.now(), data: { n: 1 } });

describe("dead letters", () => {
  it("are listed newest first, by queue and type, a page a round trip", async () => {
    const older = await letter("crm-capture", message("webhook.delivery"), Date.now() - 1000);
    const newer = await letter("crm-events", message("engagement.recorded"));
    const all = await call("GET", "/api/v1/dead-letters", admin);
    expect(all.status).toBe(200);
    expect(all.trips).toBe(1);
    const ids = (all.body.items as Json[]).map((i) => i.id);
    expect(ids.indexOf(newer)).toBeLessThan(ids.indexOf(older));
    const capture = await call("GET", "/api/v1/dead-letters?queue=crm-capture&type=webhook.delivery", admin);
    expect((capture.body.items as Json[]).map((i) => i.id)).toEqual([older]);
    const one = await call("GET", `/api/v1/dead-letters/${encodeURIComponent(older)}`, admin);
    expect(one.body).toMatchObject({
      id: older,
      queue: "crm-capture",
      body: { type: "webhook.delivery" },
      replayedAt: null,
    });
    expect((await call("GET", "/api/v1/dead-letters", manager)).status).toBe(403);
  });

  it("sends a letter back to its queue and marks it replayed", async () => {
    const body = message("webhook.delivery");
    const id = await letter("crm-capture", body);
    const replayed = await call("POST", `/api/v1/dead-letters/${encodeURIComponent(id)}/replay`, admin);
    expect(replayed.status).toBe(202);
    expect(replayed.trips).toBe(1);
    expect(replayed.body).toEqual({ replayed: [id], skipped: [] });
    expect(capture.sent.at(-1)).toEqual(body);
    const [row] = await t.db.select().from(deadLetters).where(eq(deadLetters.id, id));
    expect(row?.replayedAt).toEqual(expect.any(Number));
    const unreplayed = await call("GET", "/api/v1/dead-letters?replayed=false&queue=crm-capture", admin);
    expect((unreplayed.body.items as Json[]).map((i) => i.id)).not.toContain(id);
  });

  it("does not send a letter no consumer can read, nor mark it", async () => {
    const id = await letter("crm-events", { not: "a message" });
    const refused = await call("POST", `/api/v1/dead-letters/${encodeURIComponent(id)}/replay`, admin);
    expect(refused.status).toBe(409);
    const [row] = await t.db.select().from(deadLetters).where(eq(deadLetters.id, id));
    expect(row?.replayedAt).toBeNull();
    expect(
      (await call("POST", `/api/v1/dead-letters/${encodeURIComponent("crm-events:none")}/replay`, admin))
        .status,
    ).toBe(404);
  });

  it("sends many back, each to its own queue, and says which it skipped", async () => {
    const a = message("engagement.recorded");
    const b = message("webhook.delivery");
    const first = await letter("crm-events", a);
    const second = await letter("crm-capture", b);
    const broken = await letter("crm-events", "text");
    const sentBefore = events.sent.length;
    const replayed = await call("POST", "/api/v1/dead-letters/replay", admin, {
      ids: [first, second, broken, "x:y"],
    });
    expect(replayed.status).toBe(202);
    expect(replayed.body).toEqual({
      replayed: [first, second],
      skipped: [
        { id: broken, reason: "Not a message any consumer can read." },
        { id: "x:y", reason: "No such dead letter." },
      ],
    });
    expect(events.sent.slice(sentBefore)).toEqual([a]);
    expect(capture.sent.at(-1)).toEqual(b);
  });

  it("answers 503 when the queue refuses, and leaves the letter as it was", async () => {
    const id = await letter("crm-capture", message("webhook.delivery"));
    capture.failing = true;
    try {
      const refused = await call("POST", `/api/v1/dead-letters/${encodeURIComponent(id)}/replay`, admin);
      expect(refused.status).toBe(503);
      expect(refused.headers.get("Retry-After")).toBe("30");
    } finally {
      capture.failing = false;
    }
    const [row] = await t.db.select().from(deadLetters).where(eq(deadLetters.id, id));
    expect(row?.replayedAt).toBeNull();
  });
});
