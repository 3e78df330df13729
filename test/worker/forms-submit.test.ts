// POST /f/{formId}, queue-first: what is accepted (JSON, urlencoded, multipart), what is refused (413, 415, 400,
// 422 with field errors, 404, 403 and 429), CORS for the allowed origins only, and durability: no database
// round trip while the queue works, a direct write when it does not, 503 with Retry-After when neither does.

import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env as baseEnv } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../db/ids.ts";
import { formSubmissions } from "../../db/schema/index.ts";
import type { Env } from "../../functions/env.ts";
import worker from "../../functions/index.ts";
import type { CaptureData } from "../../queues/capture/message.ts";
import { createUser, sessionFor } from "./factories.ts";
import { formBody, formsTest, type Headers, type Json, submission } from "./forms-support.ts";

const { t, call, capture } = formsTest();

let asAdmin: Headers;

beforeAll(async () => {
  asAdmin = (await sessionFor(t.db, await createUser(t.db, { role: "admin" }))).headers;
});

async function newForm(extra: Json = {}): Promise<string> {
  const created = await call("POST", "/api/v1/forms", asAdmin, formBody(extra));
  expect(created.status).toBe(201);
  return created.body.id as string;
}

/** A form this location knows, as it does once the embed read its definition. */
async function knownForm(extra: Json = {}): Promise<string> {
  const id = await newForm(extra);
  expect((await call("GET", `/f/${id}/definition`)).status).toBe(200);
  return id;
}

function lastData(): CaptureData {
  const message = capture.sent.at(-1);
  if (!message) throw new Error("nothing was queued");
  return message.data as CaptureData;
}

const ORIGIN = { Origin: "https://www.example.com" };

