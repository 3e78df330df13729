// The Worker bundle as it would be deployed (`wrangler deploy --dry-run`), measured gzipped.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { projectBin, startChild } from "../lib/processes.ts";

export interface BundleResult {
  bytes: number;
  gzipBytes: number;
}

export async function benchBundle(): Promise<BundleResult> {
  const outdir = mkdtempSync(join(tmpdir(), "crm-bundle-"));
  try {
    const build = startChild(projectBin("wrangler"), ["deploy", "--dry-run", "--outdir", outdir], {
      stdio: "pipe",
    });
    let output = "";
    build.process.stdout?.on("data", (chunk) => {
      output += chunk;
    });
    build.process.stderr?.on("data", (chunk) => {
      output += chunk;
    });
    if ((await build.exited) !== 0) throw new Error(`wrangler deploy --dry-run failed:\n${output}`);
    let bytes = 0;
    let gzipBytes = 0;
    for (const name of readdirSync(outdir, { recursive: true }) as string[]) {
      const path = join(outdir, name);
      // Source maps are not uploaded as code, so they do not count against the limit.
      if (!statSync(path).isFile() || name.endsWith(".map")) continue;
      const content = readFileSync(path);
      bytes += content.length;
      gzipBytes += gzipSync(content, { level: 9 }).length;
    }
    return { bytes, gzipBytes };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
