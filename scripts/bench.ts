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
import { benchEmbed } from "./bench/embed.ts";
import { benchBatchedInserts, benchInserts } from "./bench/inserts.ts";
import { printReads, type ReadSizes, readChecks, runReads } from "./bench/read-report.ts";
import { printReports, reportChecks, runReportBench } from "./bench/reports.ts";
import { benchScoring } from "./bench/scoring.ts";
import { benchSpa } from "./bench/spa.ts";
import { benchSubmit, prepareSubmitForms } from "./bench/submit.ts";
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
const BUDGETS = { workerBundleGzipBytes: 1024 * 1024, embedGzipBytes: 5 * 1024 };

const dataDir = mkdtempSync(join(tmpdir(), "crm-bench-"));
const stack = await startLocalStack({ port: await freePort(), dbPort: 0, dataDir, quiet: true });
try {
  console.log(`Benchmarking ${pkg.name} ${pkg.version} (${SECONDS} s per figure)…`);
  const worker = await benchWorker(`${stack.workerUrl}/health/live`, { seconds: SECONDS, connections: 32 });
  const insertsSerial = await benchInserts(stack.server.url, { seconds: SECONDS / 2, concurrency: 1 });
  const insertsConcurrent = await benchInserts(stack.server.url, { seconds: SECONDS / 2, concurrency: 32 });
  // The scoring consumer beside the batched-insert ceiling, measured on the same database in the same run.
  const insertsBatched = await benchBatchedInserts(stack.server.url, {
    seconds: SECONDS / 2,
    concurrency: 8,
    rowsPerRequest: 100,
  });
  const scoring = await benchScoring(stack.server.url, {
    seconds: SECONDS,
    contacts: 10_000,
    batchSize: 50,
    concurrentBatches: 4,
  });
  const scoringRatio =
    insertsBatched.rowsPerSecond > 0
      ? Number((scoring.eventsPerSecond / insertsBatched.rowsPerSecond).toFixed(4))
      : 0;
  // After the inserts: the capture consumer works through what the submits queued while the stack still runs.
  const submitForms = await prepareSubmitForms(stack.workerUrl, stack.admin);
  const submit = await benchSubmit(stack.workerUrl, submitForms, { seconds: SECONDS, connections: 32 });
  const submitRatio =
    worker.requestsPerSecond > 0
      ? Number((submit.requestsPerSecond / worker.requestsPerSecond).toFixed(2))
      : 0;
  await stack.stop();
  const bundle = await benchBundle();
  const embed = await benchEmbed();
  const spa = await benchSpa();
  const reads: ReadSizes = await runReads(SIZES);
  const checks = readChecks(reads);
  // Dashboard reports at as many deals as the read bench has contacts (10,000; 1,000,000 with --large).
  const reports = await runReportBench(SIZES);
  const dashboardChecks = reportChecks(reports);

  const results = {
    at: new Date().toISOString(),
    version: pkg.version,
    node: process.version,
    workerCeiling: worker,
    singleInsert: { serial: insertsSerial, concurrent: insertsConcurrent },
    batchedInsert: insertsBatched,
    scoring: { ...scoring, ratioToBatchedInsertCeiling: scoringRatio },
    formSubmit: { ...submit, ratioToWorkerCeiling: submitRatio },
    workerBundle: { ...bundle, budgetGzipBytes: BUDGETS.workerBundleGzipBytes },
    embedScript: { ...embed, budgetGzipBytes: BUDGETS.embedGzipBytes },
    webApp: spa,
    reads,
    readChecks: checks,
    reports,
    reportChecks: dashboardChecks,
  };

  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  const overBudget = bundle.gzipBytes > BUDGETS.workerBundleGzipBytes;
  const embedOverBudget = embed.gzipBytes > BUDGETS.embedGzipBytes;
  const spaOverBudget = spa.firstLoad.gzipBytes > spa.budgetGzipBytes;
  console.log("");
  console.log(
    `Bare Worker ceiling (GET /health/live via wrangler dev, 32 connections): ${worker.requestsPerSecond} req/s  p50 ${worker.p50Ms} ms  p99 ${worker.p99Ms} ms  (errors ${worker.errors}, non-2xx ${worker.non2xx})`,
  );
  console.log(
    `Single-insert ceiling (local libSQL server, @libsql/client): ${insertsConcurrent.insertsPerSecond} inserts/s at 32 concurrent (p50 ${insertsConcurrent.p50Ms} ms); ${insertsSerial.insertsPerSecond} inserts/s one at a time (p50 ${insertsSerial.p50Ms} ms)`,
  );
  console.log(
    `Batched-insert ceiling (local libSQL server, ${insertsBatched.rowsPerRequest}-row INSERTs, ${insertsBatched.concurrency} concurrent): ${insertsBatched.rowsPerSecond} rows/s (${insertsBatched.requestsPerSecond} requests/s)`,
  );
  console.log(
    `Lead scoring (events-queue consumer in-process, batches of ${scoring.batchSize}, ${scoring.concurrentBatches} at once, ${scoring.contacts} contacts): ${scoring.eventsPerSecond} events scored/s = ${scoringRatio} × the batched-insert ceiling  (${scoring.events} events, ${scoring.duplicates} redelivered, ${scoring.retried} retried)`,
  );
  console.log(
    `Form submit (POST /f/{id}, JSON, 202 once queued, 32 connections, ${submit.forms} forms): ${submit.requestsPerSecond} req/s  p50 ${submit.p50Ms} ms  p99 ${submit.p99Ms} ms  = ${submitRatio} × the bare Worker ceiling  (errors ${submit.errors}, non-2xx ${submit.non2xx})`,
  );
  console.log(
    `Worker bundle (wrangler deploy --dry-run): ${kib(bundle.gzipBytes)} gzipped (${kib(bundle.bytes)} raw); budget ${kib(BUDGETS.workerBundleGzipBytes)}: ${overBudget ? "OVER BUDGET" : "ok"}`,
  );
  console.log(
    `Embed script (/embed.js, built from web/embed): ${kib(embed.gzipBytes)} gzipped (${kib(embed.bytes)} raw); budget ${kib(BUDGETS.embedGzipBytes)}: ${embedOverBudget ? "OVER BUDGET" : "ok"}`,
  );
  console.log(
    `Web app first load (entry and its static imports, web/dist): ${kib(spa.firstLoad.gzipBytes)} gzipped (${kib(spa.firstLoad.bytes)} raw); budget ${kib(spa.budgetGzipBytes)}: ${spaOverBudget ? "OVER BUDGET" : "ok"}; ${spa.routes.length} routes loaded lazily, the largest ${kib(Math.max(0, ...spa.routes.map((route) => route.gzipBytes)))} gzipped`,
  );

  printReads(reads, checks);
  printReports(reports, dashboardChecks);

  const out = resolve(".data/bench/latest.json");
  mkdirSync(resolve(".data/bench"), { recursive: true });
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nWritten to ${out}`);
  // Every submit is meant to be accepted: anything else means the figure measured something other than the submit.
  const submitFailed = submit.errors > 0 || submit.non2xx > 0;
  if (
    overBudget ||
    embedOverBudget ||
    spaOverBudget ||
    worker.errors > 0 ||
    submitFailed ||
    checks.some((c) => !c.holds) ||
    dashboardChecks.some((c) => !c.holds)
  ) {
    process.exitCode = 1;
  }
} finally {
  await stack.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