describe("accepting a submission", () => {
  it("queues a JSON submission and answers 202 with the thank-you, making no database round trip", async () => {
    const id = await knownForm();
    const body = submission({ email: "An.Nguyen@Example.vn", first_name: "An" });
    const response = await call(
      "POST",
      `/f/${id}`,
      { ...ORIGIN, "CF-Connecting-IP": "203.0.113.7", "User-Agent": "UA/1" },
      body,
    );
    expect(response.status).toBe(202);
    expect(response.trips).toBe(0);
    expect(response.body).toEqual({
      submissionId: body.submissionId,
      status: "accepted",
      message: "Thank you! We will be in touch soon.",
      redirectUrl: null,
    });
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe("https://www.example.com");
    const message = capture.sent.at(-1);
    expect(message).toMatchObject({ id: body.submissionId, type: "form.submission" });
    expect(lastData()).toMatchObject({
      formId: id,
      submissionId: body.submissionId,
      format: "json",
      fields: { email: "An.Nguyen@Example.vn", first_name: "An" },
      visitorId: body.visitorId,
      page: { url: "https://www.example.com/pricing?utm_source=google&utm_medium=cpc&utm_campaign=spring" },
      utm: { source: "google", medium: "cpc", campaign: "spring" },
      ip: "203.0.113.7",
      userAgent: "UA/1",
      origin: "https://www.example.com",
      selfOrigin: "http://crm.test",
    });
  });

  it("makes no round trip even for a form this location has not seen (the consumer checks it)", async () => {
    const id = await newForm();
    const response = await call("POST", `/f/${id}`, ORIGIN, submission({ email: "not-an-email" }));
    expect(response.status).toBe(202);
    expect(response.trips).toBe(0);
    // Not known here, so the origin is answered and checked later, against the form, by the consumer.
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe("https://www.example.com");
    const unknown = await call("POST", `/f/${newId()}`, {}, submission({ email: "a@b.vn" }));
    expect(unknown.status).toBe(202);
    expect(unknown.trips).toBe(0);
  });

  it("makes a submission id (UUIDv7) when the body brings none, and lower-cases one it brings", async () => {
    const id = await knownForm();
    const made = await call(
      "POST",
      `/f/${id}`,
      {},
      submission({ email: "x@y.vn" }, { submissionId: undefined }),
    );
    expect(made.body.submissionId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
    const upper = crypto.randomUUID().toUpperCase();
    const given = await call(
      "POST",
      `/f/${id}`,
      {},
      submission({ email: "x@y.vn" }, { submissionId: upper }),
    );
    expect(given.body.submissionId).toBe(upper.toLowerCase());
  });

  it("takes a plain urlencoded form post and sees it to the hosted thank-you page with 303", async () => {
    const id = await knownForm();
    const sid = crypto.randomUUID();
    const form = new URLSearchParams([
      ["email", "binh@example.vn"],
      ["first_name", "Bình"],
      ["_sid", sid],
      ["_vid", "visitor-1"],
      ["_rendered", String(Date.now() - 5000)],
      ["_lang", "vi"],
      ["_page", "https://crm.test/f/x?utm_source=newsletter"],
      ["website_url", ""],
    ]);
    const response = await call(
      "POST",
      `/f/${id}`,
      { "Content-Type": "application/x-www-form-urlencoded" },
      form.toString(),
    );
    expect(response.status).toBe(303);
    expect(response.trips).toBe(0);
    expect(response.headers.get("Location")).toBe(`http://crm.test/f/${id}/thanks?lang=vi`);
    expect(lastData()).toMatchObject({
      submissionId: sid,
      format: "form",
      lang: "vi",
      visitorId: "visitor-1",
      fields: { email: "binh@example.vn", first_name: "Bình", website_url: "" },
      utm: { source: "newsletter" },
    });
  });

  it("takes multipart, repeats of a name becoming a list, and sends a plain post to the form's redirect URL", async () => {
    const id = await knownForm({
      thankYou: { message: { en: "Thanks" }, redirectUrl: "https://www.example.com/thanks" },
      fields: [
        ...(formBody().fields as Json[]),
        {
          key: "interests",
          type: "multiselect",
          label: { en: "Interests" },
          options: [
            { value: "crm", label: { en: "CRM" } },
            { value: "forms", label: { en: "Forms" } },
          ],
        },
      ],
    });
    const form = new FormData();
    form.append("email", "chi@example.vn");
    form.append("interests", "crm");
    form.append("interests", "forms");
    form.append("_sid", crypto.randomUUID());
    form.append("attachment", new File(["x"], "cv.pdf"));
    let response: Response | undefined;
    const trips = await t.roundTrips(async () => {
      response = await t.fetch(`/f/${id}`, { method: "POST", body: form });
    });
    expect(trips).toBe(0);
    expect(response?.status).toBe(303);
    expect(response?.headers.get("Location")).toBe("https://www.example.com/thanks");
    expect(lastData().fields).toEqual({ email: "chi@example.vn", interests: ["crm", "forms"] });
  });
});

describe("refusing what cannot be a submission", () => {
  it("answers 413 to a body over 16 KB, before reading it all", async () => {
    const id = await knownForm();
    const big = submission({ email: "a@b.vn", message: "x".repeat(17 * 1024) });
    const json = await call("POST", `/f/${id}`, {}, big);
    expect(json.status).toBe(413);
    expect(json.headers.get("Content-Type")).toBe("application/problem+json");
    const form = await call(
      "POST",
      `/f/${id}`,
      { "Content-Type": "application/x-www-form-urlencoded" },
      `email=a%40b.vn&message=${"y".repeat(20_000)}`,
    );
    expect(form.status).toBe(413);
    // Streamed without a length: counted as it comes.
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 20; i++) controller.enqueue(new TextEncoder().encode("z".repeat(1024)));
        controller.close();
      },
    });
    const streamed = await t.fetch(`/f/${id}`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: stream,
      // @ts-expect-error workerd needs duplex for a streamed body, which the DOM types do not declare here
      duplex: "half",
    });
    expect(streamed.status).toBe(413);
  });

  it("answers 415 to other content types, and 400 to bodies that are not a submission", async () => {
    const id = await knownForm();
    expect((await call("POST", `/f/${id}`, { "Content-Type": "text/plain" }, "email=a@b.vn")).status).toBe(
      415,
    );
    expect((await call("POST", `/f/${id}`, {}, undefined)).status).toBe(415);
    expect((await call("POST", `/f/${id}`, { "Content-Type": "application/json" }, "{nope")).status).toBe(
      400,
    );
    expect((await call("POST", `/f/${id}`, {}, [1, 2])).status).toBe(400);
    expect((await call("POST", `/f/${id}`, {}, { fields: { email: { nested: true } } })).status).toBe(400);
    expect((await call("POST", `/f/${id}`, {}, submission({}, { submissionId: "not-a-uuid" }))).status).toBe(
      400,
    );
    expect(capture.sent.filter((m) => (m.data as CaptureData).formId === id)).toEqual([]);
  });

  it("refuses a NUL in any kind of body, and takes names such as constructor as ordinary names", async () => {
    const id = await knownForm();
    const form = { "Content-Type": "application/x-www-form-urlencoded" };
    expect((await call("POST", `/f/${id}`, form, "email=a%00%40b.vn")).status).toBe(422);
    expect((await call("POST", `/f/${id}`, form, "e%00mail=a%40b.vn")).status).toBe(422);
    const upper = { "Content-Type": "Application/JSON" };
    expect((await call("POST", `/f/${id}`, upper, submission({ email: "a\u0000@b.vn" }))).status).toBe(422);
    const odd = await call(
      "POST",
      `/f/${newId()}`,
      form,
      "constructor=x&toString=y&__proto__=z&email=a%40b.vn",
    );
    expect(odd.status).toBe(303);
    expect(lastData().fields).toEqual(
      Object.fromEntries([
        ["constructor", "x"],
        ["toString", "y"],
        ["__proto__", "z"],
        ["email", "a@b.vn"],
      ]),
    );
  });

  it("answers 422 naming each field, in the visitor's language, when the form is known", async () => {
    const id = await knownForm({
      consent: { text: { en: "I agree", vi: "Tôi đồng ý" }, required: true },
    });
    const response = await call(
      "POST",
      `/f/${id}`,
      ORIGIN,
      submission({ email: "not-an-email", phone: "call me" }, { lang: "vi" }),
    );
    expect(response.status).toBe(422);
    expect(response.trips).toBe(0);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe("https://www.example.com");
    expect(response.body).toMatchObject({ code: "validation_failed", status: 422 });
    expect(response.body.errors).toEqual([
      {
        field: "email",
        path: "fields.email",
        code: "invalid_email",
        message: "Vui lòng nhập địa chỉ email hợp lệ.",
      },
      {
        field: "phone",
        path: "fields.phone",
        code: "invalid_phone",
        message: "Vui lòng nhập số điện thoại hợp lệ.",
      },
      {
        field: "consent",
        path: "fields.consent",
        code: "consent_required",
        message: "Vui lòng đồng ý để tiếp tục.",
      },
    ]);
    const missing = await call("POST", `/f/${id}`, {}, submission({}, { consent: true }));
    expect(missing.body.errors).toEqual([
      { field: "email", path: "fields.email", code: "required", message: "This field is required." },
    ]);
  });

  it("shows a plain form its page again with the errors and the values kept (422, HTML)", async () => {
    const id = await knownForm();
    const sid = crypto.randomUUID();
    const response = await call(
      "POST",
      `/f/${id}`,
      { "Content-Type": "application/x-www-form-urlencoded" },
      new URLSearchParams({ email: "oops", first_name: "Dũng", _sid: sid, _lang: "en" }).toString(),
    );
    expect(response.status).toBe(422);
    expect(response.headers.get("Content-Type")).toBe("text/html; charset=utf-8");
    expect(response.headers.get("Content-Security-Policy")).toContain("script-src 'nonce-");
    expect(response.text).toContain("Dũng");
    expect(response.text).toContain('aria-invalid="true"');
    expect(response.text).toContain(sid);
    expect(response.text).toContain("Enter a valid email address.");
  });

  it("accepts what looks like spam without judging its values: it is kept and marked, not refused", async () => {
    const id = await knownForm({ spam: { minFillMs: 3000, perIpLimit: null } });
    const trapped = await call(
      "POST",
      `/f/${id}`,
      {},
      submission({ email: "bot" }, { honeypot: "http://spam" }),
    );
    expect(trapped.status).toBe(202);
    const hasty = await call(
      "POST",
      `/f/${id}`,
      {},
      submission({ email: "bot" }, { renderedAt: Date.now() - 100 }),
    );
    expect(hasty.status).toBe(202);
  });

  it("answers 404 for an id that is no form, and for a form known to be gone", async () => {
    expect((await call("POST", "/f/not-a-form-id", {}, submission({ email: "a@b.vn" }))).status).toBe(404);
    const id = await knownForm();
    await call("DELETE", `/api/v1/forms/${id}`, asAdmin);
    expect((await call("GET", `/f/${id}/definition`)).status).toBe(404);
    const gone = await call("POST", `/f/${id}`, {}, submission({ email: "a@b.vn" }));
    expect(gone.status).toBe(404);
    expect(gone.trips).toBe(0);
  });
});

