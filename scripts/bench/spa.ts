// The web app as a browser downloads it: built afresh with the same Vite config `npm run build:web` uses
// (web/vite.config.ts) into a folder of its own, its size report (web/size-report.ts) written as JSON: the
// first load and each lazily loaded route chunk, gzipped.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SizeReport } from "../../web/size-report.ts";
import { projectBin, startChild } from "../lib/processes.ts";

export async function benchSpa(): Promise<SizeReport> {
  const outdir = mkdtempSync(join(tmpdir(), "crm-spa-"));
  const reportFile = join(outdir, "size-report.json");
  try {
    const build = startChild(
      projectBin("vite"),
      ["build", "--config", "web/vite.config.ts", "--outDir", join(outdir, "dist"), "--logLevel", "warn"],
      { stdio: "pipe", env: { ...process.env, SIZE_REPORT_JSON: reportFile } },
    );
    let output = "";
    build.process.stdout?.on("data", (chunk) => {
      output += chunk;
    });
    build.process.stderr?.on("data", (chunk) => {
      output += chunk;
    });
    // Over budget the build fails, yet the report was written first: the bench prints it and says so.
    const code = await build.exited;
    try {
      return JSON.parse(readFileSync(reportFile, "utf8")) as SizeReport;
    } catch {
      throw new Error(`Building the web app failed (exit ${code}):\n${output}`);
    }
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
