// Helpers of the import tests: a database whose events queue is a fake (the tests deliver its messages), an
// upload in parts of a given size, and a loop that delivers import messages until the run is over.
import { expect } from "vitest";
import type { QueueMessage } from "../../queues/message.ts";
import { createUser, sessionFor } from "./factories.ts";
import { fakeQueue, type Headers, type Json } from "./forms-support.ts";
import { useTestDatabase } from "./support.ts";

export function importsTest() {
  const events = fakeQueue();
  const t = useTestDatabase({ EVENTS_QUEUE: events.queue });

  async function call(
    method: string,
    path: string,
    headers: Headers,
    body?: unknown,
    type = "application/json",
  ) {
    let response: Response | undefined;
    const trips = await t.roundTrips(async () => {
      response = await t.fetch(path, {
        method,
        headers: { ...(body === undefined ? {} : { "Content-Type": type }), ...headers },
        ...(body === undefined
          ? {}
          : { body: typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body) }),
      });
    });
    if (!response) throw new Error("no response");
    const text = await response.text();
    let json: Json = {};
    try {
      json = text ? (JSON.parse(text) as Json) : {};
    } catch {
      // CSV
    }
    return { status: response.status, headers: response.headers, body: json, text, trips };
  }

  async function admin(): Promise<Headers> {
    return (await sessionFor(t.db, await createUser(t.db, { role: "admin" }))).headers;
  }

  /** Makes an import and uploads `csv` in parts of `partBytes` bytes (cut anywhere). Returns its id. */
  async function upload(
    headers: Headers,
    csv: string | Uint8Array,
    options: { object?: string; source?: string; partBytes?: number } = {},
  ) {
    const made = await call("POST", "/api/v1/imports", headers, {
      object: options.object ?? "contact",
      sourceName: options.source ?? "Test source",
      fileName: "people.csv",
    });
    expect(made.status).toBe(201);
    const id = made.body.id as string;
    const bytes = typeof csv === "string" ? new TextEncoder().encode(csv) : csv;
    const size = options.partBytes ?? 1_000_000;
    for (let part = 0, at = 0; at < bytes.length; part++, at += size) {
      const put = await call(
        "PUT",
        `/api/v1/imports/${id}/parts?part=${part}`,
        headers,
        bytes.slice(at, at + size),
        "text/csv",
      );
      expect(put.status, put.text).toBe(200);
      expect(put.trips).toBe(1);
    }
    return id;
  }

  const isImportMessage = (m: QueueMessage) => m.type.startsWith("import.");

  /** Delivers import messages until none is left; `each` runs after every delivery. Returns how many went. */
  async function drive(each?: () => Promise<void>): Promise<number> {
    let delivered = 0;
    for (;;) {
      const pending = events.sent.filter(isImportMessage);
      events.sent.splice(0, events.sent.length, ...events.sent.filter((m) => !isImportMessage(m)));
      if (pending.length === 0) return delivered;
      const result = await t.queue("crm-events", pending);
      expect(result.retryMessages, JSON.stringify(result)).toEqual([]);
      delivered += pending.length;
      await each?.();
    }
  }

  return { t, events, call, admin, upload, drive };
}
