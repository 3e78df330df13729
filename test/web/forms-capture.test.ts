// Lead capture end to end, in real Chromium: a site on another origin embeds a form with the snippet the forms
// API hands out, a visitor fills it in and sends it, and the contact appears through the API with its owner,
// its UTM and the "form submitted" timeline entry; the same with JavaScript off, through the hosted page and
// a plain form post. Also: the browser's own checks (accessible, no request sent), retries that keep the
// submission id, styles that neither leak in nor out, and the embed script's size.
//
// This file starts its own stack (the shared one keeps its admin to itself): an admin makes the form.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { Browser, Page, Request } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/lib/processes.ts";
import { type LocalStack, startLocalStack } from "../../scripts/lib/stack.ts";
import { launchBrowser } from "../support/browser.ts";

const EMBED_BUDGET_BYTES = 5 * 1024;

let dataDir: string;
let stack: LocalStack;
let browser: Browser;
let site: Server;
let siteOrigin: string;
let cookie = "";
let repId: string;
let form: { id: string; links: { embed: string; hosted: string } };
/** The partner's pages: path → the snippet it carries. */
const snippets: Record<string, string> = {};

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${stack.workerUrl}${path}`, {
    method,
    headers: {
      Cookie: cookie,
      "X-CRM-Request": "1",
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

interface Contact {
  id: string;
  firstName: string | null;
  email: string | null;
  ownerId: string;
  lifecycleStage: string;
  firstTouch: { source?: string; medium?: string; campaign?: string } | null;
}
interface Activity {
  type: string;
  subject: string | null;
  metadata: { submissionId?: string; utm?: Record<string, string>; page?: { url?: string } };
}

/** The contacts with this email, once the capture queue has made one (or the time is up). */
async function contactsWithEmail(email: string, timeoutMs = 20_000): Promise<Contact[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const page = await api<{ items: Contact[] }>(
      "GET",
      `/api/v1/contacts?email=${encodeURIComponent(email)}`,
    );
    if (page.items.length > 0 || Date.now() > until) return page.items;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function submissionsOf(contactId: string): Promise<Activity[]> {
  const page = await api<{ items: Activity[] }>(
    "GET",
    `/api/v1/activities?contactId=${contactId}&type=form_submission`,
  );
  return page.items;
}

/** The partner's page: its own loud styles, an element named like ours, and the embed snippet. */
function partnerPage(snippet: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Partner site</title>
<style>
  * { color: rgb(255, 0, 0) !important; font-family: serif !important; }
  body { font-size: 30px; line-height: 3; }
  div, p, label, input, button { margin: 40px !important; font-size: 40px !important; }
  button { background: rgb(0, 128, 0) !important; }
  .crm, .fd, form { display: none; }
</style></head>
<body>
<h1>Pricing</h1>
<p class="err" id="outside">The partner's own paragraph</p>
<button type="button" id="outside-button">The partner's own button</button>
${snippet}
</body></html>`;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "crm-forms-"));
  [stack, browser] = await Promise.all([
    startLocalStack({ port: await freePort(), dbPort: 0, dataDir, quiet: true }),
    launchBrowser(),
  ]);

  const login = await fetch(`${stack.workerUrl}/api/v1/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: stack.admin.email, password: stack.admin.password }),
  });
  expect(login.status).toBe(200);
  cookie = login.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  const rep = await api<{ id: string }>("POST", "/api/v1/users", {
    email: "lan.rep@example.com",
    name: "Trần Thị Lan",
    role: "rep",
  });
  repId = rep.id;

  // The partner's site, on a port of its own: another origin.
  const sitePort = await freePort();
  siteOrigin = `http://127.0.0.1:${sitePort}`;
  form = await api("POST", "/api/v1/forms", {
    name: "Request a demo",
    languages: ["en", "vi"],
    fields: [
      {
        key: "first_name",
        type: "text",
        label: { en: "First name", vi: "Tên" },
        required: true,
        mapTo: "contact.firstName",
      },
      {
        key: "email",
        type: "email",
        label: { en: "Email", vi: "Email" },
        required: true,
        mapTo: "contact.email",
      },
      { key: "phone", type: "phone", label: { en: "Phone", vi: "Số điện thoại" }, mapTo: "contact.phone" },
      {
        key: "interests",
        type: "multiselect",
        label: { en: "Interests", vi: "Quan tâm" },
        options: [
          { value: "crm", label: { en: "CRM" } },
          { value: "forms", label: { en: "Forms", vi: "Biểu mẫu" } },
        ],
      },
      // Filled from the page's query string (or a data-ref_code attribute on the tag).
      { key: "ref_code", type: "hidden", label: { en: "Referral code" } },
    ],
    consent: { text: { en: "I agree to be contacted.", vi: "Tôi đồng ý được liên hệ." }, required: true },
    submitLabel: { en: "Send", vi: "Gửi" },
    thankYou: {
      message: { en: "Thanks, we will call you.", vi: "Cảm ơn, chúng tôi sẽ gọi lại." },
      redirectUrl: null,
    },
    defaultOwnerId: repId,
    allowedOrigins: [siteOrigin],
    // A person takes a moment; these visitors are quick, and all come from one address.
    spam: { minFillMs: 1000, perIpLimit: null },
  });
  snippets["/pricing"] = form.links.embed;
  snippets["/vi"] = form.links.embed.replace("<script ", '<script data-lang="vi" ');
  site = createServer((request, response) => {
    const snippet = snippets[new URL(request.url ?? "/", siteOrigin).pathname];
    response.writeHead(snippet ? 200 : 404, { "Content-Type": "text/html; charset=utf-8" });
    response.end(snippet ? partnerPage(snippet) : "Not found");
  });
  await new Promise<void>((resolve) => site.listen(sitePort, "127.0.0.1", resolve));
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => (site ? site.close(resolve) : resolve(undefined)));
  await stack?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** Posts to the form's submit endpoint, as the browser made them. */
