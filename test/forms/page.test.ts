// The hosted form page and thank-you page as HTML: complete documents in both languages, everything from the
// definition escaped, errors tied to their fields for screen readers, the no-JavaScript post's hidden inputs
// and trap, and nothing but the public definition in the page.
import { describe, expect, it } from "vitest";
import type { PublicForm } from "../../functions/forms/field-rules.ts";
import { renderFormPage, renderThankYouPage } from "../../functions/forms/page.ts";
import type { PageData } from "../../web/embed/view.ts";

function sampleForm(overrides: Partial<PublicForm> = {}): PublicForm {
  return {
    id: "0b9c6f5e-8a34-4c1e-9d6a-2f1e3c4b5a69",
    name: "Request a demo",
    languages: ["en", "vi"],
    fields: [
      { key: "first_name", type: "text", label: { en: "First name", vi: "Tên" }, required: true },
      { key: "email", type: "email", label: { en: "Email", vi: "Email" }, required: true },
      { key: "phone", type: "phone", label: { en: "Phone", vi: "Số điện thoại" }, required: false },
      { key: "employees", type: "number", label: { en: "Employees" }, required: false, min: 1, max: 100000 },
      {
        key: "plan",
        type: "select",
        label: { en: "Plan", vi: "Gói" },
        required: false,
        options: [
          { value: "basic", label: { en: "Basic", vi: "Cơ bản" } },
          { value: "pro", label: { en: "Pro" } },
        ],
      },
      {
        key: "interests",
        type: "multiselect",
        label: { en: "Interests", vi: "Quan tâm" },
        required: false,
        options: [
          { value: "crm", label: { en: "CRM" } },
          { value: "forms", label: { en: "Forms", vi: "Biểu mẫu" } },
        ],
      },
      { key: "message", type: "textarea", label: { en: "Message", vi: "Lời nhắn" }, required: false },
      { key: "campaign", type: "hidden", label: { en: "Campaign" }, required: false },
    ],
    consent: { text: { en: "I agree to be contacted.", vi: "Tôi đồng ý được liên hệ." }, required: true },
    submitLabel: { en: "Send", vi: "Gửi" },
    thankYou: {
      message: { en: "Thanks, we will call you.", vi: "Cảm ơn, chúng tôi sẽ gọi lại." },
      redirectUrl: null,
    },
    turnstileSiteKey: null,
    minFillMs: 2000,
    honeypotName: "website_url",
    ...overrides,
  };
}

const base = {
  action: "/f/0b9c6f5e-8a34-4c1e-9d6a-2f1e3c4b5a69",
  submissionId: "sid-1",
  renderedAt: 1790000000000,
};

/** The opening tag of the element with this id. */
function tagWithId(page: string, id: string): string {
  const match = new RegExp(`<[a-z]+[^>]*\\sid="${id}"[^>]*>`).exec(page);
  if (!match) throw new Error(`no element with id ${id}`);
  return match[0];
}

function pageData(page: string): PageData {
  const match = /<script type="application\/json" id="crm-data">(.*?)<\/script>/s.exec(page);
  if (!match?.[1]) throw new Error("no data block");
  return JSON.parse(match[1]) as PageData;
}

