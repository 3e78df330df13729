import { expect, it } from "vitest";
import { useTestDatabase } from "./support.ts";

const t = useTestDatabase();

type Doc = { info: { title: string }; paths: Record<string, Record<string, { summary?: string }>> };

it("serves a readable reference of the OpenAPI document at /api/docs, with no script", async () => {
  const doc = (await (await t.fetch("/api/openapi.json")).json()) as Doc;
  const response = await t.fetch("/api/docs");
  expect(response.status).toBe(200);
  expect(response.headers.get("Content-Type")).toContain("text/html");
  expect(response.headers.get("Content-Security-Policy")).toContain("default-src 'none'");
  const html = await response.text();
  expect(html).toContain(`<title>${doc.info.title}</title>`);
  // Every operation of the document is on the page, by path and summary.
  for (const [path, item] of Object.entries(doc.paths)) {
    expect(html).toContain(`<code>${path.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`)}</code>`);
    for (const op of Object.values(item)) {
      if (op.summary)
        expect(html).toContain(op.summary.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`));
    }
  }
  expect(html).toContain('id="schema-problem"');
  // Offline: nothing is loaded from anywhere, and nothing runs.
  expect(html).not.toMatch(/<script|<link|src=/i);
});

it("answers without a database round trip", async () => {
  expect(await t.roundTrips(() => t.fetch("/api/docs"))).toBe(0);
});
