// Workflow runs: the run log per workflow and per record (only runs on records the caller may see), a run's
// detail with each step's input, result, error and time, and the retry of a failed run from its failed step.
import { keysetPage } from "../../../db/paging.ts";
import {
  listRunsQuery,
  type RunRow,
  retryRunStatements,
  runStepsQuery,
  type StepRow,
  visibleRunQuery,
} from "../../../db/workflows/runs.ts";
import { readWorkflowQuery } from "../../../db/workflows/workflows.ts";
import { type StepMessage, sendSteps } from "../../../queues/workflows/messages.ts";
import { authorizedRead, authorizedWrite, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import { ApiError, problemContent } from "../../errors.ts";
import { json } from "../../openapi.ts";
import { IdParams } from "../contacts/schemas.ts";
import { READ, WRITE, writeContext } from "./routes.ts";
import { RunDetail, RunListQuery, RunPage, RunSchema, WorkflowRunsQuery } from "./schemas.ts";

const tags = ["Workflows"];

const listRoute = defineRoute({
  method: "get",
  path: "/api/v1/workflow-runs",
  tags,
  summary: "List workflow runs, newest first: all, one workflow's, or one record's (`recordId`)",
  access: READ,
  record: "workflow_run",
  request: { query: RunListQuery },
  responses: { 200: json(RunPage, "One page of runs") },
});

const workflowRunsRoute = defineRoute({
  method: "get",
  path: "/api/v1/workflows/{id}/runs",
  tags,
  summary: "A workflow's runs, newest first",
  access: READ,
  record: "workflow",
  request: { params: IdParams, query: WorkflowRunsQuery },
  responses: { 200: json(RunPage, "One page of runs") },
});

const getRoute = defineRoute({
  method: "get",
  path: "/api/v1/workflow-runs/{id}",
  tags,
  summary: "A run with its steps: each step's input, result, error, attempts and time",
  access: READ,
  record: "workflow_run",
  request: { params: IdParams },
  responses: { 200: json(RunDetail, "The run") },
});

const retryRoute = defineRoute({
  method: "post",
  path: "/api/v1/workflow-runs/{id}/retry",
  tags,
  summary: "Retry a failed run from its failed step (the steps before it are not run again)",
  access: WRITE,
  record: "failed_workflow_run",
  request: { params: IdParams },
  responses: {
    202: json(RunSchema, "Running again from the failed step"),
    409: problemContent("The run has not failed (it is running, waiting, completed, skipped or cancelled)"),
  },
});

function toRun(row: RunRow) {
  const { triggerKey: _key, wakeAt: _wake, context: _context, ...rest } = row;
  return rest;
}

function parsed(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function toStep(row: StepRow) {
  const { runId: _run, claim: _claim, ...rest } = row;
  return { ...rest, input: parsed(rest.input), result: parsed(rest.result) };
}

function notFound(): never {
  throw new ApiError("not_found", "Not found");
}

export const workflowRunRoutes = createRouter()
  .openapi(listRoute, async (c) => {
    const { cursor, limit, workflowId, recordId, status } = c.req.valid("query");
    const filter = { before: cursor, limit, workflowId, recordId, status };
    const {
      results: [rows],
    } = await authorizedRead(c, (me) => [listRunsQuery(c.get("db"), me, filter)] as const);
    return c.json(keysetPage(rows, limit, toRun), 200);
  })
  .openapi(workflowRunsRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { cursor, limit, status } = c.req.valid("query");
    const db = c.get("db");
    const filter = { before: cursor, limit, workflowId: id, status };
    const {
      results: [workflows, rows],
    } = await authorizedRead(c, (me) => [readWorkflowQuery(db, id), listRunsQuery(db, me, filter)] as const);
    if (!workflows[0]) notFound();
    return c.json(keysetPage(rows, limit, toRun), 200);
  })
  .openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const db = c.get("db");
    const {
      results: [runs, steps],
    } = await authorizedRead(c, (me) => [visibleRunQuery(db, me, id), runStepsQuery(db, me, id)] as const);
    const run = runs[0] ?? notFound();
    return c.json({ ...toRun(run), context: parsed(run.context), steps: steps.map(toStep) }, 200);
  })
  .openapi(retryRoute, async (c) => {
    const { id } = c.req.valid("param");
    const ctx = writeContext(c);
    const now = ctx.now;
    // Should the step message below be lost, the minute job sends it within a minute or two.
    const {
      results: [restarted, , , current],
    } = await authorizedWrite(c, (me) => retryRunStatements(c.get("db"), me, id, ctx, now + 60_000));
    const run = current[0] ?? notFound();
    const started = restarted[0];
    if (!started) throw new ApiError("conflict", `The run has not failed: it is ${run.status}.`);
    const data: StepMessage = {
      runId: started.id,
      step: started.nextStep,
      recordType: started.recordType as StepMessage["recordType"],
      recordId: started.recordId,
    };
    try {
      await sendSteps(c.env.EVENTS_QUEUE, [{ data }], now);
    } catch (error) {
      console.error(
        JSON.stringify({
          level: "warn",
          message: "workflow retry not queued; the minute job will",
          runId: id,
          error: String(error),
        }),
      );
    }
    return c.json(toRun(started), 202);
  });