function recordPosts(page: Page): Request[] {
  const posts: Request[] = [];
  page.on("request", (request) => {
    if (request.method() === "POST" && request.url() === `${stack.workerUrl}/f/${form.id}`)
      posts.push(request);
  });
  return posts;
}

async function openPartnerPage(path: string): Promise<Page> {
  const page = await browser.newPage();
  const warnings: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "warning") warnings.push(message.text());
  });
  await page.goto(`${siteOrigin}${path}`, { referer: "https://www.google.com/" });
  try {
    await page.locator("form[aria-label='Request a demo']").waitFor({ timeout: 10_000 });
  } catch (error) {
    // The embed says why in the console (for one, a hosted page answered without CORS for this origin).
    throw new Error(`The embedded form did not appear. The page said: ${warnings.join(" | ") || "nothing"}`, {
      cause: error,
    });
  }
  return page;
}

/** The element focused inside the form's shadow root. */
const focusedInForm = (page: Page) =>
  page.evaluate(() => {
    const host = Array.from(document.querySelectorAll("div")).find((d) => d.shadowRoot);
    const focused = host?.shadowRoot?.activeElement;
    return focused
      ? `${focused.tagName.toLowerCase()}${focused.id ? `#${focused.id}` : `.${focused.className}`}`
      : null;
  });

