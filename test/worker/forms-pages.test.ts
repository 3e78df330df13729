// The public reads of a form: its definition for the embed, its hosted page and thank-you page, in English and
// Vietnamese, each at most one round trip (and none once this location knows the form).
import { beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../db/ids.ts";
import { createUser, sessionFor } from "./factories.ts";
import { formBody, formsTest, type Headers, type Json } from "./forms-support.ts";

const { t, call } = formsTest();

let asAdmin: Headers;

beforeAll(async () => {
  asAdmin = (await sessionFor(t.db, await createUser(t.db, { role: "admin" }))).headers;
});

async function newForm(extra: Json = {}): Promise<string> {
  const created = await call("POST", "/api/v1/forms", asAdmin, formBody(extra));
  expect(created.status).toBe(201);
  return created.body.id as string;
}

describe("the public definition", () => {
  it("reads the form once, then answers from what this location remembers", async () => {
    const id = await newForm();
    const first = await call("GET", `/f/${id}/definition`);
    expect(first.status).toBe(200);
    expect(first.trips).toBe(1);
    expect(first.body).toMatchObject({
      id,
      name: "Contact us",
      honeypotName: "website_url",
      turnstileSiteKey: null,
    });
    expect((first.body.fields as Json[]).map((f) => f.key)).toEqual([
      "email",
      "first_name",
      "last_name",
      "phone",
      "company",
      "message",
    ]);
    const again = await call("GET", `/f/${id}/definition`);
    expect(again.trips).toBe(0);
    expect(again.body).toEqual(first.body);
  });

  it("answers 404 for ids that name no form, without a lookup when the id cannot be one", async () => {
    const bad = await call("GET", "/f/not-a-uuid/definition");
    expect(bad.status).toBe(404);
    expect(bad.trips).toBe(0);
    expect(bad.headers.get("Content-Type")).toBe("application/problem+json");
    const unknown = newId();
    expect((await call("GET", `/f/${unknown}/definition`)).status).toBe(404);
    // Remembered as missing too.
    expect((await call("GET", `/f/${unknown}/definition`)).trips).toBe(0);
  });
});

describe("the hosted page", () => {
  it("renders the form in the language asked for, with a fresh submission id, its render time and a strict policy", async () => {
    const id = await newForm();
    const before = Date.now();
    const page = await call("GET", `/f/${id}?lang=vi`);
    expect(page.status).toBe(200);
    expect(page.headers.get("Content-Type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("Cache-Control")).toBe("no-store");
    const policy = page.headers.get("Content-Security-Policy") ?? "";
    const nonce = /script-src 'nonce-([^']+)'/.exec(policy)?.[1];
    expect(nonce).toBeTruthy();
    expect(page.text).toContain(`nonce="${nonce}"`);
    expect(policy).toContain("form-action 'self'");
    expect(page.text).toContain('lang="vi"');
    expect(page.text).toContain("Điện thoại");
    expect(page.text).toContain(`action="/f/${id}"`);
    const sid = /name="_sid" value="([^"]+)"/.exec(page.text)?.[1];
    expect(sid).toMatch(/^[0-9a-f-]{36}$/);
    const rendered = Number(/name="_rendered" value="(\d+)"/.exec(page.text)?.[1]);
    expect(rendered).toBeGreaterThanOrEqual(before);
    const next = await call("GET", `/f/${id}`, { "Accept-Language": "vi-VN,vi;q=0.9,en;q=0.8" });
    expect(next.text).toContain('lang="vi"');
    expect(/name="_sid" value="([^"]+)"/.exec(next.text)?.[1]).not.toBe(sid);
    expect((await call("GET", `/f/${id}?lang=en`)).text).toContain('lang="en"');
  });

  it("lets the policy send a plain post on to the form's redirect URL", async () => {
    const id = await newForm({
      thankYou: { message: { en: "Thanks" }, redirectUrl: "https://www.example.com/thanks?x=1" },
    });
    const page = await call("GET", `/f/${id}`);
    expect(page.headers.get("Content-Security-Policy")).toContain(
      "form-action 'self' https://www.example.com",
    );
  });

  it("answers 404 for a missing form", async () => {
    expect((await call("GET", `/f/${newId()}`)).status).toBe(404);
    expect((await call("GET", "/f/x")).status).toBe(404);
  });
});

describe("the thank-you page", () => {
  it("thanks in the form's language, or sends the visitor to the form's redirect URL", async () => {
    const id = await newForm();
    const page = await call("GET", `/f/${id}/thanks?lang=vi`);
    expect(page.status).toBe(200);
    expect(page.text).toContain("Cảm ơn bạn! Chúng tôi sẽ sớm liên hệ.");
    const redirecting = await newForm({
      thankYou: { message: { en: "Thanks" }, redirectUrl: "https://www.example.com/done" },
    });
    const response = await call("GET", `/f/${redirecting}/thanks`);
    expect(response.status).toBe(302);
    expect(response.headers.get("Location")).toBe("https://www.example.com/done");
  });
});
