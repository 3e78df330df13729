// Fuzz: thousands of random requests against POST /f/{formId} (fast-check, seeded: a failure prints the seed
// and path that replay it). Whatever is sent, the answer is 202 (JSON), 303 (a plain form post), or a 4xx as
// problem+json; the one exception the contract makes is a plain form post refused for its values, which
// gets the hosted page again (422, text/html). Never a 5xx. And what was accepted is durable: exactly one
// message on the capture queue, one the consumer takes, or (when the queue refused it) a row in the database;
// what was refused was never queued, and nothing queued carries a NUL. The queue is a recorder that refuses
// every tenth send, so the fallback write is fuzzed too; the rate limiters are stand-ins refusing one address.
// The submit path asks the database for nothing but that fallback: the round trips are counted.
import { eq, inArray } from "drizzle-orm";
import fc from "fast-check";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { newId } from "../../db/ids.ts";
import { formSubmissions, forms } from "../../db/schema/index.ts";
import { FormInputSchema, toStoredDefinition } from "../../functions/forms/definition.ts";
import { CaptureDataSchema, FORM_SUBMISSION_TYPE } from "../../queues/capture/message.ts";
import { type QueueMessage, QueueMessageSchema } from "../../queues/message.ts";
import { BLOCKED_IP, encodeAny, type FormTarget, fuzzRequest } from "./forms-fuzz-requests.ts";
import { useTestDatabase } from "./support.ts";

const SEED = 20_260_505;
const RUNS = 10_000;
const FAIL_EVERY = 10;

const sent: QueueMessage[] = [];
const refused: string[] = [];
let sends = 0;

const captureQueue = {
  async send(message: QueueMessage) {
    sends += 1;
    if (sends % FAIL_EVERY === 0) {
      refused.push(message.id);
      throw new Error("Queue send failed (the fuzz test's recorder refuses every tenth send)");
    }
    sent.push(message);
    return { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } };
  },
  async sendBatch() {
    throw new Error("The submit path sends one message at a time");
  },
  async metrics() {
    return { backlogCount: 0, backlogBytes: 0 };
  },
} satisfies Queue<QueueMessage>;

const limiter: RateLimit = {
  async limit({ key }) {
    return { success: !key.includes(BLOCKED_IP) };
  },
};

const t = useTestDatabase({
  CAPTURE_QUEUE: captureQueue,
  FORM_RATE_LIMITER: limiter,
  FORM_IP_RATE_LIMITER: limiter,
});

const ids = {} as Record<FormTarget, string>;

function formInput(name: string, extra: Record<string, unknown>) {
  return FormInputSchema.parse({
    name,
    languages: ["en", "vi"],
    fields: [
      { key: "email", type: "email", label: { en: "Email" }, required: true, mapTo: "contact.email" },
      { key: "first_name", type: "text", label: { en: "First name" }, mapTo: "contact.firstName" },
      { key: "phone", type: "phone", label: { en: "Phone" }, mapTo: "contact.phone" },
      {
        key: "interests",
        type: "multiselect",
        label: { en: "Interests" },
        options: ["crm", "ads", "seo"].map((value) => ({ value, label: { en: value } })),
      },
      { key: "employees", type: "number", label: { en: "Employees" }, min: 1, max: 100_000 },
      { key: "agree", type: "checkbox", label: { en: "Agree" } },
      { key: "start", type: "date", label: { en: "Start" } },
      { key: "site", type: "url", label: { en: "Website" } },
    ],
    consent: { text: { en: "You may email me." }, required: true },
    allowedOrigins: ["https://site.example", "https://*.partner.example"],
    spam: { minFillMs: 1000 },
    ...extra,
  });
}

async function insertForm(input: ReturnType<typeof formInput>, archived = false): Promise<string> {
  const id = newId();
  const now = Date.now();
  await t.db.insert(forms).values({
    id,
    name: input.name,
    definition: JSON.stringify(toStoredDefinition(input)),
    createdAt: now,
    updatedAt: now,
    archivedAt: archived ? now : null,
  });
  return id;
}

beforeAll(async () => {
  ids.live = await insertForm(formInput("Fuzz: live", {}));
  ids.redirecting = await insertForm(
    formInput("Fuzz: redirecting", {
      thankYou: { message: { en: "Thanks" }, redirectUrl: "https://site.example/thanks" },
      allowedOrigins: ["*"],
    }),
  );
  ids.archived = await insertForm(formInput("Fuzz: archived", {}), true);
  ids.ghost = newId();
  ids.unseen = newId();
  // What a visitor's browser does first (the page, the embed's definition): the edge learns these forms,
  // and that the ghost is no form. The unseen id stays unknown to the edge.
  for (const target of ["live", "redirecting"] as const) {
    expect((await t.fetch(`/f/${ids[target]}/definition`)).status).toBe(200);
  }
  for (const target of ["archived", "ghost"] as const) {
    expect((await t.fetch(`/f/${ids[target]}/definition`)).status).toBe(404);
  }
});

const FORM_KINDS = new Set(["application/x-www-form-urlencoded", "multipart/form-data"]);
const mediaType = (contentType: string | undefined) =>
  (contentType ?? "").split(";", 1)[0]?.trim().toLowerCase() ?? "";