describe("the embed script", () => {
  it("is served by the Worker and stays within its budget of 5 KB gzipped", async () => {
    const response = await fetch(`${stack.workerUrl}/embed.js`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/javascript/);
    const built = readFileSync(new URL("../../web/dist/embed.js", import.meta.url));
    expect(Buffer.from(await response.arrayBuffer()).equals(built)).toBe(true);
    const gzipped = gzipSync(built, { level: 9 }).length;
    console.info(`embed.js: ${built.length} bytes, ${gzipped} bytes gzipped`);
    expect(gzipped).toBeLessThanOrEqual(EMBED_BUDGET_BYTES);
  });

  it("on another origin: the visitor's lead becomes a contact with its owner, UTM and timeline entry", async () => {
    const page = await openPartnerPage(
      "/pricing?utm_source=newsletter&utm_medium=email&utm_campaign=spring&ref_code=partner-7",
    );
    const posts = recordPosts(page);
    await page.getByLabel("First name").fill("Lan");
    await page.getByLabel("Email").fill("lan.nguyen@example.vn");
    await page.getByLabel("Phone").fill("+84 912 345 678");
    await page.getByLabel("Forms").check();
    await page.getByLabel("I agree to be contacted.").check();
    await page.waitForTimeout(1000); // the form's minimum fill time
    await page.getByRole("button", { name: "Send" }).click();

    await page.getByText("Thanks, we will call you.").waitFor();
    expect(await focusedInForm(page)).toBe("p.ty");
    expect(posts).toHaveLength(1);
    const sent = posts[0]?.postDataJSON();
    expect(sent).toMatchObject({
      fields: {
        first_name: "Lan",
        email: "lan.nguyen@example.vn",
        phone: "+84 912 345 678",
        interests: ["forms"],
        ref_code: "partner-7",
      },
      consent: true,
      honeypot: "",
      lang: "en",
      page: {
        url: `${siteOrigin}/pricing?utm_source=newsletter&utm_medium=email&utm_campaign=spring&ref_code=partner-7`,
        referrer: "https://www.google.com/",
      },
    });
    expect(sent.submissionId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(typeof sent.visitorId).toBe("string");
    expect(sent.renderedAt).toBeLessThan(Date.now());
    expect(await page.evaluate(() => localStorage.getItem("crm_vid"))).toBe(sent.visitorId);

    const [contact, ...others] = await contactsWithEmail("lan.nguyen@example.vn");
    expect(others).toEqual([]);
    expect(contact).toMatchObject({
      firstName: "Lan",
      ownerId: repId,
      lifecycleStage: "lead",
      firstTouch: { source: "newsletter", medium: "email", campaign: "spring" },
    });
    const [entry, ...more] = await submissionsOf(contact?.id ?? "");
    expect(more).toEqual([]);
    expect(entry?.metadata.submissionId).toBe(sent.submissionId);
    expect(entry?.metadata.utm).toMatchObject({ source: "newsletter", campaign: "spring" });
    await page.close();
  });

  it("checks in the browser: errors by their fields, tied to them, a focused summary, and no request", async () => {
    const page = await openPartnerPage("/pricing");
    const posts = recordPosts(page);
    await page.getByLabel("Email").fill("not-an-email");
    await page.getByRole("button", { name: "Send" }).click();

    const summary = page.locator(".sum");
    await summary.waitFor();
    expect(await summary.getAttribute("role")).toBe("alert");
    expect(await page.locator("#crm-sum-title").textContent()).toBe("There is a problem");
    expect(await focusedInForm(page)).toBe("div.sum");
    expect(await summary.locator("a").allTextContents()).toEqual([
      "First name: This field is required.",
      "Email: Enter a valid email address.",
      "Please give your consent to continue.",
    ]);
    const email = page.getByLabel("Email");
    expect(await email.getAttribute("aria-invalid")).toBe("true");
    expect(await email.getAttribute("aria-describedby")).toBe("f-email-error");
    expect(await page.locator("#f-email-error").textContent()).toBe("Error: Enter a valid email address.");
    expect(await page.getByLabel("Phone").getAttribute("aria-invalid")).toBe("false");
    expect(await page.getByLabel("I agree to be contacted.").getAttribute("aria-invalid")).toBe("true");

    // A link of the summary takes the focus to its field, inside the shadow root.
    await summary.getByRole("link", { name: /^Email:/ }).click();
    expect(await focusedInForm(page)).toBe("input#f-email");
    // Mended, the error goes.
    await email.fill("an@example.vn");
    await page.getByLabel("First name").fill("An");
    await page.getByLabel("I agree to be contacted.").check();
    // (The valid one goes out; this test holds it, unanswered, to look at the form meanwhile.)
    await page.route(`${stack.workerUrl}/f/${form.id}`, () => {});
    await page.getByRole("button", { name: "Send" }).click();
    await expect.poll(() => summary.count()).toBe(0);
    expect(await email.getAttribute("aria-invalid")).toBe("false");
    expect(await page.locator("#f-email-error").textContent()).toBe("");
    expect(posts).toHaveLength(1);
    await page.close();
  });

  it("shows the server's verdict (422) by the fields it names", async () => {
    const page = await openPartnerPage("/pricing");
    await page.route(`${stack.workerUrl}/f/${form.id}`, (route) =>
      route.request().method() === "POST"
        ? route.fulfill({
            status: 422,
            headers: {
              "Access-Control-Allow-Origin": siteOrigin,
              "Content-Type": "application/problem+json",
            },
            body: JSON.stringify({
              status: 422,
              errors: [
                {
                  field: "phone",
                  path: "fields.phone",
                  code: "invalid_phone",
                  message: "Enter a valid phone number.",
                },
              ],
            }),
          })
        : route.continue(),
    );
    await page.getByLabel("First name").fill("Thảo");
    await page.getByLabel("Email").fill("thao@example.vn");
    await page.getByLabel("Phone").fill("+84 28 1234 5678");
    await page.getByLabel("I agree to be contacted.").check();
    await page.getByRole("button", { name: "Send" }).click();
    await page.locator(".sum").waitFor();
    expect(await page.locator(".sum a").allTextContents()).toEqual(["Phone: Enter a valid phone number."]);
    expect(await page.getByLabel("Phone").getAttribute("aria-invalid")).toBe("true");
    expect(await page.locator("#f-phone-error").textContent()).toBe("Error: Enter a valid phone number.");
    expect(await page.getByRole("button", { name: "Send" }).getAttribute("aria-disabled")).toBeNull();
    await page.close();
  });

  it("follows the form's redirect URL once the lead is accepted", async () => {
    const redirecting = await api<{ id: string; links: { embed: string } }>("POST", "/api/v1/forms", {
      name: "Newsletter",
      fields: [
        { key: "email", type: "email", label: { en: "Email" }, required: true, mapTo: "contact.email" },
      ],
      thankYou: { message: { en: "Thanks" }, redirectUrl: `${siteOrigin}/welcome` },
      allowedOrigins: [siteOrigin],
      spam: { minFillMs: 0, perIpLimit: null },
    });
    snippets["/newsletter"] = redirecting.links.embed;
    snippets["/welcome"] = "<p>Welcome aboard</p>";
    const page = await browser.newPage();
    await page.goto(`${siteOrigin}/newsletter`);
    await page.getByLabel("Email").fill("reader@example.vn");
    await page.getByRole("button", { name: "Submit" }).click();
    await page.waitForURL(`${siteOrigin}/welcome`);
    expect(await contactsWithEmail("reader@example.vn")).toHaveLength(1);
    await page.close();
  });

  it("speaks Vietnamese when the tag asks", async () => {
    const page = await openPartnerPage("/vi");
    const posts = recordPosts(page);
    expect(await page.getByRole("button", { name: "Gửi" }).count()).toBe(1);
    await page.getByRole("button", { name: "Gửi" }).click();
    await page.locator(".sum").waitFor();
    expect(await page.locator("#crm-sum-title").textContent()).toBe("Có lỗi cần sửa");
    expect(await page.locator("#f-first_name-error").textContent()).toBe("Lỗi: Trường này là bắt buộc.");
    expect(await page.getByLabel("Biểu mẫu").count()).toBe(1);
    expect(posts).toHaveLength(0);
    await page.close();
  });

  it("retries a failed send with the same submission id, disabled and saying so meanwhile", async () => {
    const page = await openPartnerPage("/pricing?utm_source=retry");
    const posts = recordPosts(page);
    let calls = 0;
    const whileSending: (string | null)[] = [];
    await page.route(`${stack.workerUrl}/f/${form.id}`, async (route) => {
      if (route.request().method() !== "POST") return route.continue();
      calls += 1;
      if (calls > 1) return route.continue();
      whileSending.push(
        await page.getByRole("button", { name: "Send" }).getAttribute("aria-disabled"),
        await page.locator("#crm-st").textContent(),
      );
      await route.fulfill({
        status: 503,
        headers: {
          "Access-Control-Allow-Origin": siteOrigin,
          "Access-Control-Expose-Headers": "Retry-After",
          "Retry-After": "1",
          "Content-Type": "application/problem+json",
        },
        body: JSON.stringify({ title: "Service Unavailable", status: 503 }),
      });
    });
    await page.getByLabel("First name").fill("Bình");
    await page.getByLabel("Email").fill("binh.tran@example.vn");
    await page.getByLabel("I agree to be contacted.").check();
    await page.waitForTimeout(1000);
    // A double click sends once.
    await page.getByRole("button", { name: "Send" }).dblclick();
    await page.getByText("Thanks, we will call you.").waitFor({ timeout: 15_000 });

    expect(whileSending).toEqual(["true", "Sending…"]);
    expect(calls).toBe(2);
    const ids = posts.map((post) => post.postDataJSON().submissionId);
    expect(ids).toHaveLength(2);
    expect(ids[1]).toBe(ids[0]);
    const contacts = await contactsWithEmail("binh.tran@example.vn");
    expect(contacts).toHaveLength(1);
    expect(contacts[0]?.firstTouch?.source).toBe("retry");
    await page.close();
  });

  it("keeps its styles to itself, and the page's out", async () => {
    const page = await openPartnerPage("/pricing");
    const label = page.locator("label[for='f-first_name']");
    const inside = await label.evaluate((element) => {
      const style = getComputedStyle(element);
      return {
        color: style.color,
        fontSize: style.fontSize,
        fontFamily: style.fontFamily,
        margin: style.margin,
      };
    });
    expect(inside.color).toBe("rgb(26, 26, 26)");
    expect(inside.fontSize).toBe("16px");
    expect(inside.fontFamily).not.toMatch(/^serif/);
    expect(inside.margin).toBe("0px 0px 4px");
    const button = await page
      .getByRole("button", { name: "Send" })
      .evaluate((element) => getComputedStyle(element).backgroundColor);
    expect(button).toBe("rgb(29, 78, 216)");
    // The host box takes none of the page's margins either.
    const host = await page.evaluate(() => {
      const element = Array.from(document.querySelectorAll("div")).find((d) => d.shadowRoot);
      return element ? getComputedStyle(element).margin : null;
    });
    expect(host).toBe("0px");
    // And the form's rules stay inside: the page's own .err and button are as the page styled them.
    expect(await page.locator("#outside").evaluate((e) => getComputedStyle(e).color)).toBe("rgb(255, 0, 0)");
    expect(await page.locator("#outside-button").evaluate((e) => getComputedStyle(e).backgroundColor)).toBe(
      "rgb(0, 128, 0)",
    );
    await page.close();
  });

  it("renders Turnstile beside the form when it has a site key, and sends its token", async () => {
    const guarded = await api<{ id: string; links: { embed: string } }>("POST", "/api/v1/forms", {
      name: "Guarded",
      fields: [
        { key: "email", type: "email", label: { en: "Email" }, required: true, mapTo: "contact.email" },
      ],
      allowedOrigins: [siteOrigin],
      // Cloudflare's published test keys.
      spam: {
        minFillMs: 0,
        perIpLimit: null,
        turnstile: { siteKey: "1x00000000000000000000AA", secretKey: "1x0000000000000000000000000000000AA" },
      },
    });
    snippets["/guarded"] = guarded.links.embed;
    const page = await browser.newPage();
    // Turnstile's script, stood in for (the tests stay off the network): it renders a box and has a token.
    const loaded: string[] = [];
    await page.route("https://challenges.cloudflare.com/**", (route) => {
      loaded.push(route.request().url());
      return route.fulfill({
        contentType: "text/javascript",
        body: `window.turnstile = {
          render(element, options) {
            const widget = document.createElement("div");
            widget.className = "fake-widget";
            widget.textContent = options.sitekey;
            element.append(widget);
            return "w1";
          },
          getResponse(id) { return id === "w1" ? "XXXX.DUMMY.TOKEN.XXXX" : undefined; },
          reset() {},
        };`,
      });
    });
    const posts: Request[] = [];
    page.on("request", (request) => {
      if (request.method() === "POST" && request.url() === `${stack.workerUrl}/f/${guarded.id}`)
        posts.push(request);
    });
    await page.goto(`${siteOrigin}/guarded`);
    await page.locator(".fake-widget").waitFor();
    expect(loaded).toEqual(["https://challenges.cloudflare.com/turnstile/v0/api.js?render=explicit"]);
    // The widget lives in the page, slotted into the form: Turnstile cannot render inside a shadow root.
    const placement = await page.evaluate(() => {
      const box = document.querySelector("[slot=ts]");
      return { text: box?.textContent, inHost: Boolean(box?.parentElement?.shadowRoot) };
    });
    expect(placement).toEqual({ text: "1x00000000000000000000AA", inHost: true });
    await page.getByLabel("Email").fill("guarded@example.vn");
    await page.getByRole("button", { name: "Submit" }).click();
    await expect.poll(() => posts.length).toBe(1);
    expect(posts[0]?.postDataJSON().turnstileToken).toBe("XXXX.DUMMY.TOKEN.XXXX");
    await page.close();
  });
});

describe("the hosted page with JavaScript on", () => {
  it("sends the page's URL, its referrer and the visitor id with the plain post, once", async () => {
    const page = await browser.newPage();
    const hosted = `${stack.workerUrl}/f/${form.id}?utm_source=qr&utm_campaign=expo`;
    await page.goto(hosted, { referer: "https://zalo.me/" });
    await page.getByLabel("First name").fill("Minh");
    await page.getByLabel("Email").fill("minh.pham@example.vn");
    await page.getByLabel("I agree to be contacted.").check();
    await page.waitForTimeout(1000);
    const posts: Request[] = [];
    page.on("request", (request) => {
      if (request.method() === "POST") posts.push(request);
    });
    await page.getByRole("button", { name: "Send" }).dblclick();
    await page.waitForURL(`${stack.workerUrl}/f/${form.id}/thanks?lang=en`);
    expect(posts).toHaveLength(1);
    const sent = new URLSearchParams(posts[0]?.postData() ?? "");
    expect(sent.get("_page")).toBe(hosted);
    expect(sent.get("_ref")).toBe("https://zalo.me/");
    expect(sent.get("_vid")).toMatch(/^[0-9a-f-]{36}$/);
    const [contact] = await contactsWithEmail("minh.pham@example.vn");
    expect(contact?.firstTouch).toMatchObject({ source: "qr", campaign: "expo" });
    await page.close();
  });
});

describe("the hosted page with JavaScript off", () => {
  it("shows errors accessibly after a plain post that does not pass", async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${stack.workerUrl}/f/${form.id}?lang=en`);
    await page.getByLabel("Email").fill("not-an-email");
    await page.waitForTimeout(1000); // sooner, it would be taken (and kept) as spam, not corrected
    const [answer] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === "POST"),
      page.getByRole("button", { name: "Send" }).click(),
    ]);
    expect(answer.status()).toBe(422);
    await page.waitForLoadState();
    expect(await page.title()).toBe("Error: Request a demo");
    expect(await page.getByLabel("Email").inputValue()).toBe("not-an-email");
    expect(await page.getByLabel("Email").getAttribute("aria-invalid")).toBe("true");
    expect(await page.locator("#f-email-error").textContent()).toBe("Error: Enter a valid email address.");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("crm-sum");
    expect(await page.locator("#crm-sum a").first().getAttribute("href")).toBe("#f-first_name");
    await context.close();
  });

  it("takes a lead through a plain form post, by keyboard alone, in Vietnamese: 303 to the thank-you page", async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    const hosted = `${stack.workerUrl}/f/${form.id}?lang=vi&utm_source=zalo&utm_medium=social&utm_campaign=tet`;
    await page.goto(hosted);
    expect(await page.locator("html").getAttribute("lang")).toBe("vi");
    expect(await page.getByRole("button", { name: "Gửi" }).count()).toBe(1);

    // Tab order: the language link, then the fields; the trap is never reached.
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("English");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("f-first_name");
    await page.keyboard.type("Hương");
    await page.keyboard.press("Tab");
    await page.keyboard.type("huong.le@example.vn");
    await page.keyboard.press("Tab");
    await page.keyboard.type("0912 000 111");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Space"); // CRM
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("f--consent");
    await page.keyboard.press("Space");
    await page.waitForTimeout(1000);
    const redirects: number[] = [];
    page.on("response", (response) => {
      if (response.request().method() === "POST") redirects.push(response.status());
    });
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await page.waitForURL(`${stack.workerUrl}/f/${form.id}/thanks?lang=vi`);
    expect(redirects).toEqual([303]);
    expect(await page.locator("h1").textContent()).toBe("Cảm ơn bạn");
    expect(await page.getByText("Cảm ơn, chúng tôi sẽ gọi lại.").count()).toBe(1);

    const [contact] = await contactsWithEmail("huong.le@example.vn");
    expect(contact).toMatchObject({
      firstName: "Hương",
      ownerId: repId,
      firstTouch: { source: "zalo", medium: "social", campaign: "tet" },
    });
    const entries = await submissionsOf(contact?.id ?? "");
    expect(entries).toHaveLength(1);
    expect(entries[0]?.metadata.utm).toMatchObject({ source: "zalo", campaign: "tet" });
    await context.close();
  });
});
