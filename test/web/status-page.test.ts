import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { launchBrowser } from "../support/browser.ts";

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

it("serves the web app from the Worker's static assets and shows the database as ok", async () => {
  const page = await browser.newPage();
  const response = await page.goto(inject("workerUrl"));
  expect(response?.status()).toBe(200);
  await expect.poll(() => page.locator("#status").getAttribute("aria-busy")).toBe("false");
  const database = page
    .locator("#status dt", { hasText: "Database" })
    .locator("xpath=following-sibling::dd[1]");
  expect(await database.textContent()).toBe("ok");
  expect(await database.getAttribute("class")).toBe("ok");
  await page.close();
});

it("falls back to the app for a deep link the app handles itself", async () => {
  const page = await browser.newPage();
  const response = await page.goto(new URL("/contacts/some-id", inject("workerUrl")).toString());
  expect(response?.status()).toBe(200);
  expect(await page.title()).toBe("Edge CRM");
  await page.close();
});
