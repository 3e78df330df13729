// `npm run bench`: the figures the budgets in ARCHITECTURE.md are held to. Prints them, writes them as JSON
// to .data/bench/latest.json, and exits 1 if a budget is exceeded. A benchmark, not a test: run it on a quiet machine.
// Read latency at 10,000 contacts always; at 1,000,000 too with `npm run bench -- --large` or
// BENCH_CONTACTS=1000000 (the seeded databases are kept in .data/bench/<size>/, so only the first run seeds).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import pkg from "../package.json" with { type: "json" };
import { benchBundle } from "./bench/bundle.ts";
import { benchInserts } from "./bench/inserts.ts";
import { printReads, type ReadSizes, readChecks, runReads } from "./bench/read-report.ts";
import { benchWorker } from "./bench/worker.ts";
import { freePort } from "./lib/processes.ts";
import { startLocalStack } from "./lib/stack.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const { values: args } = parseArgs({ options: { large: { type: "boolean", default: false } } });
const SIZES = [
  10_000,
  ...(args.large || Number(process.env.BENCH_CONTACTS) >= 1_000_000
    ? [Number(process.env.BENCH_CONTACTS) || 1_000_000]
    : []),
];
const BUDGETS = { workerBundleGzipBytes: 1024 * 1024 };

const dataDir = mkdtempSync(join(tmpdir(), "crm-bench-"));
const stack = await startLocalStack({ port: await freePort(), dbPort: 0, dataDir, quiet: true });
try {
  console.log(`Benchmarking ${pkg.name} ${pkg.version} (${SECONDS} s per figure)…`);
  const worker = await benchWorker(`${stack.workerUrl}/health/live`, { seconds: SECONDS, connections: 32 });
  const insertsSerial = await benchInserts(stack.server.url, { seconds: SECONDS / 2, concurrency: 1 });
  const insertsConcurrent = await benchInserts(stack.server.url, { seconds: SECONDS / 2, concurrency: 32 });
  await stack.stop();
  const bundle = await benchBundle();
  const reads: ReadSizes = await runReads(SIZES);
  const checks = readChecks(reads);

  const results = {
    at: new Date().toISOString(),
    version: pkg.version,
    node: process.version,
    workerCeiling: worker,
    singleInsert: { serial: insertsSerial, concurrent: insertsConcurrent },
    workerBundle: { ...bundle, budgetGzipBytes: BUDGETS.workerBundleGzipBytes },
    reads,
    readChecks: checks,
  };

  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  const overBudget = bundle.gzipBytes > BUDGETS.workerBundleGzipBytes;
  console.log("");
  console.log(
    `Bare Worker ceiling (GET /health/live via wrangler dev, 32 connections): ${worker.requestsPerSecond} req/s  p50 ${worker.p50Ms} ms  p99 ${worker.p99Ms} ms  (errors ${worker.errors}, non-2xx ${worker.non2xx})`,
  );
  console.log(
    `Single-insert ceiling (local libSQL server, @libsql/client): ${insertsConcurrent.insertsPerSecond} inserts/s at 32 concurrent (p50 ${insertsConcurrent.p50Ms} ms); ${insertsSerial.insertsPerSecond} inserts/s one at a time (p50 ${insertsSerial.p50Ms} ms)`,
  );
  console.log(
    `Worker bundle (wrangler deploy --dry-run): ${kib(bundle.gzipBytes)} gzipped (${kib(bundle.bytes)} raw); budget ${kib(BUDGETS.workerBundleGzipBytes)}: ${overBudget ? "OVER BUDGET" : "ok"}`,
  );

  printReads(reads, checks);

  const out = resolve(".data/bench/latest.json");
  mkdirSync(resolve(".data/bench"), { recursive: true });
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nWritten to ${out}`);
  if (overBudget || worker.errors > 0 || checks.some((c) => !c.holds)) process.exitCode = 1;
} finally {
  await stack.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
