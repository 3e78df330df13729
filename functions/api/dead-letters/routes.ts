// The dead letters, for admins: queue messages that failed every retry (or could not be read), by queue and
// type, newest first; one letter with its body; and replay, of one or many, back onto the queue each came
// from (the consumers are idempotent, so a letter that had half succeeded does no harm). One round trip each:
// the letters are marked replayed in it and sent after; should the send fail, the mark is put back once the
// answer is out, and the answer is 503.
import { z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import type { Context } from "hono";
import { callerAuditStatement } from "../../../db/audit-queries.ts";
import {
  type DeadLetterRow,
  deadLettersQuery,
  listDeadLettersQuery,
  markReplayedStatement,
  restoreReplayedAt,
} from "../../../db/dead-letters.ts";
import { decodeTimeCursor, encodeTimeCursor, TIME_CURSOR_PATTERN } from "../../../db/timeline.ts";
import { QUEUES, type QueueMessage, QueueMessageSchema } from "../../../queues/message.ts";
import { authorizedRead, authorizedWrite, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import type { AppEnv } from "../../env.ts";
import { ApiError, problemContent } from "../../errors.ts";
import { body, json, pageQuery } from "../../openapi.ts";
import { requestOrigin } from "../../request-origin.ts";

const tags = ["Dead letters"];
const read = { scope: "dead_letters:read", roles: ["admin"] } as const;
const write = { scope: "dead_letters:write", roles: ["admin"], write: true } as const;
const QUEUE_NAMES = Object.values(QUEUES) as [string, ...string[]];
const MAX_REPLAY = 100;

const DeadLetterSchema = z
  .object({
    id: z.string(),
    queue: z.enum(QUEUE_NAMES),
    messageId: z.string(),
    type: z.string().nullable(),
    body: z.unknown().openapi({ description: "The message as it was on the queue." }),
    attempts: z.number().int(),
    error: z.string().nullable(),
    receivedAt: z.number().int(),
    replayedAt: z.number().int().nullable().openapi({ description: "When an admin last sent it back." }),
  })
  .openapi("DeadLetter");

const DeadLetterPage = z
  .object({ items: z.array(DeadLetterSchema), nextCursor: z.string().nullable() })
  .openapi("DeadLetterPage");

const ListQuery = z.object({
  ...pageQuery({ cursor: z.string().regex(TIME_CURSOR_PATTERN, "Not a cursor of this list.") }),
  queue: z.enum(QUEUE_NAMES).optional(),
  type: z.string().max(100).optional().openapi({ description: "The message type, e.g. webhook.delivery." }),
  replayed: z
    .enum(["true", "false"])
    .transform((value) => value === "true")
    .optional(),
});

const IdParams = z.object({
  id: z
    .string()
    .min(1)
    .max(300)
    .openapi({ param: { name: "id", in: "path" }, description: "`<queue>:<message id>`" }),
});

const ReplayMany = z
  .strictObject({ ids: z.array(z.string().min(1).max(300)).min(1).max(MAX_REPLAY) })
  .openapi("DeadLetterReplayRequest");

const ReplayResult = z
  .object({
    replayed: z.array(z.string()).openapi({ description: "Sent back to their queues." }),
    skipped: z
      .array(z.object({ id: z.string(), reason: z.string() }))
      .openapi({ description: "Not sent: unknown, or not a message any consumer can read." }),
  })
  .openapi("DeadLetterReplayResult");

const listRoute = defineRoute({
  method: "get",
  path: "/api/v1/dead-letters",
  tags,
  summary: "Queue messages that failed every retry, newest first: filter by queue, type and whether replayed",
  access: read,
  record: "dead_letter",
  request: { query: ListQuery },
  responses: { 200: json(DeadLetterPage, "One page of dead letters") },
});

const getRoute = defineRoute({
  method: "get",
  path: "/api/v1/dead-letters/{id}",
  tags,
  summary: "One dead letter, with the message it holds",
  access: read,
  record: "dead_letter",
  request: { params: IdParams },
  responses: { 200: json(DeadLetterSchema, "The dead letter") },
});

const replayRoute = defineRoute({
  method: "post",
  path: "/api/v1/dead-letters/{id}/replay",
  tags,
  summary: "Send a dead letter back to its queue",
  access: write,
  record: "dead_letter",
  request: { params: IdParams },
  responses: {
    202: json(ReplayResult, "Sent back"),
    409: problemContent("The letter holds no message a consumer can read"),
    503: problemContent("The queue did not take it; retry after Retry-After"),
  },
});

const replayManyRoute = defineRoute({
  method: "post",
  path: "/api/v1/dead-letters/replay",
  tags,
  summary: "Send many dead letters back to their queues (up to 100)",
  access: write,
  request: body(ReplayMany),
  responses: {
    202: json(ReplayResult, "Sent back, and what was skipped"),
    503: problemContent("A queue did not take them; retry after Retry-After"),
  },
});

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function toView(row: DeadLetterRow): z.infer<typeof DeadLetterSchema> {
  return { ...row, queue: row.queue as (typeof QUEUE_NAMES)[number], body: parseBody(row.body) };
}

function queueOf(c: Context<AppEnv>, name: string): Queue<QueueMessage> | null {
  if (name === QUEUES.capture) return c.env.CAPTURE_QUEUE;
  if (name === QUEUES.events) return c.env.EVENTS_QUEUE;
  if (name === QUEUES.outbound) return c.env.OUTBOUND_QUEUE;
  return null;
}

type Plan = {
  send: Map<Queue<QueueMessage>, QueueMessage[]>;
  replayed: string[];
  skipped: { id: string; reason: string }[];
};

/** Which letters go back where, and which cannot (unreadable, or for a queue this Worker does not have). */
function planReplay(c: Context<AppEnv>, rows: readonly DeadLetterRow[], asked: readonly string[]): Plan {
  const plan: Plan = { send: new Map(), replayed: [], skipped: [] };
  for (const id of asked) {
    const row = rows.find((r) => r.id === id);
    if (!row) {
      plan.skipped.push({ id, reason: "No such dead letter." });
      continue;
    }
    const message = QueueMessageSchema.safeParse(parseBody(row.body));
    const queue = queueOf(c, row.queue);
    if (!message.success || !queue) {
      plan.skipped.push({
        id,
        reason: message.success ? `No queue ${row.queue} here.` : "Not a message any consumer can read.",
      });
      continue;
    }
    plan.send.set(queue, [...(plan.send.get(queue) ?? []), message.data]);
    plan.replayed.push(id);
  }
  return plan;
}

/** Puts the replayed marks of these letters back as they were, once the answer is out. */
function unmark(c: Context<AppEnv>, before: readonly DeadLetterRow[], ids: readonly string[]): void {
  const rows = before.filter((row) => ids.includes(row.id));
  if (rows.length === 0) return;
  const undo = restoreReplayedAt(c.get("db"), rows).catch(() => undefined);
  try {
    c.executionCtx.waitUntil(undo);
  } catch {
    // No execution context (a script): the promise runs to its end on its own.
  }
}

/** Sends the plan; when a queue refuses, the letters' marks are put back after the answer, and it is a 503. */
async function send(c: Context<AppEnv>, plan: Plan, before: readonly DeadLetterRow[]): Promise<void> {
  // Letters that could not be sent were not replayed.
  unmark(
    c,
    before,
    plan.skipped.map((s) => s.id),
  );
  try {
    for (const [queue, messages] of plan.send) {
      for (let i = 0; i < messages.length; i += 100) {
        await queue.sendBatch(messages.slice(i, i + 100).map((body) => ({ body })));
      }
    }
  } catch (error) {
    unmark(c, before, plan.replayed);
    throw new ApiError("unavailable", "The queue did not take the letters. Retry shortly.", {
      headers: { "Retry-After": "30" },
      cause: error,
    });
  }
}

async function replay(c: Context<AppEnv>, ids: readonly string[]) {
  const db = c.get("db");
  const now = Date.now();
  const {
    results: [before, marked],
  } = await authorizedWrite(
    c,
    (me) =>
      [
        deadLettersQuery(db, ids),
        markReplayedStatement(db, ids, now),
        callerAuditStatement(
          db,
          me,
          {
            action: "dead_letter.replayed",
            targetType: "dead_letter",
            targetId: ids.length === 1 ? ids[0] : null,
            changes: { ids },
          },
          requestOrigin(c),
          now,
          { when: sql`exists (select 1 from dead_letters where replayed_at = ${now})` },
        ),
      ] as const,
  );
  const plan = planReplay(c, marked, ids);
  await send(c, plan, before);
  return plan;
}

export const deadLetterRoutes = createRouter()
  .openapi(listRoute, async (c) => {
    const { limit, cursor, queue, type, replayed } = c.req.valid("query");
    const {
      results: [rows],
    } = await authorizedRead(
      c,
      () =>
        [
          listDeadLettersQuery(c.get("db"), {
            queue,
            type,
            replayed,
            cursor: decodeTimeCursor(cursor),
            limit,
          }),
        ] as const,
    );
    const kept = rows.slice(0, limit);
    const last = kept.at(-1);
    return c.json(
      {
        items: kept.map(toView),
        nextCursor:
          rows.length > limit && last ? encodeTimeCursor({ at: last.receivedAt, id: last.id }) : null,
      },
      200,
    );
  })
  .openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const {
      results: [rows],
    } = await authorizedRead(c, () => [deadLettersQuery(c.get("db"), [id])] as const);
    const row = rows[0];
    if (!row) throw new ApiError("not_found", "Not found");
    return c.json(toView(row), 200);
  })
  .openapi(replayRoute, async (c) => {
    const { id } = c.req.valid("param");
    const plan = await replay(c, [id]);
    const skipped = plan.skipped[0];
    if (skipped) {
      throw skipped.reason === "No such dead letter."
        ? new ApiError("not_found", "Not found")
        : new ApiError("conflict", skipped.reason);
    }
    return c.json({ replayed: plan.replayed, skipped: plan.skipped }, 202);
  })
  .openapi(replayManyRoute, async (c) => {
    const { ids } = c.req.valid("json");
    const plan = await replay(c, [...new Set(ids)]);
    return c.json({ replayed: plan.replayed, skipped: plan.skipped }, 202);
  });
