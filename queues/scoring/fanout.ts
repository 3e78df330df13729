// The recompute fan-out: a job (a rules change, or the daily decay) is planned into chunks of CHUNK_SIZE
// contacts by keyset boundaries on the id index, and each chunk is a message of its own, so consumers work
// through them side by side. A chunk recomputes its contacts in two round trips (read, one write batch), is
// recorded once (a redelivery finds it done), and the chunk that completes the job marks it done, once.
import type { Database } from "../../db/client.ts";
import {
  chunkBoundariesQuery,
  chunkDoneQuery,
  finishChunkStatements,
  startJobStatement,
} from "../../db/scoring/jobs.ts";
import { currentRulesQuery, scoringJobQuery } from "../../db/scoring/rules.ts";
import {
  rangeEventsQuery,
  type ScoringRow,
  scoringRangeQuery,
  writeScoresStatements,
} from "../../db/scoring/state.ts";
import type { ConsumerServices } from "../consume.ts";
import type { QueueMessage } from "../message.ts";
import type { ScoringEvent } from "./compute.ts";
import { currentRules, scoreWrite } from "./engine.ts";
import { RECOMPUTE_CHUNK, RECOMPUTE_PLAN, type RecomputeChunk } from "./messages.ts";

export const CHUNK_SIZE = 500;
/** Queues take at most 100 messages per sendBatch. */
const SEND_BATCH = 100;

export function planMessage(jobId: string, now: number): QueueMessage {
  return { id: `${RECOMPUTE_PLAN}:${jobId}`, type: RECOMPUTE_PLAN, createdAt: now, data: { jobId } };
}

/** Reads the boundaries of the job's chunks (once: a redelivery reuses the stored ones) and sends the chunks. */
export async function planRecompute(services: ConsumerServices, jobId: string, now: number): Promise<number> {
  const { db } = services;
  const [jobs] = await db.batch([scoringJobQuery(db, jobId)]);
  const job = jobs[0];
  if (!job || job.status === "done") return 0;
  const engagedOnly = job.kind === "decay";
  let boundaries: string[];
  if (job.status === "planning") {
    const rows = await chunkBoundariesQuery(db, CHUNK_SIZE, engagedOnly);
    boundaries = rows.map((r) => r.id);
    const [started] = await db.batch([
      startJobStatement(db, jobId, { total: rows[0]?.total ?? 0, boundaries }, now),
    ]);
    if (started.length === 0) {
      // Another delivery planned it meanwhile: send what it fixed.
      const [again] = await db.batch([scoringJobQuery(db, jobId)]);
      boundaries = JSON.parse(again[0]?.boundaries ?? "[]") as string[];
    }
  } else {
    boundaries = JSON.parse(job.boundaries ?? "[]") as string[];
  }
  const messages = boundaries.map(
    (from, chunk): MessageSendRequest<QueueMessage> => ({
      body: {
        id: `${RECOMPUTE_CHUNK}:${jobId}:${chunk}`,
        type: RECOMPUTE_CHUNK,
        createdAt: now,
        data: { jobId, chunk, from, to: boundaries[chunk + 1] ?? null, engagedOnly } satisfies RecomputeChunk,
      },
    }),
  );
  for (let i = 0; i < messages.length; i += SEND_BATCH) {
    await services.queues.events.sendBatch(messages.slice(i, i + SEND_BATCH));
  }
  return messages.length;
}

export type ChunkOutcome =
  | { status: "skipped" }
  | { status: "done"; contacts: number; changed: number; finished: boolean };

export async function recomputeChunk(
  db: Database,
  chunk: RecomputeChunk,
  now: number,
): Promise<ChunkOutcome> {
  const [jobs, done, rows, events, ruleRows] = await db.batch([
    scoringJobQuery(db, chunk.jobId),
    chunkDoneQuery(db, chunk.jobId, chunk.chunk),
    scoringRangeQuery(db, chunk),
    rangeEventsQuery(db, chunk),
    currentRulesQuery(db),
  ]);
  const job = jobs[0];
  if (job?.status !== "running" || done.length > 0) return { status: "skipped" };
  const asOf = job.kind === "decay" ? job.asOf : now;
  const current = currentRules(ruleRows[0]);
  const byContact = new Map<string, ScoringEvent[]>();
  for (const event of events) {
    const list = byContact.get(event.contactId);
    if (list) list.push(event);
    else byContact.set(event.contactId, [event]);
  }
  const cause = { kind: job.kind, jobId: job.id } as const;
  const writes = (rows as ScoringRow[]).map(
    (row) => scoreWrite(current, row, byContact.get(row.id) ?? [], asOf, cause).write,
  );
  const changed = writes.filter((w) => w.changed).length;
  const results = await db.batch([
    ...writeScoresStatements(db, writes, asOf),
    ...finishChunkStatements(db, { jobId: job.id, chunk: chunk.chunk, contacts: rows.length, changed }, now),
  ]);
  const finished = (results.at(-1) as { id: string }[]).length > 0;
  return { status: "done", contacts: rows.length, changed, finished };
}