describe("the hosted form page", () => {
  it("is a complete, mobile-ready English document with a label for every control", () => {
    const page = renderFormPage({ form: sampleForm(), lang: "en", ...base });
    expect(page.startsWith("<!doctype html>")).toBe(true);
    expect(page).toContain('<html lang="en">');
    expect(page).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(page).toContain("<title>Request a demo</title>");
    expect(page).toContain(
      '<form id="crm-form" method="post" action="/f/0b9c6f5e-8a34-4c1e-9d6a-2f1e3c4b5a69"',
    );
    for (const key of ["first_name", "email", "phone", "employees", "plan", "interests", "message"]) {
      expect(page).toContain(`<label for="f-${key}">`);
      expect(tagWithId(page, `f-${key}`)).toContain(`name="${key}"`);
    }
    expect(page).toContain('<label for="f--consent">I agree to be contacted.');
    // Keyboards and autofill suited to each field.
    expect(tagWithId(page, "f-email")).toMatch(/type="email" inputmode="email" autocomplete="email"/);
    expect(tagWithId(page, "f-phone")).toMatch(/type="tel" inputmode="tel" autocomplete="tel"/);
    expect(tagWithId(page, "f-first_name")).toContain('autocomplete="given-name"');
    expect(tagWithId(page, "f-employees")).toContain('inputmode="decimal"');
    expect(tagWithId(page, "f-first_name")).toContain('maxlength="200"');
    // Required fields: the attribute for assistive technology, a visible mark explained once.
    expect(tagWithId(page, "f-first_name")).toContain(" required");
    expect(tagWithId(page, "f-phone")).not.toContain(" required");
    expect(page).toContain('<span class="rq" aria-hidden="true"> *</span>');
    expect(page).toContain("Fields marked * are required.");
    expect(page).toContain('<button type="submit">Send</button>');
    expect(page).toContain('<a href="?lang=vi" hreflang="vi" lang="vi">Tiếng Việt</a>');
    // No outside assets: no stylesheet link, no script from elsewhere when there is no Turnstile key.
    expect(page).not.toMatch(/<link\b/);
    expect(page).not.toMatch(/<script[^>]*\ssrc=/);
  });

  it("posts without JavaScript: submission id, render time, language, empty page, referrer and visitor, the trap", () => {
    const page = renderFormPage({ form: sampleForm(), lang: "en", ...base });
    expect(page).toContain('<input type="hidden" name="_sid" value="sid-1">');
    expect(page).toContain('<input type="hidden" name="_rendered" value="1790000000000">');
    expect(page).toContain('<input type="hidden" name="_lang" value="en">');
    expect(page).toContain('<input type="hidden" name="_page" value="">');
    expect(page).toContain('<input type="hidden" name="_ref" value="">');
    expect(page).toContain('<input type="hidden" name="_vid" value="">');
    expect(page).toContain('<input type="hidden" name="campaign" value="" data-q>');
    // The trap is in the form for robots, hidden from sight, from the keyboard and from screen readers.
    const trap = /<div class="hp" aria-hidden="true">(.*?)<\/div>/.exec(page)?.[1] ?? "";
    expect(trap).toContain('name="website_url"');
    expect(trap).toContain('tabindex="-1"');
    expect(trap).toContain('autocomplete="off"');
    expect(page).toMatch(/\.hp\{[^}]*position:absolute/);
    // The consent box posts "consent".
    expect(tagWithId(page, "f--consent")).toMatch(
      /type="checkbox" id="f--consent" name="consent"( |>).*required/,
    );
  });

  it("keeps where the visitor came from when rendered again after a post that did not pass", () => {
    const page = renderFormPage({
      form: sampleForm(),
      lang: "en",
      ...base,
      page: { url: 'https://site.example/p?utm_source=x&q="><b>', referrer: "https://google.com/" },
      errors: { email: "required" },
    });
    expect(page).toContain(
      '<input type="hidden" name="_page" value="https://site.example/p?utm_source=x&amp;q=&quot;&gt;&lt;b&gt;">',
    );
    expect(page).toContain('<input type="hidden" name="_ref" value="https://google.com/">');
  });

  it("is in Vietnamese when asked, English standing in for a missing translation", () => {
    const page = renderFormPage({ form: sampleForm(), lang: "vi", ...base });
    expect(page).toContain('<html lang="vi">');
    expect(page).toContain('<label for="f-first_name">Tên');
    expect(page).toContain('<label for="f-employees">Employees');
    expect(page).toContain('<option value="basic">Cơ bản</option>');
    expect(page).toContain('<option value="pro">Pro</option>');
    expect(page).toContain('<option value="">Chọn…</option>');
    expect(page).toContain("Các trường có dấu * là bắt buộc.");
    expect(page).toContain('<button type="submit">Gửi</button>');
    expect(page).toContain('<label for="f--consent">Tôi đồng ý được liên hệ.');
    expect(page).toContain('data-sending="Đang gửi…"');
    expect(page).toContain('<a href="?lang=en" hreflang="en" lang="en">English</a>');
    expect(page).toContain('<input type="hidden" name="_lang" value="vi">');
    expect(pageData(page).messages.required).toBe("Trường này là bắt buộc.");
  });

  it("falls back to the form's own language when it does not have the one asked for", () => {
    const page = renderFormPage({ form: sampleForm({ languages: ["vi"] }), lang: "en", ...base });
    expect(page).toContain('<html lang="vi">');
    expect(page).not.toContain("hreflang");
  });

  it("escapes everything that comes from the definition and the visitor", () => {
    const hostile = `"><script>alert(1)</script><img src=x onerror=alert(2)>`;
    const form = sampleForm({
      name: hostile,
      fields: [
        {
          key: "first_name",
          type: "text",
          label: { en: hostile },
          placeholder: { en: `" autofocus onfocus="alert(3)` },
          required: true,
        },
        {
          key: "plan",
          type: "select",
          label: { en: "Plan" },
          required: false,
          options: [
            { value: `x" selected onclick="alert(4)`, label: { en: "</option><script>alert(5)</script>" } },
          ],
        },
        { key: "message", type: "textarea", label: { en: "Message" }, required: false },
      ],
      consent: { text: { en: hostile }, required: false },
      submitLabel: { en: "</button><script>alert(6)</script>" },
      honeypotName: `trap" onfocus="alert(7)`,
    });
    const page = renderFormPage({
      form,
      lang: "en",
      ...base,
      action: `/f/x" onsubmit="alert(8)`,
      submissionId: `"><script>alert(9)</script>`,
      values: {
        first_name: `"><script>alert(10)</script>`,
        message: "</textarea><script>alert(11)</script>",
      },
      errors: { first_name: "required" },
    });
    // Our one inline script, and the JSON data block; nothing else runs or makes elements.
    expect(page.match(/<script/g)).toHaveLength(2);
    expect(page).not.toContain("<img");
    expect(page).not.toMatch(/\son(error|focus|click|submit)="/);
    expect(page).not.toContain("</option><script>");
    expect(page).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(page).toContain('value="&quot;&gt;&lt;script&gt;alert(10)&lt;/script&gt;"');
    expect(page).toContain("&lt;/textarea&gt;&lt;script&gt;alert(11)&lt;/script&gt;</textarea>");
    expect(page).toContain('name="trap&quot; onfocus=&quot;alert(7)"');
    // The data block cannot be closed from inside: every "<" in it is escaped.
    const block = /<script type="application\/json" id="crm-data">(.*?)<\/script>/s.exec(page)?.[1] ?? "";
    expect(block).not.toContain("<");
    expect(pageData(page).form.name).toBe(hostile);
  });

  it("shows errors by their fields, tied to the controls, with a summary that links to them", () => {
    const page = renderFormPage({
      form: sampleForm(),
      lang: "en",
      ...base,
      values: { first_name: "An", email: "not-an-email", interests: ["forms"], plan: "pro" },
      errors: {
        email: "invalid_email",
        interests: "invalid_option",
        consent: "consent_required",
        campaign: "too_long",
      },
    });
    expect(page).toContain("<title>Error: Request a demo</title>");
    const email = tagWithId(page, "f-email");
    expect(email).toContain('aria-invalid="true"');
    expect(email).toContain('aria-describedby="f-email-error"');
    expect(email).toContain('value="not-an-email"');
    expect(page).toContain(
      '<p class="err" id="f-email-error"><span class="sr">Error: </span>Enter a valid email address.</p>',
    );
    // A field without an error still has its (empty) error line, already named by aria-describedby.
    expect(page).toContain('<p class="err" id="f-first_name-error"></p>');
    expect(tagWithId(page, "f-first_name")).not.toContain("aria-invalid");
    expect(tagWithId(page, "f-first_name")).toContain('value="An"');
    // A group's error describes the group.
    expect(page).toMatch(
      /<fieldset class="fd bad" data-key="interests" aria-describedby="f-interests-error">/,
    );
    expect(tagWithId(page, "f-interests-1")).toContain("checked");
    expect(tagWithId(page, "f-interests")).not.toContain("checked");
    expect(page).toContain('<option value="pro" selected>Pro</option>');
    expect(tagWithId(page, "f--consent")).toContain('aria-invalid="true"');
    // The summary: focused on load, a link to each field, the error with no field as text.
    const summary = /<div class="sum"[^>]*>.*?<\/div>/s.exec(page)?.[0] ?? "";
    expect(summary).toContain('tabindex="-1"');
    expect(summary).toContain("autofocus");
    expect(summary).toContain('aria-labelledby="crm-sum-title"');
    expect(summary).toContain('<a href="#f-email">Email: Enter a valid email address.</a>');
    expect(summary).toContain('<a href="#f-interests">Interests: Choose one of the options.</a>');
    expect(summary).toContain('<a href="#f--consent">Please give your consent to continue.</a>');
    expect(summary).toContain("<li>This value is too long.</li>");
  });

  it("shows the errors in Vietnamese on a Vietnamese page", () => {
    const page = renderFormPage({
      form: sampleForm(),
      lang: "vi",
      ...base,
      errors: { first_name: "required" },
    });
    expect(page).toContain("<title>Lỗi: Request a demo</title>");
    expect(page).toContain('<h2 id="crm-sum-title">Có lỗi cần sửa</h2>');
    expect(page).toContain('<a href="#f-first_name">Tên: Trường này là bắt buộc.</a>');
    expect(page).toContain('<span class="sr">Lỗi: </span>Trường này là bắt buộc.');
  });

  it("puts the nonce on its style and scripts, and Turnstile only when the form has a site key", () => {
    const plain = renderFormPage({ form: sampleForm(), lang: "en", ...base });
    expect(plain).toContain("<style>");
    expect(plain).not.toContain("nonce=");
    expect(plain).not.toContain("challenges.cloudflare.com");
    expect(plain).not.toContain("cf-turnstile");

    const page = renderFormPage({
      form: sampleForm({ turnstileSiteKey: "1x00000000000000000000AA" }),
      lang: "vi",
      ...base,
      nonce: "n0nce",
    });
    expect(page).toContain('<style nonce="n0nce">');
    expect(page).toContain(
      '<script src="https://challenges.cloudflare.com/turnstile/v0/api.js" async defer nonce="n0nce"></script>',
    );
    expect(page).toMatch(/<script nonce="n0nce">\(\(\)=>/);
    expect(page).toContain(
      'class="fd cf-turnstile" data-sitekey="1x00000000000000000000AA" data-language="vi"',
    );
    // Every executable script carries the nonce; the data block is not executable.
    for (const tag of page.match(/<script[^>]*>/g) ?? []) {
      expect(tag.includes('nonce="n0nce"') || tag.includes('type="application/json"')).toBe(true);
    }
  });

  it("its enhancement script is valid JavaScript", () => {
    const page = renderFormPage({ form: sampleForm(), lang: "en", ...base });
    const script = /<script>(.*?)<\/script>/s.exec(page)?.[1] ?? "";
    expect(script.length).toBeGreaterThan(100);
    expect(() => new Function(script)).not.toThrow();
  });

  it("carries nothing but the public definition, whatever the caller's object holds", () => {
    const form = {
      ...sampleForm(),
      allowedOrigins: ["https://secret-origin.example"],
      turnstileSecretKey: "0x4AAAAAAA-secret",
      notify: ["boss@example.com"],
      ownerId: "owner-123",
    } as PublicForm;
    form.fields[0] = {
      ...(form.fields[0] as PublicForm["fields"][number]),
      mapTo: "contact.firstName",
    } as never;
    const page = renderFormPage({ form, lang: "en", ...base });
    for (const secret of [
      "secret-origin",
      "0x4AAAAAAA",
      "boss@example.com",
      "owner-123",
      "mapTo",
      "contact.firstName",
    ]) {
      expect(page).not.toContain(secret);
    }
    const data = pageData(page);
    expect(Object.keys(data.form).sort()).toEqual(
      [
        "consent",
        "fields",
        "honeypotName",
        "id",
        "languages",
        "minFillMs",
        "name",
        "submitLabel",
        "thankYou",
        "turnstileSiteKey",
      ].sort(),
    );
    expect(data.lang).toBe("en");
    expect(data.text.sending).toBe("Sending…");
  });
});

describe("the thank-you page", () => {
  it("thanks in the visitor's language, with a way back to the form", () => {
    const en = renderThankYouPage({ form: sampleForm(), lang: "en" });
    expect(en).toContain('<html lang="en">');
    expect(en).toContain("<h1>Thank you</h1>");
    expect(en).toContain('<p class="ty" role="status">Thanks, we will call you.</p>');
    expect(en).toContain('href="/f/0b9c6f5e-8a34-4c1e-9d6a-2f1e3c4b5a69?lang=en"');

    const vi = renderThankYouPage({ form: sampleForm(), lang: "vi", nonce: "abc" });
    expect(vi).toContain('<html lang="vi">');
    expect(vi).toContain("<h1>Cảm ơn bạn</h1>");
    expect(vi).toContain("Cảm ơn, chúng tôi sẽ gọi lại.");
    expect(vi).toContain('<style nonce="abc">');
  });

  it("escapes the message", () => {
    const form = sampleForm({
      thankYou: { message: { en: "<script>alert(1)</script>" }, redirectUrl: null },
      name: "<b>x</b>",
    });
    const page = renderThankYouPage({ form, lang: "en" });
    expect(page).not.toContain("<script");
    expect(page).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(page).toContain("&lt;b&gt;x&lt;/b&gt;");
  });
});
