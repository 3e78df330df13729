// The scoring rules API: anyone with rules:read reads the rules and a recompute's progress; admins replace the
// rules (If-Match), which starts a recompute of every contact through the events queue; a contact's score with
// its explanation, and a dry run of the current rules (or a posted draft) on one contact. One round trip each.

import type { z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { canSeeRecord } from "../../../db/caller.ts";
import { newId } from "../../../db/ids.ts";
import { contacts } from "../../../db/schema/index.ts";
import {
  currentRulesQuery,
  type RuleSetRow,
  saveRulesStatements,
  scoringJobQuery,
} from "../../../db/scoring/rules.ts";
import { contactEventsQuery, contactScoreQuery, scoringContactQuery } from "../../../db/scoring/state.ts";
import { computeScores, topRules } from "../../../queues/scoring/compute.ts";
import { currentRules, toScoringContact } from "../../../queues/scoring/engine.ts";
import { planMessage } from "../../../queues/scoring/fanout.ts";
import { RuleSetSchema } from "../../../queues/scoring/rules.ts";
import { authorizedRead, authorizedWrite, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import { ApiError, problemContent } from "../../errors.ts";
import { etag, ifMatchVersion, preconditionFailed } from "../../etag.ts";
import { body, json } from "../../openapi.ts";
import { requestOrigin } from "../../request-origin.ts";
import {
  DryRunInput,
  DryRunView,
  type ExplanationSchema,
  IdParams,
  JobView,
  RulesView,
  SavedRulesView,
  ScoreView,
  toJobView,
} from "./schemas.ts";

const tags = ["Scoring"];
const read = { scope: "rules:read" } as const;
const write = { scope: "rules:write", roles: ["admin"], write: true } as const;

const getRulesRoute = defineRoute({
  method: "get",
  path: "/api/v1/scoring/rules",
  tags,
  summary: "The current scoring rules (ETag: their version)",
  access: read,
  responses: { 200: json(RulesView, "The rules") },
});

const putRulesRoute = defineRoute({
  method: "put",
  path: "/api/v1/scoring/rules",
  tags,
  summary: "Replace the scoring rules (If-Match): a new version, and a job that recomputes every contact",
  access: write,
  request: body(RuleSetSchema),
  responses: {
    200: json(SavedRulesView, "Saved; follow the job at /api/v1/scoring/jobs/{id}"),
    412: problemContent("If-Match names a version that is no longer current"),
  },
});

const jobRoute = defineRoute({
  method: "get",
  path: "/api/v1/scoring/jobs/{id}",
  tags,
  summary: "A recompute job's progress",
  access: read,
  record: "scoring_job",
  request: { params: IdParams },
  responses: { 200: json(JobView, "The job") },
});

const scoreRoute = defineRoute({
  method: "get",
  path: "/api/v1/scoring/contacts/{id}",
  tags,
  summary: "A contact's scores and grade, with the rules that made them",
  access: { scope: "contacts:read" },
  record: "contact",
  request: { params: IdParams },
  responses: { 200: json(ScoreView, "The score (null fields: never scored)") },
});

const dryRunRoute = defineRoute({
  method: "post",
  path: "/api/v1/scoring/contacts/{id}/dry-run",
  tags,
  summary: "What the current rules, or a draft, would give a contact, and why; nothing is written",
  access: read,
  record: "contact",
  request: { params: IdParams, ...body(DryRunInput) },
  responses: { 200: json(DryRunView, "The scores the rules would give") },
});

function rulesView(row: RuleSetRow | undefined): z.infer<typeof RulesView> {
  const { version, rules } = currentRules(row);
  return { version, rules, createdAt: row?.createdAt ?? null, createdBy: row?.createdBy ?? null };
}

export const scoringRoutes = createRouter()
  .openapi(getRulesRoute, async (c) => {
    const {
      results: [rows],
    } = await authorizedRead(c, () => [currentRulesQuery(c.get("db"))] as const);
    const view = rulesView(rows[0]);
    return c.json(view, 200, { ETag: etag(view.version) });
  })
  .openapi(putRulesRoute, async (c) => {
    const rules = c.req.valid("json");
    const ifMatch = ifMatchVersion(c);
    const db = c.get("db");
    const jobId = newId();
    const now = Date.now();
    const {
      results: [saved, jobs, , current],
    } = await authorizedWrite(c, (me) =>
      saveRulesStatements(db, me, JSON.stringify(rules), ifMatch, jobId, { origin: requestOrigin(c), now }),
    );
    if (saved.length === 0 || jobs.length === 0) throw preconditionFailed();
    try {
      await c.env.EVENTS_QUEUE.send(planMessage(jobId, now));
    } catch (error) {
      // The rules are saved: the scoring-stalled cron sends the job again within a minute or two.
      console.error(
        JSON.stringify({ level: "error", message: "scoring plan not queued", jobId, error: String(error) }),
      );
    }
    const view = rulesView(current[0]);
    const job = toJobView({
      id: jobId,
      kind: "rules",
      status: "planning",
      rulesVersion: view.version,
      asOf: now,
      total: 0,
      done: 0,
      chunks: 0,
      chunksDone: 0,
      changed: 0,
      boundaries: null,
      createdBy: null,
      createdAt: now,
      finishedAt: null,
    });
    return c.json({ ...view, job }, 200, {
      ETag: etag(view.version),
      Location: `/api/v1/scoring/jobs/${jobId}`,
    });
  })
  .openapi(jobRoute, async (c) => {
    const { id } = c.req.valid("param");
    const {
      results: [rows],
    } = await authorizedRead(c, () => [scoringJobQuery(c.get("db"), id)] as const);
    const row = rows[0];
    if (!row) throw new ApiError("not_found", "Not found");
    return c.json(toJobView(row), 200);
  })
  .openapi(scoreRoute, async (c) => {
    const { id } = c.req.valid("param");
    const db = c.get("db");
    const {
      results: [rows],
    } = await authorizedRead(
      c,
      (me) => [contactScoreQuery(db, id, canSeeRecord(me, contacts.ownerId, contacts.teamId))] as const,
    );
    const row = rows[0];
    if (!row) throw new ApiError("not_found", "Not found");
    const explanation = row.explanation
      ? (JSON.parse(row.explanation) as z.infer<typeof ExplanationSchema>)
      : null;
    return c.json({ ...row, explanation }, 200);
  })
  .openapi(dryRunRoute, async (c) => {
    const { id } = c.req.valid("param");
    const input = c.req.valid("json");
    const db = c.get("db");
    const {
      results: [rows, events, ruleRows],
    } = await authorizedRead(
      c,
      (me) =>
        [
          scoringContactQuery(db, id, sql`${canSeeRecord(me, contacts.ownerId, contacts.teamId)}`),
          contactEventsQuery(db, id),
          currentRulesQuery(db),
        ] as const,
    );
    const row = rows[0];
    if (!row) throw new ApiError("not_found", "Not found");
    const current = currentRules(ruleRows[0]);
    const rules = input.rules ?? current.rules;
    const scores = computeScores(rules, toScoringContact(row), events, input.at ?? Date.now());
    return c.json(
      {
        contactId: id,
        rulesVersion: input.rules ? null : current.version,
        current: { fit: row.fit, engagement: row.engagement, grade: row.grade },
        result: {
          fit: scores.fit,
          engagement: scores.engagement,
          grade: scores.grade,
          explanation: scores.explanation,
        },
        top: topRules(scores.explanation),
      },
      200,
    );
  });
