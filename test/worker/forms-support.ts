// Helpers of the lead-capture tests: a test database whose capture and events queues are fakes (the tests see
// every message, can make a queue fail, and deliver messages to the consumer themselves), calls through the
// Worker's own fetch with their round trips counted, a form body to start from, and an outbound-fetch mock
// that answers Turnstile's siteverify as Cloudflare documents it for its published test secret keys.
import { vi } from "vitest";
import { DISPATCH_EVENTS } from "../../queues/domain-events/types.ts";
import type { QueueMessage } from "../../queues/message.ts";
import { useTestDatabase } from "./support.ts";

export type Json = Record<string, unknown>;
export type Headers = Record<string, string>;

export interface FakeQueue {
  queue: Queue<QueueMessage>;
  sent: QueueMessage[];
  /**
   * The requests to dispatch domain events (queues/domain-events/), kept apart from `sent`: nearly every write
   * makes one, and tests that read `sent` are about the messages their engine sends.
   */
  dispatchRequests: QueueMessage[];
  failing: boolean;
}

export function fakeQueue(): FakeQueue {
  const fake: FakeQueue = {
    queue: undefined as unknown as Queue<QueueMessage>,
    sent: [],
    dispatchRequests: [],
    failing: false,
  };
  const record = (body: QueueMessage) =>
    (body.type === DISPATCH_EVENTS ? fake.dispatchRequests : fake.sent).push(structuredClone(body));
  const metadata = { metrics: { backlogCount: 0, backlogBytes: 0 } };
  fake.queue = {
    async send(body: QueueMessage) {
      if (fake.failing) throw new Error("Queue send failed: the queue is unavailable");
      record(body);
      return { metadata };
    },
    async sendBatch(messages: Iterable<MessageSendRequest<QueueMessage>>) {
      if (fake.failing) throw new Error("Queue send failed: the queue is unavailable");
      for (const message of messages) record(message.body);
      return { metadata };
    },
    async metrics() {
      return metadata.metrics;
    },
  } as unknown as Queue<QueueMessage>;
  return fake;
}

export function formsTest() {
  const capture = fakeQueue();
  const events = fakeQueue();
  const t = useTestDatabase({ CAPTURE_QUEUE: capture.queue, EVENTS_QUEUE: events.queue });

  /** A request through the whole Worker, with the database round trips it made. */
  async function call(method: string, path: string, headers: Headers = {}, body?: unknown) {
    let response: Response | undefined;
    const trips = await t.roundTrips(async () => {
      response = await t.fetch(path, {
        method,
        headers: { ...(body === undefined ? {} : { "Content-Type": "application/json" }), ...headers },
        ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
      });
    });
    if (!response) throw new Error("no response");
    const text = await response.text();
    let json: Json = {};
    try {
      json = text ? (JSON.parse(text) as Json) : {};
    } catch {
      // An HTML page: the text says what it is.
    }
    return { status: response.status, headers: response.headers, body: json, text, trips };
  }

  /** Delivers the capture queue's messages (all sent so far, or those given) to the consumer. */
  async function deliver(messages: QueueMessage[] = capture.sent.splice(0)) {
    return t.queue("crm-capture", messages);
  }

  return { t, capture, events, call, deliver };
}

/** A form body with the fields most tests need; `extra` replaces top-level keys. */
export function formBody(extra: Json = {}): Json {
  return {
    name: "Contact us",
    languages: ["en", "vi"],
    fields: [
      {
        key: "email",
        type: "email",
        label: { en: "Email", vi: "Email" },
        required: true,
        mapTo: "contact.email",
      },
      { key: "first_name", type: "text", label: { en: "First name", vi: "Tên" }, mapTo: "contact.firstName" },
      { key: "last_name", type: "text", label: { en: "Last name", vi: "Họ" }, mapTo: "contact.lastName" },
      { key: "phone", type: "phone", label: { en: "Phone", vi: "Điện thoại" }, mapTo: "contact.phone" },
      { key: "company", type: "text", label: { en: "Company", vi: "Công ty" }, mapTo: "company.name" },
      { key: "message", type: "textarea", label: { en: "Message", vi: "Lời nhắn" } },
    ],
    allowedOrigins: ["https://www.example.com"],
    spam: { minFillMs: 0, perIpLimit: null },
    ...extra,
  };
}

/** A JSON submission as the embed sends it. */
export function submission(fields: Json, extra: Json = {}): Json {
  return {
    submissionId: crypto.randomUUID(),
    visitorId: `v-${crypto.randomUUID()}`,
    fields,
    renderedAt: Date.now() - 10_000,
    page: { url: "https://www.example.com/pricing?utm_source=google&utm_medium=cpc&utm_campaign=spring" },
    honeypot: "",
    ...extra,
  };
}

/** Cloudflare's published Turnstile test secret keys. */
export const TURNSTILE_TEST = {
  siteKey: "1x00000000000000000000AA",
  passSecret: "1x0000000000000000000000000000000AA",
  failSecret: "2x0000000000000000000000000000000AA",
  spentSecret: "3x0000000000000000000000000000000AA",
  dummyToken: "XXXX.DUMMY.TOKEN.XXXX",
};

/**
 * Answers siteverify as Turnstile does for the test secret keys (always passes, always fails, token already
 * spent); every other request goes out as usual (the database). Returns the mock and the secrets it saw.
 */
export function mockTurnstile(options: { down?: boolean } = {}) {
  const original = globalThis.fetch;
  const seen: { secret: string | null; response: string | null }[] = [];
  const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    // Anything else (the database) goes out untouched: reading its request here would use up its body.
    if (url !== "https://challenges.cloudflare.com/turnstile/v0/siteverify") return original(input, init);
    if (options.down) throw new TypeError("Network connection lost.");
    const form = new URLSearchParams(await new Request(input, init).text());
    const secret = form.get("secret");
    seen.push({ secret, response: form.get("response") });
    const answer =
      secret === TURNSTILE_TEST.passSecret
        ? { success: true, "error-codes": [] }
        : secret === TURNSTILE_TEST.failSecret
          ? { success: false, "error-codes": ["invalid-input-response"] }
          : secret === TURNSTILE_TEST.spentSecret
            ? { success: false, "error-codes": ["timeout-or-duplicate"] }
            : { success: false, "error-codes": ["invalid-input-secret"] };
    return Response.json(answer);
  });
  return { spy, seen };
}