describe("CORS", () => {
  it("answers a preflight from an allowed origin, and refuses one from any other", async () => {
    const id = await newForm({ allowedOrigins: ["https://www.example.com", "https://*.example.org"] });
    const preflight = (origin: string) =>
      call("OPTIONS", `/f/${id}`, {
        Origin: origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
      });
    const allowed = await preflight("https://www.example.com");
    expect(allowed.status).toBe(204);
    expect(allowed.trips).toBe(1);
    expect(allowed.headers.get("Access-Control-Allow-Origin")).toBe("https://www.example.com");
    expect(allowed.headers.get("Access-Control-Allow-Methods")).toBe("POST");
    expect(allowed.headers.get("Access-Control-Allow-Headers")).toBe("Content-Type");
    expect((await preflight("https://shop.example.org")).status).toBe(204);
    const denied = await preflight("https://evil.example.net");
    expect(denied.status).toBe(403);
    expect(denied.headers.get("Access-Control-Allow-Origin")).toBeNull();
    // The preflight taught this location the form: the next one needs no database.
    expect((await preflight("https://www.example.com")).trips).toBe(0);
  });

  it("refuses a post from another origin once the form is known, and gives its definition no CORS there", async () => {
    const id = await knownForm();
    const post = await call(
      "POST",
      `/f/${id}`,
      { Origin: "https://evil.example.net" },
      submission({ email: "a@b.vn" }),
    );
    expect(post.status).toBe(403);
    expect(post.headers.get("Access-Control-Allow-Origin")).toBeNull();
    const definition = await call("GET", `/f/${id}/definition`, { Origin: "https://evil.example.net" });
    expect(definition.status).toBe(200);
    expect(definition.headers.get("Access-Control-Allow-Origin")).toBeNull();
    const allowed = await call("GET", `/f/${id}/definition`, ORIGIN);
    expect(allowed.headers.get("Access-Control-Allow-Origin")).toBe("https://www.example.com");
    expect(allowed.headers.get("Cache-Control")).toBe("public, max-age=60");
    // The hosted page posts from the CRM's own origin: always allowed, no CORS needed.
    expect(
      (await call("POST", `/f/${id}`, { Origin: "http://crm.test" }, submission({ email: "a@b.vn" }))).status,
    ).toBe(202);
  });
});

