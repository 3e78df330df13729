// Helpers of the inbound-webhook tests: a test database whose capture and events queues are fakes (from the
// forms tests), sources made through the API, and signatures made the way each sender makes them: Standard
// Webhooks by the reference `standardwebhooks` library, HubSpot v3 by the algorithm HubSpot documents
// (HMAC-SHA256, base64, of method + URI + body + timestamp), and a plain HMAC of the body for the rest.
import { count, eq } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import { vi } from "vitest";
import { contacts, webhookInbox } from "../../db/schema/index.ts";
import { forgetSource } from "../../functions/hooks/source-cache.ts";
import type { QueueMessage } from "../../queues/message.ts";
import { PEPPER } from "./factories.ts";
import { formsTest, type Headers, type Json } from "./forms-support.ts";

export type { Headers, Json };

export const ORIGIN = "http://crm.test";

export function hooksTest() {
  const base = formsTest();
  const { t, call, capture, events } = base;

  /** Creates a source through the API; its id and the secret the answer showed once. */
  async function createSource(
    admin: Headers,
    body: Json,
  ): Promise<{ id: string; secret: string; body: Json }> {
    const created = await call("POST", "/api/v1/webhook-sources", admin, body);
    if (created.status !== 201) throw new Error(`source not created: ${created.status} ${created.text}`);
    return { id: created.body.id as string, secret: created.body.secret as string, body: created.body };
  }

  /** Posts raw bytes (or text) to the endpoint, with the round trips it made. */
  function post(sourceId: string, body: string, headers: Headers = {}, query = "") {
    return call(
      "POST",
      `/hooks/${sourceId}${query}`,
      { "Content-Type": "application/json", ...headers },
      body,
    );
  }

  /** Hands every capture message sent so far to the consumer. */
  async function drain() {
    const messages = capture.sent.splice(0);
    return messages.length === 0 ? null : t.queue("crm-capture", messages);
  }

  /** Makes the edge forget a source, as a fresh isolate would. */
  function forget(sourceId: string) {
    return forgetSource(
      { databaseUrl: t.env.LIBSQL_URL ?? "", selfOrigin: ORIGIN, pepper: PEPPER },
      sourceId,
    );
  }

  async function inboxCount(sourceId: string): Promise<number> {
    const [row] = await t.db
      .select({ n: count() })
      .from(webhookInbox)
      .where(eq(webhookInbox.sourceId, sourceId));
    return row?.n ?? 0;
  }

  async function contactByEmail(email: string) {
    const [row] = await t.db.select().from(contacts).where(eq(contacts.email, email));
    return row;
  }

  /** The events-queue messages of a type sent so far. */
  function sentEvents(type: string): QueueMessage[] {
    return events.sent.filter((m) => m.type === type);
  }

  return { ...base, createSource, post, drain, forget, inboxCount, contactByEmail, sentEvents };
}

// ---- signatures ----

export function standardHeaders(secret: string, id: string, body: string, at = new Date()): Headers {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": new Webhook(secret).sign(id, at, body),
  };
}

function base64(bytes: ArrayBuffer): string {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)));
}

function hex(bytes: ArrayBuffer): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function hmac(secret: string, data: string): Promise<ArrayBuffer> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return crypto.subtle.sign("HMAC", key, new TextEncoder().encode(data));
}

/**
 * HubSpot's v3 signature as its documentation describes it: the UTF-8 string method + URI + body + timestamp
 * (epoch ms), HMAC-SHA256 under the app's client secret, base64. The URI is the one HubSpot called, with
 * the listed characters (: / ? @ ! $ ' ( ) * , ;) decoded where they were percent-encoded.
 */
export async function hubspotHeaders(
  secret: string,
  uri: string,
  body: string,
  timestamp = Date.now(),
  method = "POST",
): Promise<Headers> {
  const decoded = uri.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (m) => decodeURIComponent(m));
  const signature = base64(await hmac(secret, `${method}${decoded}${body}${timestamp}`));
  return { "X-HubSpot-Signature-v3": signature, "X-HubSpot-Request-Timestamp": String(timestamp) };
}

/** A plain HMAC-SHA256 of the body, hex or base64, with an optional prefix (Meta, Typeform, Tally). */
export async function bodySignature(
  secret: string,
  body: string,
  encoding: "hex" | "base64",
  prefix = "",
): Promise<string> {
  const mac = await hmac(secret, body);
  return `${prefix}${encoding === "hex" ? hex(mac) : base64(mac)}`;
}

/** Makes every request to the test database fail, as a database that went away would. */
export function stopDatabase(databaseUrl: string) {
  const original = globalThis.fetch;
  const server = new URL(databaseUrl).origin;
  return vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    // The server's own counters (round trips) stay reachable: only the database is down.
    if (url.startsWith(server) && !url.includes("/_admin/")) throw new TypeError("Network connection lost.");
    return original(input, init);
  });
}
