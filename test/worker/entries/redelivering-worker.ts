// A test-only Worker entry for the fault test (test/stack/forms-fault.test.ts), served by wrangler dev in place
// of functions/index.ts: the real Worker, with every queue batch handed to its queue handler twice, as an
// at-least-once queue may deliver it. The first pass gets stand-ins of the messages whose ack() and retry() are
// only counted; the second gets the real messages (behind a thin wrapper that counts, then forwards), so the
// local queue's acks, retries and backoff follow the second pass. No product code changes.
// Switches (Worker settings): REDELIVER=0 hands each batch over once, REDELIVER=overlapping runs the two
// passes at the same time; FAIL_CAPTURE_SENDS_EVERY=n makes every
// n-th send to the capture queue from the HTTP side throw, as a queue outage would. GET /api/__test/deliveries
// tells what the queue handler saw (under /api/ so that wrangler's static assets do not answer it).
import type { Env } from "../../../functions/env.ts";
import worker from "../../../functions/index.ts";
import type { QueueMessage } from "../../../queues/message.ts";

interface TestEnv extends Env {
  REDELIVER?: string;
  FAIL_CAPTURE_SENDS_EVERY?: string;
}

interface QueueCounts {
  batches: number;
  /** Messages handed to the first pass, and the acks and retries it asked for (ignored). */
  firstPass: number;
  firstPassAcks: number;
  firstPassRetries: number;
  /** Messages handed to the second pass, and the acks and retries that reached the queue. */
  secondPass: number;
  retries: number;
  /** The ids (the envelope's `id`, the submission id on the capture queue) of the messages acked for real. */
  acked: string[];
}

const counts = new Map<string, QueueCounts>();
let captureSends = 0;
let refusedSends = 0;

function countsFor(queue: string): QueueCounts {
  let entry = counts.get(queue);
  if (!entry) {
    entry = {
      batches: 0,
      firstPass: 0,
      firstPassAcks: 0,
      firstPassRetries: 0,
      secondPass: 0,
      retries: 0,
      acked: [],
    };
    counts.set(queue, entry);
  }
  return entry;
}

function envelopeId(message: Message<unknown>): string {
  const body = message.body as { id?: unknown } | null;
  return typeof body?.id === "string" ? body.id : message.id;
}

function batchOf(batch: MessageBatch<unknown>, messages: Message<unknown>[]): MessageBatch<unknown> {
  return {
    queue: batch.queue,
    metadata: batch.metadata,
    messages,
    ackAll: () => {
      for (const message of messages) message.ack();
    },
    retryAll: (options) => {
      for (const message of messages) message.retry(options);
    },
  };
}

/** The first delivery: the same messages, whose verdicts are counted and dropped. */
function standIns(batch: MessageBatch<unknown>, tally: QueueCounts): MessageBatch<unknown> {
  return batchOf(
    batch,
    batch.messages.map((message) => ({
      id: message.id,
      timestamp: message.timestamp,
      body: message.body,
      attempts: message.attempts,
      ack: () => {
        tally.firstPassAcks += 1;
      },
      retry: () => {
        tally.firstPassRetries += 1;
      },
    })),
  );
}

/** The real delivery, counted on its way to the queue. */
function counted(batch: MessageBatch<unknown>, tally: QueueCounts): MessageBatch<unknown> {
  return batchOf(
    batch,
    batch.messages.map((message) => ({
      id: message.id,
      timestamp: message.timestamp,
      body: message.body,
      attempts: message.attempts,
      ack: () => {
        tally.acked.push(envelopeId(message));
        message.ack();
      },
      retry: (options?: QueueRetryOptions) => {
        tally.retries += 1;
        message.retry(options);
      },
    })),
  );
}

/** The capture queue as the submit path sees it: every n-th send throws, as when the queue is unreachable. */
function failingCaptureQueue(queue: Queue<QueueMessage>, every: number): Queue<QueueMessage> {
  return {
    send: async (message, options) => {
      captureSends += 1;
      if (captureSends % every === 0) {
        refusedSends += 1;
        throw new Error("Queue send refused by the fault test's entry");
      }
      return queue.send(message, options);
    },
    sendBatch: (messages, options) => queue.sendBatch(messages, options),
    metrics: () => queue.metrics(),
  };
}

export default {
  async fetch(request, env, ctx) {
    if (new URL(request.url).pathname === "/api/__test/deliveries") {
      return Response.json({ queues: Object.fromEntries(counts), captureSends, refusedSends });
    }
    const every = Number(env.FAIL_CAPTURE_SENDS_EVERY ?? 0);
    const used = every > 0 ? { ...env, CAPTURE_QUEUE: failingCaptureQueue(env.CAPTURE_QUEUE, every) } : env;
    return worker.fetch(request, used, ctx);
  },
  async queue(batch, env) {
    const tally = countsFor(batch.queue);
    tally.batches += 1;
    tally.secondPass += batch.messages.length;
    if (env.REDELIVER === "0") return worker.queue(counted(batch, tally), env);
    tally.firstPass += batch.messages.length;
    const first = async () => {
      try {
        await worker.queue(standIns(batch, tally), env);
      } catch (error) {
        // The first pass failing as a whole is one more failed delivery; the second decides.
        console.error(JSON.stringify({ level: "error", pass: 1, queue: batch.queue, error: String(error) }));
      }
    };
    // Overlapping deliveries (a redelivery while the first is still running), or one after the other.
    if (env.REDELIVER === "overlapping") {
      await Promise.all([first(), worker.queue(counted(batch, tally), env)]);
      return;
    }
    await first();
    await worker.queue(counted(batch, tally), env);
  },
  scheduled: (controller, env) => worker.scheduled(controller, env),
} satisfies ExportedHandler<TestEnv, unknown>;
