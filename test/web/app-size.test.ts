// The web app's first load as a browser gets it from the Worker: the entry script and the modules it preloads,
// each gzipped, within the 60 KB budget; and the build's size report (web/size-report.ts) counts the same
// files, leaving every route in a chunk of its own.
import { gzipSync } from "node:zlib";
import { expect, inject, it } from "vitest";
import { FIRST_LOAD_BUDGET_BYTES, sizeReport } from "../../web/size-report.ts";

it("serves a first load within 60 KB of gzipped JavaScript, the routes loaded later", async () => {
  const base = inject("workerUrl");
  const html = await (await fetch(base)).text();
  const scripts = [
    ...html.matchAll(/<script type="module"[^>]*src="([^"]+)"/g),
    ...html.matchAll(/<link rel="modulepreload"[^>]*href="([^"]+)"/g),
  ].map((match) => match[1] ?? "");
  expect(scripts.length).toBeGreaterThan(0);
  let gzipped = 0;
  let entry = "";
  for (const src of scripts) {
    const response = await fetch(new URL(src, base));
    expect(response.status).toBe(200);
    const code = Buffer.from(await response.arrayBuffer());
    gzipped += gzipSync(code, { level: 9 }).length;
    if (src.includes("index")) entry = code.toString("utf8");
  }
  console.info(`web app first load: ${scripts.length} files, ${gzipped} bytes gzipped`);
  expect(gzipped).toBeLessThanOrEqual(FIRST_LOAD_BUDGET_BYTES);
  // The routes are imported lazily: the entry names their chunks without loading them.
  expect(entry).toMatch(/import\(["'][^"']*dashboard[^"']*\.js["']\)|dashboard-[\w-]+\.js/);
});

it("reports the first load with its static imports, and each route with only what it adds", () => {
  const chunk = (
    fileName: string,
    code: string,
    extra: Partial<Parameters<typeof sizeReport>[0][number]> = {},
  ) => ({
    fileName,
    code,
    isEntry: false,
    isDynamicEntry: false,
    imports: [],
    name: fileName,
    facadeModuleId: null,
    ...extra,
  });
  const report = sizeReport([
    chunk("index.js", "a".repeat(1000), { isEntry: true, imports: ["shared.js"] }),
    chunk("shared.js", "b".repeat(500)),
    chunk("board.js", "c".repeat(300), {
      isDynamicEntry: true,
      imports: ["shared.js", "lists.js"],
      facadeModuleId: "/x/web/src/routes/board.tsx",
    }),
    chunk("lists.js", "d".repeat(200)),
  ]);
  expect(report.firstLoad.files).toEqual(["index.js", "shared.js"]);
  expect(report.firstLoad.bytes).toBe(1500);
  expect(report.routes).toMatchObject([
    { name: "routes/board.tsx", files: ["board.js", "lists.js"], bytes: 500 },
  ]);
});
