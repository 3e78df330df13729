// Runs one chunk of an import (or of its dry run): read the import, its record configuration and the next
// window of the file (one trip); parse up to CHUNK_ROWS rows; read what they refer to (one trip); write the
// chunk in one batch that starts with a guard (this run, this chunk, not yet done), so a redelivered chunk
// changes nothing; then send the next chunk. The chunks of an import go one after another, so a person who is
// twice in the file is made once and then updated.
import { sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { denyUnless, guardVerdict } from "../../db/access.ts";
import type { Database } from "../../db/client.ts";
import {
  type CustomFieldObject,
  type RecordConfig,
  recordConfigQueries,
  storeRecordConfig,
} from "../../db/custom-fields.ts";
import {
  type ChunkJob,
  type ChunkPlan,
  type Importer,
  type Issue,
  issuesStatement,
} from "../../db/imports/chunk.ts";
import { companyImporter } from "../../db/imports/companies.ts";
import { contactImporter } from "../../db/imports/contacts.ts";
import { asNewline, isBlank, parseWindow } from "../../db/imports/csv.ts";
import { dealImporter } from "../../db/imports/deals.ts";
import type { ImportRow } from "../../db/imports/imports.ts";
import { columnIndex, type ImportObject, type Mapping } from "../../db/imports/targets.ts";
import type { CsvRow } from "../../db/imports/values.ts";
import { CHUNK_ROWS, joinWindow, MAX_WINDOW, windowQuery } from "../../db/imports/window.ts";
import { imports } from "../../db/schema/index.ts";
import type { ConsumerServices } from "../consume.ts";
import { requestDispatch } from "../domain-events/dispatch.ts";
import { chunkMessage, type ImportChunk } from "./messages.ts";

const IMPORTERS: Record<ImportObject, Importer<unknown>> = {
  contact: contactImporter as Importer<unknown>,
  company: companyImporter as Importer<unknown>,
  deal: dealImporter as Importer<unknown>,
};

export type ChunkOutcome =
  | { status: "skipped"; reason: string }
  | { status: "done"; rows: number; finished: boolean; plan: ChunkPlan };

export async function runChunk(
  services: ConsumerServices,
  message: ImportChunk,
  now: number,
): Promise<ChunkOutcome> {
  const { db } = services;
  let atLeast = 0;
  for (;;) {
    const [rows, pieces, suppressions, ...configs] = await db.batch([
      db.select().from(imports).where(sql`${imports.id} = ${message.importId}`),
      windowQuery(db, message.importId, atLeast),
      db.all<{ any: number }>(sql`select exists (select 1 from suppressions) as "any"`),
      ...recordConfigQueries(db, "contact"),
      ...recordConfigQueries(db, "company"),
      ...recordConfigQueries(db, "deal"),
    ]);
    const job = rows[0];
    if (!job || job.run !== message.run || !["running", "dry_running"].includes(job.status)) {
      return { status: "skipped", reason: "not this run" };
    }
    if (job.nextChunk > message.chunk) {
      // Done before: the next message may not have gone out, so it goes again (it is guarded the same way).
      if (job.nextChunk === message.chunk + 1) await sendNext(services, job, now);
      return { status: "skipped", reason: "done before" };
    }
    if (job.nextChunk < message.chunk) return { status: "skipped", reason: "not its turn" };
    const window = joinWindow(pieces);
    const endOfFile = job.cursor + window.length >= job.bytes;
    const parsed = parseWindow(window, {
      delimiter: job.delimiter ?? ",",
      newline: asNewline(job.newline),
      limit: CHUNK_ROWS,
      endOfFile,
    });
    if (parsed.rows.length === 0 && !endOfFile) {
      // One row longer than the window: read again with room for it.
      if (window.length >= MAX_WINDOW) return fail(db, job, "A row is longer than 8 MB.", now);
      atLeast = Math.min(MAX_WINDOW, Math.max(window.length * 2, 65536));
      continue;
    }
    const at = OBJECTS.indexOf(job.object) * 2;
    const config = storeRecordConfig(services.config.LIBSQL_URL, job.object, [
      configs[at] as Awaited<ReturnType<typeof recordConfigQueries>[0]>,
      configs[at + 1] as Awaited<ReturnType<typeof recordConfigQueries>[1]>,
    ]);
    return applyChunk(services, job, parsed, endOfFile, config, Boolean(suppressions[0]?.any), now);
  }
}

const OBJECTS: readonly CustomFieldObject[] = ["contact", "company", "deal"];

async function applyChunk(
  services: ConsumerServices,
  job: ImportRow,
  parsed: ReturnType<typeof parseWindow>,
  endOfFile: boolean,
  config: RecordConfig,
  suppressions: boolean,
  now: number,
): Promise<ChunkOutcome> {
  const { db } = services;
  const columns = JSON.parse(job.columns ?? "[]") as string[];
  const mapping = JSON.parse(job.mapping ?? "{}") as Mapping;
  const chunkJob: ChunkJob = {
    importId: job.id,
    run: job.run,
    chunk: job.nextChunk,
    object: job.object,
    dryRun: job.dryRun,
    me: { kind: "user", userId: job.createdBy },
    index: columnIndex(columns, mapping),
    config,
    suppressions,
    now,
  };
  const rows: CsvRow[] = [];
  const unreadable: Issue[] = [];
  let blank = 0;
  parsed.rows.forEach((row, i) => {
    const number = job.rowsDone + i + 1;
    if (isBlank(row.cells)) blank += 1;
    // A row the parser could not read (an unclosed quote) is reported as it is, not mapped.
    else if (row.problem)
      unreadable.push({
        row: number,
        kind: "error",
        reasons: [{ path: "row", message: row.problem }],
        cells: row.cells,
      });
    else rows.push({ row: number, cells: row.cells });
  });
  const importer = IMPORTERS[job.object];
  const prepared = await importer.prepare(chunkJob, rows);
  const reads = importer.reads(db, chunkJob, prepared);
  const results =
    reads.length > 0 ? await db.batch(reads as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]) : [];
  const plan = importer.plan(db, chunkJob, prepared, results);
  if (unreadable.length > 0) {
    plan.statements.push(issuesStatement(db, job.id, unreadable));
    plan.issues.push(...unreadable);
    plan.counts.errors += unreadable.length;
  }
  const finished = endOfFile;
  const consumed = parsed.consumed;
  const count = parsed.rows.length;
  const batch: BatchItem<"sqlite">[] = [
    denyUnless(
      db,
      sql`exists (select 1 from imports where id = ${job.id} and run = ${job.run} and next_chunk = ${job.nextChunk}
        and status in ('running', 'dry_running'))`,
      "conflict",
    ),
    ...plan.statements,
    db.run(sql`update imports set next_chunk = next_chunk + 1, cursor = cursor + ${consumed},
        avg_row_bytes = ${count > 0 ? Math.ceil(consumed / count) : job.avgRowBytes},
        rows_done = rows_done + ${count}, created = created + ${plan.counts.created},
        updated = updated + ${plan.counts.updated}, skipped = skipped + ${plan.counts.skipped + blank},
        errors = errors + ${plan.counts.errors},
        status = ${finished ? sql`case when dry_run then 'checked' else 'done' end` : sql`status`},
        finished_at = ${finished ? now : null}, updated_at = ${now}
      where id = ${job.id}`),
  ];
  try {
    await db.batch(batch as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
  } catch (error) {
    // Another delivery of this chunk got there first.
    if (guardVerdict(error) === "conflict") return { status: "skipped", reason: "done meanwhile" };
    throw error;
  }
  if (!finished) await sendNext(services, { ...job, nextChunk: job.nextChunk + 1 }, now);
  if (!job.dryRun) await requestDispatch(services.queues.events).catch(() => undefined);
  return { status: "done", rows: count, finished, plan };
}

async function sendNext(services: ConsumerServices, job: ImportRow, now: number) {
  await services.queues.events.send(
    chunkMessage({ importId: job.id, run: job.run, chunk: job.nextChunk }, now),
  );
}

async function fail(db: Database, job: ImportRow, reason: string, now: number): Promise<ChunkOutcome> {
  await db
    .update(imports)
    .set({ status: "failed", failure: reason, finishedAt: now, updatedAt: now })
    .where(sql`${imports.id} = ${job.id} and ${imports.run} = ${job.run}`);
  return { status: "skipped", reason };
}