/** Whether any text in the value, keys included, holds a NUL character. */
function hasNul(value: unknown): boolean {
  if (typeof value === "string") return value.includes("\u0000");
  if (Array.isArray(value)) return value.some(hasNul);
  if (value && typeof value === "object")
    return Object.entries(value).some(([k, v]) => hasNul(k) || hasNul(v));
  return false;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("POST /f/{formId} under fuzz", () => {
  it(`answers ${RUNS} random requests with 202, 303 or a 4xx problem, and keeps what it accepted`, {
    timeout: 120_000,
  }, async () => {
    const statuses = new Map<string, number>();
    const fallbackIds: string[] = [];
    // Every fallback write logs a warning, as it should; hundreds of them would bury the report.
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const started = performance.now();

    const trips = await t.roundTrips(() =>
      fc.assert(
        fc.asyncProperty(fuzzRequest, async (req) => {
          const id =
            req.target === "garbage" ? (req.raw ? req.garbageId : encodeAny(req.garbageId)) : ids[req.target];
          const path = `/f/${id}${req.query}`;
          const headers = new Headers(req.headers);
          if (req.plan.contentType !== undefined) headers.set("Content-Type", req.plan.contentType);
          const body = "build" in req.plan ? req.plan.build(Date.now()) : req.plan.body;
          const sentBefore = sent.length;
          const refusedBefore = refused.length;
          const response = await t.fetch(path, { method: "POST", headers, body });
          const status = response.status;
          const type = response.headers.get("Content-Type") ?? "";
          const text = await response.text();
          const label = `${status} ${mediaType(type)}`;
          statuses.set(label, (statuses.get(label) ?? 0) + 1);
          const context = `${label}: ${text.slice(0, 300)}`;

          expect(status === 202 || status === 303 || (status >= 400 && status < 500), context).toBe(true);
          const allowOrigin = response.headers.get("Access-Control-Allow-Origin");
          if (allowOrigin !== null) expect(allowOrigin).toBe(req.headers.Origin);

          const queued = sent.slice(sentBefore);
          const fellBack = refused.slice(refusedBefore);
          if (status >= 400) {
            // Refused: nothing of it was queued or kept.
            expect(queued.length + fellBack.length, context).toBe(0);
            if (mediaType(type) === "text/html") {
              // The contract's one exception: a plain form post with bad values gets the page back.
              expect(status, context).toBe(422);
              expect(FORM_KINDS.has(mediaType(req.plan.contentType)), context).toBe(true);
              expect(text).toMatch(/^<!doctype html>/i);
            } else {
              expect(mediaType(type), context).toBe("application/problem+json");
              const problem = JSON.parse(text) as { status: number; requestId: string; title: string };
              expect(problem.status, context).toBe(status);
              expect(problem.requestId, context).toBe(response.headers.get("X-Request-Id"));
            }
            return;
          }

          // Accepted: exactly one send, which either reached the queue or fell back to the database.
          expect(queued.length + fellBack.length, context).toBe(1);
          let submissionId: string;
          if (queued[0]) {
            const message = QueueMessageSchema.parse(queued[0]);
            expect(message.type).toBe(FORM_SUBMISSION_TYPE);
            const data = CaptureDataSchema.safeParse(message.data);
            expect(
              data.success,
              `queued a message the consumer would refuse: ${JSON.stringify(data.error?.issues)}`,
            ).toBe(true);
            expect(message.id).toBe(data.data?.submissionId);
            // The Worker refuses NUL in text before anything stores it (functions/middleware/reject-nul.ts):
            // the consumer writes these values as they are, and the database would refuse or cut them.
            expect(hasNul(message), `queued a NUL: ${JSON.stringify(message)}`).toBe(false);
            submissionId = message.id;
          } else {
            submissionId = fellBack[0] ?? "";
            fallbackIds.push(submissionId);
          }
          expect(submissionId).toMatch(UUID);
          if (status === 202) {
            // The embed's JSON gets JSON; a plain form post is sent on with a 303 instead.
            expect(FORM_KINDS.has(mediaType(req.plan.contentType)), context).toBe(false);
            expect(mediaType(type), context).toBe("application/json");
            expect(JSON.parse(text)).toMatchObject({ submissionId, status: "accepted" });
          } else {
            expect(FORM_KINDS.has(mediaType(req.plan.contentType)), context).toBe(true);
            expect(response.headers.get("Location"), context).toMatch(/^https?:\/\//);
          }
        }),
        { seed: SEED, numRuns: RUNS },
      ),
    );
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    warn.mockRestore();
    console.log(
      `forms fuzz: ${RUNS} requests in ${seconds} s (seed ${SEED}); ${[...statuses]
        .sort()
        .map(([k, n]) => `${k}: ${n}`)
        .join(", ")}`,
    );

    // Each send the queue refused was written straight to the database, in the one round trip it cost: the
    // submit path asks the database for nothing else.
    expect(trips).toBe(refused.length);
    const kept =
      refused.length === 0
        ? []
        : await t.db
            .select({ id: formSubmissions.id })
            .from(formSubmissions)
            .where(inArray(formSubmissions.id, refused));
    expect(kept.map((r) => r.id).sort()).toEqual([...new Set(refused)].sort());
    expect(fallbackIds.length).toBe(refused.length);
    const received = await t.db
      .select({ id: formSubmissions.id })
      .from(formSubmissions)
      .where(eq(formSubmissions.status, "received"));
    expect(received.length).toBe(new Set(refused).size);
    // The run reached the interesting paths, not only the refusals.
    expect(sent.length).toBeGreaterThan(RUNS / 10);
  });
});
