// The form embed script as it is served (/embed.js), measured gzipped: built afresh from web/embed with the
// same Vite config `npm run build:web` uses for web/dist/embed.js, into a folder of its own.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { projectBin, startChild } from "../lib/processes.ts";
import type { BundleResult } from "./bundle.ts";

export async function benchEmbed(): Promise<BundleResult> {
  const outdir = mkdtempSync(join(tmpdir(), "crm-embed-"));
  try {
    const build = startChild(
      projectBin("vite"),
      ["build", "--config", "web/vite.embed.config.ts", "--outDir", outdir, "--logLevel", "warn"],
      { stdio: "pipe" },
    );
    let output = "";
    build.process.stdout?.on("data", (chunk) => {
      output += chunk;
    });
    build.process.stderr?.on("data", (chunk) => {
      output += chunk;
    });
    if ((await build.exited) !== 0) throw new Error(`Building the embed script failed:\n${output}`);
    const content = readFileSync(join(outdir, "embed.js"));
    return { bytes: content.length, gzipBytes: gzipSync(content, { level: 9 }).length };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
