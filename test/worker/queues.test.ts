import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { deadLetters } from "../../db/schema/index.ts";
import { consumeBatch, type MessageHandlers, retryDelaySeconds } from "../../queues/consume.ts";
import { createServices } from "../../queues/index.ts";
import { useTestDatabase } from "./support.ts";

const t = useTestDatabase();

function envelope(id: string, type: string, data: unknown = {}) {
  return { id, type, createdAt: Date.now(), data };
}

async function runWith(handlers: MessageHandlers, bodies: unknown[]) {
  const batch = createMessageBatch(
    "crm-events",
    bodies.map((body, i) => ({ id: `m${i}`, timestamp: Date.now(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await consumeBatch(batch, handlers, createServices(t.env));
  return getQueueResult(batch, ctx);
}

describe("queue consumers", () => {
  it("acks each message its handler processed, and retries only the one that failed, with backoff", async () => {
    const seen: string[] = [];
    const result = await runWith(
      {
        "contact.created": async (message) => {
          if (message.id === "bad") throw new Error("scoring rules unavailable");
          seen.push(message.id);
        },
      },
      [
        envelope("a", "contact.created"),
        envelope("bad", "contact.created"),
        envelope("b", "contact.created"),
      ],
    );
    expect(seen.sort()).toEqual(["a", "b"]);
    expect(result.explicitAcks.sort()).toEqual(["m0", "m2"]);
    // The delay it asks for is retryDelaySeconds(attempts), proven below (the test harness does not report it).
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(["m1"]);
  });

  it("stores a malformed message and one of an unknown type as dead letters at once, and acks them", async () => {
    const result = await t.queue("crm-capture", [{ nonsense: true }, envelope("sub-1", "form.unknown-kind")]);
    expect(result.explicitAcks.sort()).toEqual(["msg-0", "msg-1"]);
    const rows = await t.db.select().from(deadLetters).orderBy(deadLetters.messageId);
    expect(rows.map((r) => [r.queue, r.messageId, r.type])).toEqual([
      ["crm-capture", "msg-0", null],
      ["crm-capture", "sub-1", "form.unknown-kind"],
    ]);
    expect(rows[0]?.error).toContain("Invalid message");
    expect(JSON.parse(rows[1]?.body ?? "null")).toMatchObject({ id: "sub-1", type: "form.unknown-kind" });
  });

  it("keeps what reaches a dead-letter queue, once, even when delivered twice", async () => {
    const body = envelope("lead-42", "webhook.delivery", { email: "a@example.com" });
    const first = await t.queue("crm-outbound-dlq", [body]);
    await t.queue("crm-outbound-dlq", [body]);
    expect(first.ackAll).toBe(true);
    const rows = await t.db.select().from(deadLetters);
    const stored = rows.filter((r) => r.messageId === "lead-42");
    expect(stored).toHaveLength(1);
    expect(stored[0]?.queue).toBe("crm-outbound");
  });

  it("retries a batch from a queue it has no consumer for, rather than dropping it", async () => {
    const result = await t.queue("crm-mystery", [envelope("x", "y")]);
    expect(result.retryBatch.retry).toBe(true);
  });

  it("grows the retry delay exponentially and caps it at an hour", () => {
    const middle = () => 0.5;
    expect([1, 2, 3, 4].map((n) => retryDelaySeconds(n, middle))).toEqual([5, 10, 20, 40]);
    expect(retryDelaySeconds(30, middle)).toBe(3600);
  });
});
