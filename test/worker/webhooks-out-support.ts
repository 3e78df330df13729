// Helpers of the outgoing-webhook tests: a test database whose outbound and events queues are fakes, an admin's
// API calls with their round trips, domain-event messages as the dispatcher sends them, and a receiver that
// answers deliveries from a script and records each request (headers and the exact body) for verification.
import { env as baseEnv } from "cloudflare:workers";
import { vi } from "vitest";
import type { Env } from "../../functions/env.ts";
import { createServices } from "../../queues/index.ts";
import type { QueueMessage } from "../../queues/message.ts";
import { createUser, sessionFor, type TestUser } from "./factories.ts";
import { fakeQueue } from "./forms-support.ts";
import { useTestDatabase } from "./support.ts";

export const RECEIVER = "https://receiver.example.com";

export interface Received {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** How the sender asked for redirects to be handled. */
  redirect: Request["redirect"];
}

/** What the receiver answers next: a status (with headers), a network failure, or no answer in time. */
export type Reply =
  | { status: number; headers?: Record<string, string>; body?: string }
  | "network"
  | "timeout";

const DATABASE = (baseEnv as unknown as { TEST_LIBSQL_SERVER: string }).TEST_LIBSQL_SERVER;

/**
 * A receiver at a fresh URL (`url`): its requests are answered from the script (200 once it is used up) and
 * recorded in `received`. Every other request but the database's is answered 200 and recorded in `others`,
 * so that deliveries left from other tests do not use up this one's script, and a delivery to a refused
 * target would show.
 */
export function mockReceiver(script: Reply[] = []) {
  const original = globalThis.fetch;
  const url = `${RECEIVER}/hook/${crypto.randomUUID()}`;
  const received: Received[] = [];
  const others: Received[] = [];
  const replies = [...script];
  const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const target = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    if (target.startsWith(DATABASE)) return original(input, init);
    const request = new Request(input, init);
    const record = {
      url: request.url,
      headers: Object.fromEntries(request.headers),
      body: await request.text(),
      redirect: request.redirect,
    };
    if (request.url !== url) {
      others.push(record);
      return new Response("ok");
    }
    received.push(record);
    const reply = replies.shift() ?? { status: 200 };
    if (reply === "network") throw new TypeError("Network connection lost.");
    // What fetch throws when its AbortSignal.timeout fires.
    if (reply === "timeout")
      throw new DOMException("The operation was aborted due to timeout", "TimeoutError");
    const empty = reply.status === 204 || reply.status === 205 || reply.status === 304;
    return new Response(empty ? null : (reply.body ?? "ok"), {
      status: reply.status,
      headers: reply.headers,
    });
  });
  return { spy, url, received, others, replies };
}

export function webhooksTest(overrides: Partial<Env> = {}) {
  const outbound = fakeQueue();
  const events = fakeQueue();
  const t = useTestDatabase({ OUTBOUND_QUEUE: outbound.queue, EVENTS_QUEUE: events.queue, ...overrides });
  let admin: TestUser | undefined;
  let headers: Record<string, string> | undefined;

  async function adminHeaders() {
    if (!headers) {
      admin = await createUser(t.db, { role: "admin" });
      headers = (await sessionFor(t.db, admin)).headers;
    }
    return headers;
  }

  /** A request as an admin (or with the given headers), with the database round trips it made. */
  async function call(method: string, path: string, body?: unknown, extra: Record<string, string> = {}) {
    const auth = await adminHeaders();
    let response: Response | undefined;
    const trips = await t.roundTrips(async () => {
      response = await t.fetch(path, {
        method,
        headers: {
          ...auth,
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
          ...extra,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    });
    if (!response) throw new Error("no response");
    const text = await response.text();
    const json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    return { status: response.status, headers: response.headers, json, trips };
  }

  /** A subscription made through the API; returns its id and secret. */
  async function subscribe(events: string[] = ["*"], url = `${RECEIVER}/hook`) {
    const { status, json } = await call("POST", "/api/v1/webhook-subscriptions", { url, events });
    if (status !== 201) throw new Error(`subscription not created: ${status} ${JSON.stringify(json)}`);
    return { id: String(json.id), secret: String(json.secret) };
  }

  /** The events engine, on real message batches. */
  function deliverEvents(messages: QueueMessage[]) {
    return t.queue("crm-events", messages);
  }

  return {
    t,
    outbound,
    events,
    call,
    subscribe,
    deliverEvents,
    services: () => createServices(t.env),
    admin: async () => {
      await adminHeaders();
      if (!admin) throw new Error("no admin");
      return admin;
    },
  };
}

let seq = 1000;

/** A domain event's queue message as the dispatcher sends it (queues/domain-events/types.ts). */
export function domainEvent(
  type: string,
  record: { id: string; [key: string]: unknown },
  before: Record<string, unknown> | null = null,
  at = Date.now(),
): QueueMessage {
  seq += 1;
  const [recordType] = type.split(".");
  return {
    id: `evt_${seq}`,
    type,
    createdAt: at,
    data: { seq, recordType, recordId: record.id, before, after: record, cause: null },
  };
}
