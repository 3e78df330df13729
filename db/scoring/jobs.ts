// Recompute jobs: planning one into chunks of contacts (keyset boundaries read from the id index), the chunks
// that are done, and a chunk's completion, which recounts the job from its chunk rows (so a chunk delivered
// twice counts once) and finishes the job exactly once: the statement that moves it to done matches once.
import { and, eq, sql } from "drizzle-orm";
import type { Database } from "../client.ts";
import { scoringJobChunks, scoringJobs } from "../schema/index.ts";

/** The first id of every chunk of `size` contacts (in id order), and how many contacts there are. */
export function chunkBoundariesQuery(db: Database, size: number, engagedOnly: boolean) {
  const source = engagedOnly
    ? sql`contacts c join contact_scores s on s.contact_id = c.id where c.deleted_at is null and s.engagement_exact != 0`
    : sql`contacts c where c.deleted_at is null`;
  return db.all<{ id: string; total: number }>(sql`select id, total from (
      select c.id as id, row_number() over (order by c.id) - 1 as n, count(*) over () as total from ${source}
    ) where n % ${size} = 0 order by id`);
}

/** Fixes the job's plan once: a redelivered plan message finds it running and sends the stored chunks again. */
export function startJobStatement(
  db: Database,
  jobId: string,
  plan: { total: number; boundaries: string[] },
  now: number,
) {
  const empty = plan.boundaries.length === 0;
  return db
    .update(scoringJobs)
    .set({
      status: empty ? "done" : "running",
      total: plan.total,
      chunks: plan.boundaries.length,
      boundaries: JSON.stringify(plan.boundaries),
      ...(empty ? { finishedAt: now } : {}),
    })
    .where(and(eq(scoringJobs.id, jobId), eq(scoringJobs.status, "planning")))
    .returning({ id: scoringJobs.id });
}

export function chunkDoneQuery(db: Database, jobId: string, chunk: number) {
  return db
    .select({ chunk: scoringJobChunks.chunk })
    .from(scoringJobChunks)
    .where(and(eq(scoringJobChunks.jobId, jobId), eq(scoringJobChunks.chunk, chunk)));
}

/**
 * A chunk's completion, after its score writes in the same batch: its row (once), the job's counts recounted
 * from the chunk rows, and the move to done, which returns the job's id to the one batch that made it.
 */
export function finishChunkStatements(
  db: Database,
  done: { jobId: string; chunk: number; contacts: number; changed: number },
  now: number,
) {
  return [
    db
      .insert(scoringJobChunks)
      .values({ ...done, finishedAt: now })
      .onConflictDoNothing(),
    db.run(sql`update scoring_jobs set
        chunks_done = (select count(*) from scoring_job_chunks k where k.job_id = scoring_jobs.id),
        done = (select coalesce(sum(k.contacts), 0) from scoring_job_chunks k where k.job_id = scoring_jobs.id),
        changed = (select coalesce(sum(k.changed), 0) from scoring_job_chunks k where k.job_id = scoring_jobs.id)
      where id = ${done.jobId}`),
    db.all<{ id: string }>(sql`update scoring_jobs set status = 'done', finished_at = ${now}
      where id = ${done.jobId} and status = 'running' and chunks_done >= chunks returning id`),
  ] as const;
}

/** Jobs whose plan message was never taken up (the queue send failed after the rules were saved). */
export function stalledJobsQuery(db: Database, before: number) {
  return db.all<{ id: string }>(
    sql`select id from scoring_jobs where status = 'planning' and created_at < ${before} order by created_at limit 100`,
  );
}

export function createJobStatement(
  db: Database,
  job: { id: string; kind: "rules" | "decay"; asOf: number },
  now: number,
) {
  return db.run(sql`insert into scoring_jobs (id, kind, status, rules_version, as_of, created_at)
    values (${job.id}, ${job.kind}, 'planning', (select coalesce(max(version), 0) from scoring_rule_sets), ${job.asOf}, ${now})`);
}
