// The submission log of a form, for admins and managers: filtered by status, searched, paged newest first; one
// submission; and the replay of one marked spam or failed (back on the capture queue with its spam checks
// skipped, or processed on the spot when the queue is down).
import { sql } from "drizzle-orm";
import { callerAuditStatement } from "../../../db/audit-queries.ts";
import { formQuery } from "../../../db/forms/definitions.ts";
import {
  listSubmissionsQuery,
  replaySubmissionStatement,
  submissionQuery,
} from "../../../db/forms/submissions.ts";
import { decodeTimeCursor, encodeTimeCursor } from "../../../db/timeline.ts";
import { CaptureDataSchema, FORM_SUBMISSION_TYPE } from "../../../queues/capture/message.ts";
import { AnnounceError, processCapture } from "../../../queues/capture/process.ts";
import { authorizedRead, authorizedWrite, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import { ApiError, problemContent } from "../../errors.ts";
import { json } from "../../openapi.ts";
import { requestOrigin } from "../../request-origin.ts";
import {
  IdParams,
  ReplaySchema,
  SubmissionListQuery,
  SubmissionPage,
  SubmissionSchema,
  toSubmissionView,
} from "./schemas.ts";

const tags = ["Forms"];
const access = { scope: "forms:read", roles: ["admin", "manager"] } as const;
const replayAccess = { scope: "forms:write", roles: ["admin", "manager"], write: true } as const;

const listRoute = defineRoute({
  method: "get",
  path: "/api/v1/forms/{id}/submissions",
  tags,
  summary: "A form's submissions, newest first: filter by status and time, search by email or name",
  access,
  record: "form",
  request: { params: IdParams, query: SubmissionListQuery },
  responses: { 200: json(SubmissionPage, "One page of submissions") },
});

const getRoute = defineRoute({
  method: "get",
  path: "/api/v1/form-submissions/{id}",
  tags,
  summary: "One submission, with what was posted and what became of it",
  access,
  record: "form_submission",
  request: { params: IdParams },
  responses: { 200: json(SubmissionSchema, "The submission") },
});

const replayRoute = defineRoute({
  method: "post",
  path: "/api/v1/form-submissions/{id}/replay",
  tags,
  summary: "Process a spam or failed submission again, its spam checks skipped",
  access: replayAccess,
  record: "form_submission",
  request: { params: IdParams },
  responses: {
    202: json(ReplaySchema, "Queued, or processed at once"),
    409: problemContent("The submission is neither spam nor failed"),
  },
});

export const formSubmissionRoutes = createRouter()
  .openapi(listRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { limit, cursor, status, q, from, to } = c.req.valid("query");
    const db = c.get("db");
    const {
      results: [forms, rows],
    } = await authorizedRead(
      c,
      () =>
        [
          formQuery(db, id),
          listSubmissionsQuery(db, {
            formId: id,
            status,
            q,
            from,
            to,
            cursor: decodeTimeCursor(cursor),
            limit,
          }),
        ] as const,
    );
    if (forms.length === 0) throw new ApiError("not_found", "Not found");
    const kept = rows.slice(0, limit);
    const last = kept.at(-1);
    return c.json(
      {
        items: kept.map(toSubmissionView),
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
    } = await authorizedRead(c, () => [submissionQuery(c.get("db"), id)] as const);
    const row = rows[0];
    if (!row) throw new ApiError("not_found", "Not found");
    return c.json(toSubmissionView(row), 200);
  })
  .openapi(replayRoute, async (c) => {
    const { id } = c.req.valid("param");
    const db = c.get("db");
    const now = Date.now();
    const {
      results: [replayed, , rows],
    } = await authorizedWrite(
      c,
      (me) =>
        [
          replaySubmissionStatement(db, id, now),
          callerAuditStatement(
            db,
            me,
            { action: "form_submission.replayed", targetType: "form_submission", targetId: id },
            requestOrigin(c),
            now,
            {
              when: sql`exists (select 1 from form_submissions where id = ${id} and status = 'received' and updated_at = ${now})`,
            },
          ),
          submissionQuery(db, id),
        ] as const,
    );
    const row = replayed[0];
    if (!row) {
      if (rows.length === 0) throw new ApiError("not_found", "Not found");
      throw new ApiError(
        "conflict",
        `Only spam or failed submissions can be replayed; this one is ${rows[0]?.status}.`,
      );
    }
    const data = { ...CaptureDataSchema.parse(JSON.parse(row.payload)), replay: true };
    try {
      await c.env.CAPTURE_QUEUE.send({
        id: data.submissionId,
        type: FORM_SUBMISSION_TYPE,
        createdAt: now,
        data,
      });
      return c.json({ submissionId: id, status: "queued" as const }, 202);
    } catch (error) {
      console.warn(
        JSON.stringify({
          level: "warn",
          requestId: c.get("requestId"),
          message: "replay processed directly",
          error: String(error),
        }),
      );
    }
    const services = {
      db,
      config: c.get("config"),
      queues: { capture: c.env.CAPTURE_QUEUE, events: c.env.EVENTS_QUEUE, outbound: c.env.OUTBOUND_QUEUE },
    };
    try {
      const outcome = await processCapture(data, services);
      const status = outcome.status === "already" || outcome.status === "dropped" ? "failed" : outcome.status;
      return c.json({ submissionId: id, status }, 202);
    } catch (error) {
      // The lead is in; only its announcement to scoring and workflows did not go out (the queues are down).
      if (!(error instanceof AnnounceError)) throw error;
      console.error(
        JSON.stringify({ level: "error", requestId: c.get("requestId"), message: error.message }),
      );
      return c.json({ submissionId: id, status: "processed" as const }, 202);
    }
  });
