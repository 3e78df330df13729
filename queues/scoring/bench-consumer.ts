// The scoring bench's consumer run (scripts/bench/scoring.ts loads it in Node): the events queue's own handler
// on batches shaped as Cloudflare Queues delivers them, against a database URL. Kept here, beside the code it
// drives, so that it is type-checked with the Worker's types (Queue, MessageBatch).
import { sql } from "drizzle-orm";
import { createDb } from "../../db/client.ts";
import { consumeBatch } from "../consume.ts";
import { eventHandlers } from "../events.ts";
import type { QueueMessage } from "../message.ts";
import { ENGAGEMENT_RECORDED_EVENT } from "./messages.ts";
import { DEFAULT_RULES, ENGAGEMENT_KINDS, type RuleSet } from "./rules.ts";

export interface ScoringBenchResult {
  contacts: number;
  batchSize: number;
  concurrentBatches: number;
  events: number;
  eventsPerSecond: number;
  retried: number;
  /** Events delivered a second time (a tenth of them) that changed nothing. */
  duplicates: number;
}

const RULES: RuleSet = {
  ...DEFAULT_RULES,
  fit: {
    min: 0,
    max: 100,
    groups: [{ id: "seniority", max: 40 }],
    rules: [
      {
        id: "vp",
        label: "VP",
        group: "seniority",
        points: 30,
        when: { field: "jobTitle", contains: ["vp", "vice president"] },
      },
      {
        id: "head",
        label: "Head of",
        group: "seniority",
        points: 20,
        when: { field: "jobTitle", contains: ["head of"] },
      },
      { id: "biz", label: "Business email", points: 15, when: { field: "emailDomain", is: "business" } },
      { id: "free", label: "Free email", points: -10, when: { field: "emailDomain", is: "free" } },
    ],
  },
};

function fakeQueue(): Queue<QueueMessage> {
  const metadata = { metrics: { backlogCount: 0, backlogBytes: 0 } };
  return {
    send: async () => ({ metadata }),
    sendBatch: async () => ({ metadata }),
    metrics: async () => metadata.metrics,
  } as unknown as Queue<QueueMessage>;
}

function batchOf(
  messages: QueueMessage[],
  counters: { acked: number; retried: number },
): MessageBatch<unknown> {
  return {
    queue: "crm-events",
    messages: messages.map((body, i) => ({
      id: `m-${i}`,
      timestamp: new Date(),
      attempts: 1,
      body,
      ack: () => {
        counters.acked += 1;
      },
      retry: () => {
        counters.retried += 1;
      },
    })),
    ackAll: () => {},
    retryAll: () => {},
  } as unknown as MessageBatch<unknown>;
}

export async function benchScoring(
  url: string,
  options: { seconds: number; contacts: number; batchSize: number; concurrentBatches: number },
): Promise<ScoringBenchResult> {
  const db = createDb({ url });
  const prefix = `bench-${Date.now()}-`;
  await db.run(sql`with recursive n(i) as (select 1 union all select i + 1 from n where i < ${options.contacts})
    insert into contacts (id, name, email, job_title, created_at, updated_at)
    select ${prefix} || printf('%08d', i), 'Bench lead ' || i,
      'lead' || i || case when i % 3 = 0 then '@gmail.com' else '@' || ${prefix} || 'acme.example' end,
      case i % 4 when 0 then 'VP Sales' when 1 then 'Head of Marketing' else 'Analyst' end, ${Date.now()}, ${Date.now()} from n`);
  await db.run(sql`insert into scoring_rule_sets (version, rules, created_at)
    select coalesce(max(version), 0) + 1, ${JSON.stringify(RULES)}, ${Date.now()} from scoring_rule_sets`);

  const services = {
    db,
    config: {} as never,
    queues: { capture: fakeQueue(), events: fakeQueue(), outbound: fakeQueue() },
  };
  const counters = { acked: 0, retried: 0 };
  let sequence = 0;
  let duplicates = 0;
  const recent: QueueMessage[] = [];
  const nextBatch = (): QueueMessage[] =>
    Array.from({ length: options.batchSize }, () => {
      // One in ten is a redelivery of an event already sent: it must count once.
      if (recent.length > 0 && sequence % 10 === 9) {
        sequence += 1;
        duplicates += 1;
        return recent[Math.floor(Math.random() * recent.length)] as QueueMessage;
      }
      const n = sequence++;
      const contact = `${prefix}${String(1 + Math.floor(Math.random() * options.contacts)).padStart(8, "0")}`;
      const eventId = `${prefix}e${n}`;
      const kind = ENGAGEMENT_KINDS[n % ENGAGEMENT_KINDS.length] ?? "page_visit";
      const message: QueueMessage = {
        id: `${ENGAGEMENT_RECORDED_EVENT}:${eventId}`,
        type: ENGAGEMENT_RECORDED_EVENT,
        createdAt: Date.now(),
        data: {
          eventId,
          contactId: contact,
          kind,
          at: Date.now() - Math.floor(Math.random() * 30 * 86_400_000),
        },
      };
      if (recent.length >= 1000) recent.shift();
      recent.push(message);
      return message;
    });

  const deadline = performance.now() + options.seconds * 1_000;
  const started = performance.now();
  let delivered = 0;
  await Promise.all(
    Array.from({ length: options.concurrentBatches }, async () => {
      while (performance.now() < deadline) {
        const messages = nextBatch();
        await consumeBatch(batchOf(messages, counters), eventHandlers, services);
        delivered += messages.length;
      }
    }),
  );
  const elapsedSeconds = (performance.now() - started) / 1_000;
  const [ledger] = await db.all<{ n: number }>(
    sql`select count(*) as n from scoring_events where event_id like ${`${prefix}%`}`,
  );
  const unique = delivered - duplicates;
  if (counters.retried === 0 && Number(ledger?.n) !== unique) {
    throw new Error(`scoring ledger has ${ledger?.n} events, ${unique} were sent`);
  }
  db.$client.close();
  return {
    contacts: options.contacts,
    batchSize: options.batchSize,
    concurrentBatches: options.concurrentBatches,
    events: delivered,
    eventsPerSecond: Math.round(counters.acked / elapsedSeconds),
    retried: counters.retried,
    duplicates,
  };
}
