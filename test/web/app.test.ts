// The reps' app end to end, in real Chromium against the whole local stack: two-step login (enrolled in the
// app itself, then with a code and with a recovery code), a new contact, a call on its timeline, a task
// completed, a deal dragged across the board with its totals following (and a refused move rolled back), a
// form built with its embed snippet copied, and the switch to Vietnamese with its formats. The run saves
// screenshots of the board, a contact 360 and the dashboard at desktop and phone widths in
// test-results/screenshots/.
//
// One stack and one browser page for the whole file, to keep the run short; the tests run in order.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Secret, TOTP } from "otpauth";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/lib/processes.ts";
import { type LocalStack, startLocalStack } from "../../scripts/lib/stack.ts";
import { launchBrowser } from "../support/browser.ts";

const SCREENSHOTS = resolve(import.meta.dirname, "../../test-results/screenshots");
const ADMIN = { email: "ada@example.com", password: "a long and careful passphrase" };
const DESKTOP = { width: 1280, height: 860 };
const PHONE = { width: 375, height: 812 };

let dataDir: string;
let stack: LocalStack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let cookie = "";
let base = "";

interface Deal {
  id: string;
  stageId: string;
  version: number;
}
interface Pipeline {
  id: string;
  stages: { id: string; name: string; outcome: string | null }[];
}

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${base}${path}`, {
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
  return (text ? JSON.parse(text) : undefined) as T;
}

async function apiLogin(extra: Record<string, string> = {}): Promise<void> {
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ ...ADMIN, ...extra }),
  });
  expect(login.status).toBe(200);
  cookie = login.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
}

/** Waits for what the app shows after a request or two (the default second is too short on a busy machine). */
const poll = <T>(read: () => Promise<T> | T) => expect.poll(read, { timeout: 10_000 });

const totp = (secret: string) =>
  new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: "SHA1" });

async function shoot(name: string): Promise<void> {
  for (const [size, viewport] of [
    ["desktop", DESKTOP],
    ["phone", PHONE],
  ] as const) {
    await page.setViewportSize(viewport);
    // Layout settles (charts measure their width) before the picture.
    await page.waitForTimeout(300);
    // Without the passing messages of earlier steps.
    await page.screenshot({
      path: join(SCREENSHOTS, `${name}-${size}.png`),
      fullPage: true,
      style: ".toasts{display:none}",
    });
  }
  await page.setViewportSize(DESKTOP);
}

/** In-app navigation, as a person clicking a link would do it: no page load. */
async function go(path: string): Promise<void> {
  await page.evaluate((to) => {
    history.pushState(null, "", to);
    dispatchEvent(new PopStateEvent("popstate"));
  }, path);
}

let pipeline: Pipeline;
let dealA: Deal;
let dealB: Deal;
let contactId = "";
let totpSecret = "";
let recoveryCode = "";

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  dataDir = mkdtempSync(join(tmpdir(), "crm-app-"));
  [stack, browser] = await Promise.all([
    startLocalStack({
      port: await freePort(),
      dbPort: 0,
      dataDir,
      quiet: true,
      adminEmail: ADMIN.email,
      adminPassword: ADMIN.password,
    }),
    launchBrowser(),
  ]);
  base = stack.workerUrl;
  await apiLogin();
  // The default pipeline, with two deals in its first open stage (USD, so the totals are easy to read).
  const pipelines = await api<{ items: Pipeline[] }>("GET", "/api/v1/pipelines");
  pipeline = pipelines.items[0] as Pipeline;
  const open = pipeline.stages.filter((stage) => stage.outcome === null);
  dealA = await api<Deal>("POST", "/api/v1/deals", {
    name: "Annual licence – An Phát",
    amount: 150_000,
    currency: "USD",
    pipelineId: pipeline.id,
    stageId: open[0]?.id,
  });
  dealB = await api<Deal>("POST", "/api/v1/deals", {
    name: "Pilot – Sao Mai",
    amount: 250_000,
    currency: "USD",
    pipelineId: pipeline.id,
    stageId: open[0]?.id,
  });
  context = await browser.newContext({ viewport: DESKTOP, locale: "en-US", timezoneId: "UTC" });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
  page = await context.newPage();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function logIn(p: Page, second?: { code?: string; recovery?: string }): Promise<void> {
  await p.getByLabel("Email", { exact: true }).fill(ADMIN.email);
  await p.getByLabel("Password", { exact: true }).fill(ADMIN.password);
  await p.getByRole("button", { name: "Log in" }).click();
  if (second?.code) {
    await p.getByLabel("Code from your authenticator app").fill(second.code);
    await p.getByRole("button", { name: "Verify" }).click();
  } else if (second?.recovery) {
    await p.getByRole("button", { name: "Use a recovery code instead" }).click();
    await p.getByLabel("Recovery code").fill(second.recovery);
    await p.getByRole("button", { name: "Verify" }).click();
  }
  await p.getByRole("navigation", { name: "Main" }).waitFor();
}

describe("the reps' app", () => {
  it("logs in with two-step verification: enrolled from the profile, then a code, then a recovery code", async () => {
    await page.goto(base);
    await logIn(page);
    await page.getByRole("link", { name: "Admin" }).click();
    await page.getByRole("button", { name: "Set up an authenticator app" }).click();
    const qr = page.getByRole("img", { name: "QR code to scan with the authenticator app" });
    await qr.waitFor();
    expect(await qr.getAttribute("src")).toMatch(/^data:image\/svg\+xml/);
    totpSecret = (await page.locator("code.secret").textContent()) ?? "";
    expect(totpSecret).toMatch(/^[A-Z2-7]+=*$/);
    // The code of the previous 30 s step: the login below then uses the current one, never the same twice.
    await page
      .getByLabel("Code from your authenticator app")
      .fill(totp(totpSecret).generate({ timestamp: Date.now() - 30_000 }));
    await page.getByRole("button", { name: "Turn on" }).click();
    const codes = page.locator(".codes code");
    await codes.first().waitFor();
    expect(await codes.count()).toBe(10);
    recoveryCode = (await codes.first().textContent()) ?? "";
    await page.getByRole("button", { name: "I have saved them" }).click();
    await page.getByRole("button", { name: "Log out" }).click();

    // The login now asks for the second step, and takes the app's code.
    await page.getByRole("heading", { name: "Log in" }).waitFor();
    await page.getByLabel("Email", { exact: true }).fill(ADMIN.email);
    await page.getByLabel("Password", { exact: true }).fill(ADMIN.password);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByRole("heading", { name: "Two-step verification" }).waitFor();
    // A wrong code is refused in plain words, by the field.
    await page.getByLabel("Code from your authenticator app").fill("000000");
    await page.getByRole("button", { name: "Verify" }).click();
    await expect
      .poll(() => page.locator("#login-error").textContent())
      .toBe(
        "The code is not right or was already used. Check the time on your phone, or use a recovery code.",
      );
    await page.getByLabel("Code from your authenticator app").fill(totp(totpSecret).generate());
    await page.getByRole("button", { name: "Verify" }).click();
    await page.getByRole("navigation", { name: "Main" }).waitFor();
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Dashboard");

    // A recovery code works instead of the app, in a browser of its own.
    const other = await browser.newContext({ viewport: DESKTOP });
    const second = await other.newPage();
    await second.goto(base);
    await logIn(second, { recovery: recoveryCode });
    await other.close();
    // The clipboard answers only the focused page.
    await page.bringToFront();
    // The API's own session, from here on, needs the second step too.
    await apiLogin({ totpCode: totp(totpSecret).generate({ timestamp: Date.now() + 30_000 }) });
  });

  it("creates a contact", async () => {
    await page.getByRole("link", { name: "Contacts" }).click();
    await page.getByRole("button", { name: "New contact" }).click();
    const dialog = page.getByRole("dialog", { name: "New contact" });
    // The browser's own check first, with the shared rules' words.
    await dialog.getByLabel("Name").fill("Nguyễn Thị Lan");
    await dialog.getByLabel("Email").fill("lan@");
    await dialog.getByRole("button", { name: "Create contact" }).click();
    expect(await dialog.getByText("Enter a valid email address.").count()).toBe(1);
    await dialog.getByLabel("Email").fill("lan.nguyen@example.vn");
    await dialog.getByLabel("Phone").fill("+84 912 345 678");
    await dialog.getByRole("button", { name: "Create contact" }).click();
    await page.getByRole("heading", { level: 1, name: "Nguyễn Thị Lan" }).waitFor();
    contactId = page.url().split("/contacts/")[1] ?? "";
    const contact = await api<{ name: string; email: string; ownerId: string }>(
      "GET",
      `/api/v1/contacts/${contactId}`,
    );
    expect(contact).toMatchObject({ name: "Nguyễn Thị Lan", email: "lan.nguyen@example.vn" });
  });

  it("logs a call and sees it on the timeline", async () => {
    await page.getByRole("tab", { name: "Call" }).click();
    await page.getByLabel("Outcome").selectOption("no_answer");
    await page.getByLabel("Length (minutes)").fill("4");
    await page.getByLabel("Subject").fill("First call about the pilot");
    await page.getByRole("button", { name: "Log call" }).click();
    const entry = page.locator("ol.entries li.call", { hasText: "First call about the pilot" });
    await entry.waitFor();
    expect(await entry.textContent()).toContain("No answer · 4 min");
    const calls = await api<{ items: { subject: string; metadata: { outcome: string } }[] }>(
      "GET",
      `/api/v1/activities?contactId=${contactId}&type=call`,
    );
    expect(calls.items).toMatchObject([
      { subject: "First call about the pilot", metadata: { outcome: "no_answer" } },
    ]);
    await shoot("contact-360");
  });

  it("completes a task", async () => {
    const task = await api<{ id: string }>("POST", "/api/v1/tasks", {
      title: "Send the quote to Lan",
      contactId,
      dueAt: Date.now() + 3_600_000,
    });
    await page.getByRole("link", { name: "Tasks" }).click();
    await page.getByRole("tab", { name: "All" }).click();
    await page.getByRole("button", { name: "Complete Send the quote to Lan" }).click();
    await page.getByText("“Send the quote to Lan” completed.").waitFor();
    const done = await api<{ status: string; completedAt: number | null }>("GET", `/api/v1/tasks/${task.id}`);
    expect(done.status).toBe("done");
    expect(done.completedAt).toBeGreaterThan(0);
  });

  it("moves a deal on the board by drag and drop, and the board's totals follow", async () => {
    await page.getByRole("link", { name: "Pipeline" }).click();
    const open = pipeline.stages.filter((stage) => stage.outcome === null);
    const [first, next] = [open[0]?.id ?? "", open[1]?.id ?? ""];
    const total = (stage: string) =>
      page.locator(`section[data-stage="${stage}"] .total[data-currency="USD"] .amount`);
    const count = (stage: string) => page.locator(`section[data-stage="${stage}"] .count`);
    await total(first).waitFor();
    expect(await total(first).textContent()).toBe("$4,000.00");
    expect(await count(first).textContent()).toBe("2 deals");
    expect(await total(next).count()).toBe(0);

    await page.locator(`li[data-deal="${dealA.id}"]`).dragTo(page.locator(`section[data-stage="${next}"]`));
    await poll(() => total(next).textContent()).toBe("$1,500.00");
    expect(await total(first).textContent()).toBe("$2,500.00");
    expect(await count(next).textContent()).toBe("1 deals");
    // The server moved it, and its own figures say the same once read again.
    expect((await api<Deal>("GET", `/api/v1/deals/${dealA.id}`)).stageId).toBe(next);
    await page.reload();
    await poll(() => total(next).textContent()).toBe("$1,500.00");

    // A move the server refuses is shown at once, then undone with the server's reason.
    await page.route("**/api/v1/deals/*/move", (route) =>
      route.fulfill({
        status: 409,
        contentType: "application/problem+json",
        body: JSON.stringify({
          status: 409,
          code: "conflict",
          title: "Conflict",
          detail: "The deal is locked for review.",
        }),
      }),
    );
    await page.locator(`li[data-deal="${dealB.id}"]`).dragTo(page.locator(`section[data-stage="${next}"]`));
    const alert = page.getByRole("alert").filter({ hasText: "The deal is locked for review." });
    await alert.waitFor();
    expect(await alert.textContent()).toContain(
      "Pilot – Sao Mai could not be moved and is back where it was.",
    );
    expect(await page.locator(`section[data-stage="${first}"] li[data-deal="${dealB.id}"]`).count()).toBe(1);
    expect(await total(first).textContent()).toBe("$2,500.00");
    await page.unroute("**/api/v1/deals/*/move");
    await page.getByRole("button", { name: "Dismiss" }).click();

    // The keyboard does the same: pick up, arrow right, drop.
    const move = page.getByRole("button", { name: "Move Pilot – Sao Mai" });
    await move.focus();
    await page.keyboard.press("Enter");
    await page.keyboard.press("ArrowRight");
    await page.keyboard.press("Enter");
    await poll(() => total(next).textContent()).toBe("$4,000.00");
    expect(await total(first).count()).toBe(0);
    // The focus follows the card to its new column.
    expect(await page.evaluate(() => document.activeElement?.getAttribute("aria-label"))).toBe(
      "Move Pilot – Sao Mai",
    );
    await shoot("board");
  });

  it("builds a form, previews it, and copies its embed snippet", async () => {
    await page.getByRole("link", { name: "Settings" }).click();
    await page.getByRole("link", { name: "Forms" }).click();
    await page.getByRole("button", { name: "New form" }).click();
    await page.getByLabel("Form name").fill("Request a demo");
    await page.getByRole("button", { name: "Add a field" }).click();
    const third = page.getByRole("group", { name: "Field 3" });
    await third.getByLabel("Label (English)").fill("Company");
    await third.getByLabel("Label (Vietnamese)").fill("Công ty");
    await third.getByLabel("Key").fill("Company!");
    await third.getByLabel("Saved to").selectOption("company.name");
    // The live preview is the hosted page's own rendering of the draft.
    const preview = page.frameLocator("iframe[title='Preview of the form']");
    await preview.getByLabel("Company").waitFor();
    await page.getByLabel("Preview in").selectOption("vi");
    await preview.getByLabel("Công ty").waitFor();
    // The shared key rule refuses the key before anything is sent.
    await page.getByRole("button", { name: "Save form" }).click();
    expect(
      await third
        .getByText("Use lower-case letters, digits and _, starting with a letter (at most 64).")
        .count(),
    ).toBe(1);
    await third.getByLabel("Key").fill("company");
    await page.getByLabel("Sites that may embed the form (one a line)").fill("https://www.example.vn");
    await page.getByRole("button", { name: "Save form" }).click();
    await page.getByRole("button", { name: "Copy snippet" }).click();
    await page.getByText(/^(Embed snippet copied\.|The browser did not allow copying)/).waitFor();
    expect(await page.getByText("Embed snippet copied.").count()).toBe(1);
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    const forms = await api<{
      items: { id: string; name: string; links: { embed: string }; allowedOrigins: string[] }[];
    }>("GET", "/api/v1/forms");
    const form = forms.items.find((item) => item.name === "Request a demo");
    expect(form?.allowedOrigins).toEqual(["https://www.example.vn"]);
    expect(copied).toBe(form?.links.embed);
    expect(copied).toContain(`data-form="${form?.id}"`);
  });

  it("exports the current view of a list as CSV", async () => {
    await api("POST", "/api/v1/contacts", { name: "Trần Văn Bình", emails: ["binh@example.vn"] });
    await page.getByRole("link", { name: "Contacts" }).click();
    await page.getByRole("searchbox", { name: "Search this list" }).fill("lan");
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await poll(() => page.locator("tbody tr").count()).toBe(1);
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Export CSV" }).click(),
    ]);
    const path = await download.path();
    const csv = readFileSync(path, "utf8");
    expect(csv).toContain("lan.nguyen@example.vn");
    expect(csv).not.toContain("binh@example.vn");
  });

  it("shows the dashboard's figures", async () => {
    await page.getByRole("link", { name: "Dashboard" }).click();
    await page.getByRole("heading", { level: 1, name: "Dashboard" }).waitFor();
    await page.locator(".kpi dt", { hasText: "Open pipeline" }).waitFor();
    const open = page.locator(".kpi", { hasText: "Open pipeline" }).locator("dd");
    await poll(() => open.textContent()).toContain("$4,000.00");
    await page.locator(".chart canvas").first().waitFor();
    await shoot("dashboard");
  });

  it("switches to Vietnamese: the interface and the formats change", async () => {
    await go("/board");
    const open = pipeline.stages.filter((stage) => stage.outcome === null);
    const total = page.locator(`section[data-stage="${open[1]?.id}"] .total[data-currency="USD"] .amount`);
    await poll(() => total.textContent()).toBe("$4,000.00");
    await page.getByRole("link", { name: "Admin" }).click();
    await page.getByLabel("Language", { exact: true }).selectOption("vi");
    await page.getByRole("button", { name: "Save" }).first().click();
    await page.getByRole("navigation", { name: "Điều hướng chính" }).waitFor();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe("vi");
    expect(
      await page.getByRole("navigation", { name: "Điều hướng chính" }).getByRole("link").allTextContents(),
    ).toEqual(["Tổng quan", "Quy trình bán hàng", "Liên hệ", "Công ty", "Cơ hội", "Công việc", "Cài đặt"]);
    await page.getByRole("link", { name: "Quy trình bán hàng" }).click();
    await poll(() => total.textContent()).toMatch(/^4\.000,00\sUS\$$/);
    expect(await page.locator(`section[data-stage="${open[1]?.id}"] .count`).textContent()).toBe("2 cơ hội");
    // Dates too: the contact's creation date, in Vietnamese.
    await go(`/contacts/${contactId}`);
    const created = page
      .locator("dl.props dt", { hasText: "Ngày tạo" })
      .locator("xpath=following-sibling::dd[1]");
    await poll(() => created.textContent()).toMatch(/thg \d+/);
    // And it stays Vietnamese after a reload: it is the user's own record, not a setting of this browser.
    await page.reload();
    await page.getByRole("heading", { name: "Dòng thời gian" }).waitFor();
    const me = await page.evaluate(async () => (await fetch("/api/v1/auth/me")).json());
    expect(me).toMatchObject({ locale: "vi" });
  });
});
