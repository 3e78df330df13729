// The web app's size as a browser downloads it: the first load (the entry and every chunk it imports
// statically) and each lazily loaded route chunk with what it brings beyond the first load, gzipped. A Vite
// plugin prints the table after each build and fails a build whose first load is over the budget; the bench
// reads the same figures.
import { writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import type { Plugin } from "vite";

export const FIRST_LOAD_BUDGET_BYTES = 60 * 1024;

export interface ChunkSize {
  name: string;
  files: string[];
  bytes: number;
  gzipBytes: number;
}

export interface SizeReport {
  firstLoad: ChunkSize;
  routes: ChunkSize[];
  budgetGzipBytes: number;
}

interface Chunk {
  fileName: string;
  code: string;
  isEntry: boolean;
  isDynamicEntry: boolean;
  imports: string[];
  name: string;
  facadeModuleId: string | null;
}

/** The files a chunk loads with it: itself and its static imports, transitively. */
function closure(start: string, chunks: Map<string, Chunk>): Set<string> {
  const seen = new Set<string>();
  const walk = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const next of chunks.get(file)?.imports ?? []) walk(next);
  };
  walk(start);
  return seen;
}

function measure(name: string, files: Iterable<string>, chunks: Map<string, Chunk>): ChunkSize {
  const list = [...files].sort();
  let bytes = 0;
  let gzipBytes = 0;
  for (const file of list) {
    const code = Buffer.from(chunks.get(file)?.code ?? "");
    bytes += code.length;
    // Each file travels on its own, so each is compressed on its own.
    gzipBytes += gzipSync(code, { level: 9 }).length;
  }
  return { name, files: list, bytes, gzipBytes };
}

/** The size report of a build's JavaScript chunks. */
export function sizeReport(output: Chunk[]): SizeReport {
  const chunks = new Map(output.map((chunk) => [chunk.fileName, chunk]));
  const entry = output.find((chunk) => chunk.isEntry);
  if (!entry) throw new Error("The build has no entry chunk.");
  const first = closure(entry.fileName, chunks);
  const routes = output
    .filter((chunk) => chunk.isDynamicEntry && !first.has(chunk.fileName))
    .map((chunk) => {
      const own = [...closure(chunk.fileName, chunks)].filter((file) => !first.has(file));
      const source = chunk.facadeModuleId?.split("/web/src/")[1] ?? chunk.name;
      return measure(source, own, chunks);
    })
    .sort((a, b) => a.name.localeCompare(b.name));
  return {
    firstLoad: measure("first load", first, chunks),
    routes,
    budgetGzipBytes: FIRST_LOAD_BUDGET_BYTES,
  };
}

export function formatReport(report: SizeReport): string {
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  const rows = [report.firstLoad, ...report.routes].map((row) => [
    row.name,
    kib(row.bytes),
    kib(row.gzipBytes),
  ]);
  const header = ["chunk", "raw", "gzipped"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join("  ");
  const verdict =
    report.firstLoad.gzipBytes > report.budgetGzipBytes
      ? `OVER BUDGET (${kib(report.budgetGzipBytes)})`
      : `within the budget of ${kib(report.budgetGzipBytes)}`;
  return [
    "Web app JavaScript (the first load, then each lazily loaded route with what it adds):",
    line(header),
    ...rows.map(line),
    `First load: ${kib(report.firstLoad.gzipBytes)} gzipped, ${verdict}.`,
  ].join("\n");
}

/** Prints the report after a build, writes it as JSON where SIZE_REPORT_JSON says, fails over budget. */
export function sizeReportPlugin(): Plugin {
  return {
    name: "crm-size-report",
    apply: "build",
    generateBundle(_options, bundle) {
      const chunks = Object.values(bundle).filter((item) => item.type === "chunk") as unknown as Chunk[];
      const report = sizeReport(chunks);
      console.log(formatReport(report));
      const target = process.env.SIZE_REPORT_JSON;
      if (target) writeFileSync(target, `${JSON.stringify(report, null, 2)}\n`);
      if (report.firstLoad.gzipBytes > report.budgetGzipBytes) {
        this.error(`The web app's first load is over its budget of ${report.budgetGzipBytes} bytes gzipped.`);
      }
    },
  };
}
