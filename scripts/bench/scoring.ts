// Events scored per second through the scoring consumer: the events queue's handler (queues/events.ts →
// queues/scoring/) run in-process in Node on batches shaped as Cloudflare Queues delivers them (50 messages,
// four batches at once), against the local libSQL server over HTTP exactly as the Worker reaches it. Each event
// is a ledger row and a rescore of its contact; a batch's events are scored together (one read, one write
// batch; queues/scoring/score-events.ts); a tenth are redeliveries, which must change nothing. Node rather than
// wrangler dev, because local Queues cannot be driven at a chosen rate; the handler code is the same. The run
// itself is queues/scoring/bench-consumer.ts, loaded at run time so that it is type-checked with the Worker's
// types rather than Node's.

export interface ScoringBenchResult {
  contacts: number;
  batchSize: number;
  concurrentBatches: number;
  events: number;
  eventsPerSecond: number;
  retried: number;
  /** Events delivered a second time, which changed nothing. */
  duplicates: number;
}

export interface ScoringBenchOptions {
  seconds: number;
  contacts: number;
  batchSize: number;
  concurrentBatches: number;
}

const runner = new URL("../../queues/scoring/bench-consumer.ts", import.meta.url).href;

export async function benchScoring(url: string, options: ScoringBenchOptions): Promise<ScoringBenchResult> {
  const { benchScoring: run } = (await import(runner)) as {
    benchScoring: (url: string, options: ScoringBenchOptions) => Promise<ScoringBenchResult>;
  };
  return run(url, options);
}
