// The report bench's rollup run (scripts/bench/reports.ts loads it in Node): the same runRollups the cron job
// makes, against a database URL, from scratch and all in this process (no queue to fan out to), timed. Kept here,
// beside the code it drives, so that it is type-checked with the Worker's types.
import { createDb } from "../../db/client.ts";
import type { ConsumerServices } from "../consume.ts";
import type { QueueMessage } from "../message.ts";
import { type RollupOutcome, runRollups } from "./run.ts";

function noQueue(): Queue<QueueMessage> {
  const refuse = async () => {
    throw new Error("The bench's rollup run does everything itself: nothing goes on a queue");
  };
  return { send: refuse, sendBatch: refuse } as unknown as Queue<QueueMessage>;
}

export async function benchRollup(
  url: string,
  now: number,
  options: { full: boolean },
): Promise<{ seconds: number; outcome: RollupOutcome }> {
  const queue = noQueue();
  const services: ConsumerServices = {
    db: createDb({ url, timeoutMs: 600_000 }),
    config: {} as ConsumerServices["config"],
    queues: { capture: queue, events: queue, outbound: queue },
  };
  const started = performance.now();
  const outcome = await runRollups(services, now, {
    full: options.full,
    inlineLimit: Number.POSITIVE_INFINITY,
  });
  return { seconds: Math.round((performance.now() - started) / 100) / 10, outcome };
}