describe("rate limits", () => {
  it("answers 429 with Retry-After once one address sent more than its share to a form", async () => {
    const id = await knownForm();
    const ip = `198.51.100.${Math.floor(Math.random() * 250)}`;
    const statuses: number[] = [];
    for (let i = 0; i < 22; i++) {
      const response = await call(
        "POST",
        `/f/${id}`,
        { "CF-Connecting-IP": ip },
        submission({ email: `r${i}@example.vn` }),
      );
      statuses.push(response.status);
      if (response.status === 429) expect(response.headers.get("Retry-After")).toBe("60");
    }
    expect(statuses.slice(0, 20).every((s) => s === 202)).toBe(true);
    expect(statuses.slice(20)).toEqual([429, 429]);
    // Another address is not held back.
    expect(
      (await call("POST", `/f/${id}`, { "CF-Connecting-IP": "192.0.2.1" }, submission({ email: "x@y.vn" })))
        .status,
    ).toBe(202);
  });
});

describe("durability", () => {
  it("writes the submission straight to the database (one round trip) when the queue fails, and still answers 202", async () => {
    const id = await knownForm();
    const body = submission({ email: "durable@example.vn" });
    capture.failing = true;
    try {
      const response = await call("POST", `/f/${id}`, {}, body);
      expect(response.status).toBe(202);
      expect(response.trips).toBe(1);
      const form = await call(
        "POST",
        `/f/${id}`,
        { "Content-Type": "application/x-www-form-urlencoded" },
        new URLSearchParams({ email: "plain@example.vn", _sid: crypto.randomUUID() }).toString(),
      );
      expect(form.status).toBe(303);
    } finally {
      capture.failing = false;
    }
    const [row] = await t.db
      .select()
      .from(formSubmissions)
      .where(eq(formSubmissions.id, body.submissionId as string));
    expect(row).toMatchObject({ formId: id, status: "received", visitorId: body.visitorId });
    expect(JSON.parse(row?.payload ?? "{}")).toMatchObject({ fields: { email: "durable@example.vn" } });
  });

  it("answers 503 with Retry-After when neither the queue nor the database takes it, and keeps nothing", async () => {
    const id = await knownForm();
    capture.failing = true;
    try {
      // The same Worker, its database unreachable (nothing listens on that port).
      const env = { ...t.env, LIBSQL_URL: "http://127.0.0.1:9/ns/gone/" } as Env;
      const broken = { ...(baseEnv as unknown as Env), ...env };
      const ctx = createExecutionContext();
      const response = await worker.fetch(
        new Request(`http://crm.test/f/${id}`, {
          method: "POST",
          headers: { "Content-Type": "application/json", ...ORIGIN },
          body: JSON.stringify(submission({ email: "lost@example.vn" })),
        }),
        broken,
        ctx,
      );
      await waitOnExecutionContext(ctx);
      expect(response.status).toBe(503);
      expect(response.headers.get("Retry-After")).toBe("30");
      expect(response.headers.get("Content-Type")).toBe("application/problem+json");
      expect(((await response.json()) as Json).code).toBe("unavailable");

      // The preflight cannot read the form either, yet lets the browser send: the queue may still take it.
      const preflight = await worker.fetch(
        new Request(`http://crm.test/f/${id}`, { method: "OPTIONS", headers: ORIGIN }),
        broken,
        createExecutionContext(),
      );
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get("Access-Control-Allow-Origin")).toBe("https://www.example.com");
    } finally {
      capture.failing = false;
    }
  });
});
