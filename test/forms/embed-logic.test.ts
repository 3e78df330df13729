// The embed script's logic away from the browser: its checks are the shared rule set through valibot (the
// same verdicts and codes as the server's checkSubmission), and its sending retries what may succeed later
// with the same body, and nothing else.
import { afterEach, describe, expect, it, vi } from "vitest";
import { checkSubmission, type PublicForm } from "../../functions/forms/field-rules.ts";
import { formChecker } from "../../web/embed/schema.ts";
import { postJson, retryDelay } from "../../web/embed/send.ts";

const form: Pick<PublicForm, "fields" | "consent"> = {
  fields: [
    { key: "email", type: "email", label: { en: "Email" }, required: true },
    { key: "age", type: "number", label: { en: "Age" }, required: false, min: 18, max: 120 },
    {
      key: "topics",
      type: "multiselect",
      label: { en: "Topics" },
      required: true,
      options: [
        { value: "a", label: { en: "A" } },
        { value: "b", label: { en: "B" } },
      ],
    },
    { key: "news", type: "checkbox", label: { en: "News" }, required: false },
    { key: "note", type: "text", label: { en: "Note" }, required: false, maxLength: 5 },
  ],
  consent: { text: { en: "Yes" }, required: true },
};

describe("the embed's check", () => {
  const check = formChecker(form);

  it("gives the normalised values when all is well, leaving out empty optional fields", () => {
    expect(
      check({ email: " an@example.vn ", age: "42,5", topics: ["b", "a", "b"], news: "on", note: "" }, "on"),
    ).toEqual({
      ok: true,
      fields: { email: "an@example.vn", age: 42.5, topics: ["b", "a"], news: true },
      consent: true,
    });
  });

  it("reports every error with the rule's code, in the order of the form, consent last", () => {
    expect(check({ email: "nope", age: "12", topics: [], news: null, note: "too long" }, null)).toEqual({
      ok: false,
      errors: [
        ["email", "invalid_email"],
        ["age", "out_of_range"],
        ["topics", "required"],
        ["note", "too_long"],
        ["consent", "consent_required"],
      ],
    });
  });

  it("agrees with the server's check on the same input", () => {
    const inputs: [Record<string, unknown>, unknown][] = [
      [{ email: "a@b.vn", topics: ["a"] }, "on"],
      [{ email: "a@b", topics: ["c"] }, "on"],
      [{ email: "", age: "x", topics: "a", news: "yes" }, ""],
      [{ email: "x@y.com", age: "120", topics: ["a", "b"], note: "12345" }, true],
    ];
    for (const [fields, consent] of inputs) {
      const server = checkSubmission(form, fields, consent);
      const browser = check(fields, consent);
      if (browser.ok) {
        expect(server.errors).toEqual([]);
        expect(browser.fields).toEqual(server.values);
      } else {
        expect(browser.errors).toEqual(server.errors.map((e) => [e.field, e.code]));
      }
    }
  });
});

describe("the embed's retry delays", () => {
  it("doubles from one second, with jitter, up to a cap", () => {
    expect(retryDelay(1, null, 0.5)).toBe(1000);
    expect(retryDelay(2, null, 0.5)).toBe(2000);
    expect(retryDelay(3, null, 0)).toBe(3000);
    expect(retryDelay(4, null, 1)).toBe(10_000);
    expect(retryDelay(20, null, 0.5)).toBe(16_000);
  });

  it("follows Retry-After, in seconds or as a date, up to a minute", () => {
    expect(retryDelay(1, "3", 0.5)).toBe(3000);
    expect(retryDelay(1, "0", 0.5)).toBe(0);
    expect(retryDelay(1, "86400", 0.5)).toBe(60_000);
    const inTenSeconds = new Date(Date.now() + 10_000).toUTCString();
    expect(retryDelay(1, inTenSeconds, 0.5)).toBeGreaterThan(8000);
    expect(retryDelay(1, inTenSeconds, 0.5)).toBeLessThanOrEqual(10_000);
    expect(retryDelay(2, "soon", 0.5)).toBe(2000);
  });
});

describe("the embed's sending", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  function stubFetch(answers: (Response | Error)[]) {
    const bodies: string[] = [];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (_url: string, init: RequestInit) => {
        bodies.push(String(init.body));
        const answer = answers.shift();
        if (!answer) throw new Error("no more answers");
        if (answer instanceof Error) throw answer;
        return answer;
      }),
    );
    return bodies;
  }

  it("retries network errors, 429 and 5xx with the same body, honouring Retry-After, until it is answered", async () => {
    const bodies = stubFetch([
      new TypeError("Failed to fetch"),
      new Response(null, { status: 503, headers: { "Retry-After": "7" } }),
      new Response(null, { status: 429 }),
      new Response('{"status":"accepted"}', { status: 202 }),
    ]);
    const waits: number[] = [];
    let retries = 0;
    const response = await postJson("https://crm.example/f/1", '{"submissionId":"s-1"}', {
      wait: async (ms) => {
        waits.push(ms);
      },
      onRetry: () => {
        retries += 1;
      },
    });
    expect(response.status).toBe(202);
    expect(bodies).toEqual(Array(4).fill('{"submissionId":"s-1"}'));
    expect(retries).toBe(3);
    expect(waits[1]).toBe(7000);
    expect(waits).toHaveLength(3);
  });

  it("does not retry what will not change: 4xx other than 429", async () => {
    const bodies = stubFetch([new Response("{}", { status: 422 })]);
    const response = await postJson("https://crm.example/f/1", "{}", { wait: async () => {} });
    expect(response.status).toBe(422);
    expect(bodies).toHaveLength(1);
  });

  it("gives up after its attempts: the last answer, or the network error", async () => {
    stubFetch([new Response(null, { status: 503 }), new Response(null, { status: 503 })]);
    const last = await postJson("https://crm.example/f/1", "{}", { attempts: 2, wait: async () => {} });
    expect(last.status).toBe(503);

    stubFetch([new TypeError("offline"), new TypeError("offline")]);
    await expect(
      postJson("https://crm.example/f/1", "{}", { attempts: 2, wait: async () => {} }),
    ).rejects.toThrow("offline");
  });
});
