// A rules change recomputes every contact through the events queue: the save starts a job, the plan message
// splits 10,000 contacts into keyset chunks, each chunk message recomputes its contacts once (delivered twice
// here), and the job's progress reads through the API until it is done, exactly once.
import { sql } from "drizzle-orm";
import { beforeAll, expect, it } from "vitest";
import type { QueueMessage } from "../../queues/message.ts";
import { CHUNK_SIZE } from "../../queues/scoring/fanout.ts";
import type { RuleSet } from "../../queues/scoring/rules.ts";
import { createUser, sessionFor } from "./factories.ts";
import { emptyRules, type Headers, scoringTest } from "./scoring-support.ts";

const { t, events, call, deliver } = scoringTest();
const CONTACTS = 10_000;

let asAdmin: Headers;

beforeAll(async () => {
  asAdmin = (await sessionFor(t.db, await createUser(t.db, { role: "admin" }))).headers;
  // Batched SQL: 10,000 contacts in one statement, every other one a VP.
  await t.db.run(sql`with recursive n(i) as (select 1 union all select i + 1 from n where i < ${CONTACTS})
    insert into contacts (id, name, email, job_title, created_at, updated_at)
    select printf('00000000-0000-7000-8000-%012d', i), 'Lead ' || i, 'lead' || i || '@example.com',
      case when i % 2 = 0 then 'VP Sales' else 'Intern' end, 1700000000000, 1700000000000 from n`);
}, 60_000);

const RULES: RuleSet = {
  ...emptyRules(),
  fit: {
    groups: [],
    rules: [{ id: "vp", label: "VP title", points: 50, when: { field: "jobTitle", contains: ["vp"] } }],
  },
  grading: { fitWeight: 1, engagementWeight: 0, bands: [{ grade: "A", min: 50 }], otherwise: "D" },
};

async function progress(jobId: string) {
  const response = await call("GET", `/api/v1/scoring/jobs/${jobId}`, asAdmin);
  expect(response.status).toBe(200);
  expect(response.trips).toBe(1);
  return response.body as {
    status: string;
    total: number;
    done: number;
    changed: number;
    progress: number;
    finishedAt: number | null;
    chunks: number;
  };
}

it("recomputes 10,000 contacts after a rules change, reporting progress to completion", async () => {
  const saved = await call("PUT", "/api/v1/scoring/rules", asAdmin, RULES);
  expect(saved.status).toBe(200);
  expect(saved.trips).toBe(1);
  const jobId = saved.body.job.id as string;
  expect((await progress(jobId)).status).toBe("planning");

  // The plan: one message per chunk of CHUNK_SIZE contacts.
  const plan = events.sent.splice(0);
  expect(plan.map((m) => m.type)).toEqual(["scoring.recompute_planned"]);
  await deliver(plan);
  const chunks = events.sent.splice(0);
  expect(chunks).toHaveLength(CONTACTS / CHUNK_SIZE);
  let seen = await progress(jobId);
  expect(seen).toMatchObject({ status: "running", total: CONTACTS, done: 0, chunks: CONTACTS / CHUNK_SIZE });

  // A redelivered plan sends the same chunks again; they are harmless duplicates.
  await deliver(plan);
  const again = events.sent.splice(0);
  expect(again.map((m) => m.id)).toEqual(chunks.map((m) => m.id));

  // Chunks arrive in batches of four, some twice, and progress grows until the job is done.
  const finishedAt: (number | null)[] = [];
  const deliveries: QueueMessage[][] = [];
  for (let i = 0; i < chunks.length; i += 4)
    deliveries.push([...chunks.slice(i, i + 4), ...again.slice(i, i + 1)]);
  let previous = 0;
  for (const batch of deliveries) {
    const result = await deliver(batch);
    expect(result.retryMessages).toEqual([]);
    seen = await progress(jobId);
    expect(seen.done).toBeGreaterThan(previous);
    previous = seen.done;
    finishedAt.push(seen.finishedAt);
  }
  expect(seen).toMatchObject({
    status: "done",
    total: CONTACTS,
    done: CONTACTS,
    changed: CONTACTS,
    progress: 1,
  });
  expect(finishedAt.filter((f) => f !== null)).toHaveLength(1);

  // Every chunk delivered once more after the end changes nothing: the job finished once.
  await deliver(again);
  expect(await progress(jobId)).toEqual(seen);

  const [counts] = await t.db.all<{ scored: number; a: number; d: number; entries: number }>(sql`select
      (select count(*) from contact_scores where rules_version = ${saved.body.version}) as scored,
      (select count(*) from contacts where grade = 'A' and fit_score = 50) as a,
      (select count(*) from contacts where grade = 'D' and fit_score = 0) as d,
      (select count(*) from activities where type = 'score_change') as entries`);
  expect(counts).toEqual({ scored: CONTACTS, a: CONTACTS / 2, d: CONTACTS / 2, entries: CONTACTS });
}, 120_000);
