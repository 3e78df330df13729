// Helpers of the workflow tests: a test database whose events queue is a fake that keeps each message with its
// delay (the tests deliver them to the Worker's own queue handler, holding back delayed ones), API calls as a
// user with their round trips counted, records made through the API, and a pump that dispatches the domain
// events writes recorded and delivers everything due until the queue is quiet.
import { eq } from "drizzle-orm";
import { expect } from "vitest";
import { newId } from "../../db/ids.ts";
import { workflowRuns, workflowSteps } from "../../db/schema/index.ts";
import { dispatchDomainEvents } from "../../queues/domain-events/dispatch.ts";
import { DISPATCH_EVENTS } from "../../queues/domain-events/types.ts";
import { createServices } from "../../queues/index.ts";
import type { QueueMessage } from "../../queues/message.ts";
import { createUser, sessionFor, type TestUser } from "./factories.ts";
import { useTestDatabase } from "./support.ts";

export const SALES_PIPELINE = "01900000-0000-7000-8000-000000000001";
export const STAGES = {
  qualification: "01900000-0000-7000-8000-000000000011",
  meeting: "01900000-0000-7000-8000-000000000012",
  proposal: "01900000-0000-7000-8000-000000000013",
  negotiation: "01900000-0000-7000-8000-000000000014",
} as const;

export interface Sent {
  body: QueueMessage;
  delaySeconds: number;
}

/** A fake queue that keeps every message with the delay it was sent with. */
export function recordingQueue() {
  const fake = {
    sent: [] as Sent[],
    dispatchRequests: 0,
    failing: false,
    queue: undefined as unknown as Queue<QueueMessage>,
  };
  const keep = (body: QueueMessage, delaySeconds = 0) => {
    if (fake.failing) throw new Error("Queue send failed: the queue is unavailable");
    if (body.type === DISPATCH_EVENTS) fake.dispatchRequests += 1;
    else fake.sent.push({ body: structuredClone(body), delaySeconds });
  };
  fake.queue = {
    async send(body: QueueMessage, options?: { delaySeconds?: number }) {
      keep(body, options?.delaySeconds);
      return {};
    },
    async sendBatch(messages: Iterable<MessageSendRequest<QueueMessage>>) {
      for (const message of messages) keep(message.body, message.delaySeconds);
      return {};
    },
  } as unknown as Queue<QueueMessage>;
  return fake;
}

// biome-ignore lint/suspicious/noExplicitAny: test bodies are read loosely, asserted field by field.
type Body = any;

export type Api = (
  method: string,
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
) => Promise<{ status: number; body: Body; headers: Headers; trips: number }>;

export function workflowsTest(overrides: Record<string, string> = {}) {
  const events = recordingQueue();
  const t = useTestDatabase({ EVENTS_QUEUE: events.queue, ...overrides });
  const services = () => createServices(t.env);

  async function as(user: TestUser): Promise<Api> {
    const { headers } = await sessionFor(t.db, user);
    return async (method, path, body, extra = {}) => {
      let response: Response | undefined;
      const trips = await t.roundTrips(async () => {
        response = await t.fetch(path, {
          method,
          headers: {
            ...headers,
            ...(body === undefined ? {} : { "Content-Type": "application/json" }),
            ...extra,
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      });
      if (!response) throw new Error("no response");
      const text = await response.text();
      const json = (text ? JSON.parse(text) : {}) as Body;
      return { status: response.status, body: json, headers: response.headers, trips };
    };
  }

  /**
   * Dispatches recorded domain events and delivers every message due now, round after round, until none is
   * left; delayed messages stay in `events.sent` unless `delayed` delivers them too. Fails the test when a
   * handler asked for a retry, unless `retries` allows it.
   */
  async function pump(options: { delayed?: boolean; retries?: boolean } = {}) {
    for (let round = 0; round < 60; round++) {
      await dispatchDomainEvents(services());
      const ready = events.sent.filter((m) => options.delayed || m.delaySeconds === 0);
      if (ready.length === 0) return;
      events.sent = events.sent.filter((m) => !ready.includes(m));
      const result = await t.queue(
        "crm-events",
        ready.map((m) => m.body),
      );
      if (!options.retries) expect(result.retryMessages, "a handler asked for a retry").toEqual([]);
    }
    throw new Error("the events queue did not go quiet");
  }

  /** The delayed messages held back, taken out of the queue. */
  function takeDelayed(): Sent[] {
    const delayed = events.sent.filter((m) => m.delaySeconds > 0);
    events.sent = events.sent.filter((m) => m.delaySeconds === 0);
    return delayed;
  }

  async function runsOf(workflowId: string) {
    return t.db
      .select()
      .from(workflowRuns)
      .where(eq(workflowRuns.workflowId, workflowId))
      .orderBy(workflowRuns.id);
  }

  async function stepsOf(runId: string) {
    return t.db
      .select()
      .from(workflowSteps)
      .where(eq(workflowSteps.runId, runId))
      .orderBy(workflowSteps.step);
  }

  return { t, events, services, as, pump, takeDelayed, runsOf, stepsOf };
}

export type WorkflowsTest = ReturnType<typeof workflowsTest>;

/** An admin, a manager and a rep in one team, with their APIs. */
export async function people(w: WorkflowsTest) {
  const admin = await createUser(w.t.db, { role: "admin", name: "Admin" });
  const rep = await createUser(w.t.db, { role: "rep", name: "Rep Lan" });
  return { admin, rep, adminApi: await w.as(admin), repApi: await w.as(rep) };
}

/** Creates a workflow through the API (enabled) and answers its id. */
export async function createWorkflow(
  api: Api,
  definition: Record<string, unknown>,
  name = `Workflow ${newId().slice(-6)}`,
) {
  const response = await api("POST", "/api/v1/workflows", { name, enabled: true, ...definition });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body.id as string;
}

export async function createContact(api: Api, values: Record<string, unknown> = {}) {
  const response = await api("POST", "/api/v1/contacts", {
    name: "Nguyễn Thị Lan",
    emails: [`lan-${newId().slice(-12)}@example.vn`],
    ...values,
  });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body as { id: string; version: number } & Record<string, unknown>;
}

export async function createDeal(api: Api, values: Record<string, unknown> = {}) {
  const response = await api("POST", "/api/v1/deals", {
    name: "Phở chain rollout",
    amount: 5_000_000,
    currency: "VND",
    pipelineId: SALES_PIPELINE,
    stageId: STAGES.qualification,
    ...values,
  });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body as { id: string; version: number } & Record<string, unknown>;
}
