// The timeline API: log notes, calls, emails and meetings on contacts, companies and deals; read a record's
// timeline newest first; edit or remove what people logged (system entries are history and stay).
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { ACTIVITY_TYPES } from "../../../db/schema/index.ts";
import {
  ACTIVITY_CONFLICT,
  ActivityFieldsError,
  activityPage,
  CALL_OUTCOMES,
  decodeTimeCursor,
  editActivity,
  type LogActivityInput,
  listActivitiesQuery,
  logActivity,
  readActivityQuery,
  removeActivity,
  TIME_CURSOR_PATTERN,
  toActivityView,
} from "../../../db/timeline.ts";
import { authorizedRead, authorizedWrite, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import type { AppEnv } from "../../env.ts";
import { ApiError, problemContent } from "../../errors.ts";
import { body, json, pageQuery } from "../../openapi.ts";
import { requestOrigin } from "../../request-origin.ts";

const Id = z.string().min(1).max(64);
const Time = z.number().int().min(0).max(8_640_000_000_000).openapi({ description: "Epoch milliseconds." });
const Subject = z.string().trim().max(500);
const Text = z.string().max(100_000);

const Attendee = z.strictObject({
  name: z.string().trim().max(200).optional(),
  email: z.email().max(254).optional(),
  contactId: Id.optional(),
});

const CallDetails = {
  outcome: z.enum(CALL_OUTCOMES),
  durationSeconds: z.number().int().min(0).max(86_400),
};
const EmailDetails = {
  direction: z.enum(["inbound", "outbound"]),
  from: z.string().max(254),
  to: z.array(z.string().max(254)).max(100),
};
const MeetingDetails = {
  startsAt: Time,
  endsAt: Time,
  attendees: z.array(Attendee).max(200),
  location: z.string().max(500),
};

const common = {
  contactId: Id.optional(),
  companyId: Id.optional(),
  dealId: Id.optional(),
  occurredAt: Time.optional().openapi({ description: "When it happened; now when absent." }),
  subject: Subject.optional(),
  body: Text.optional(),
};

const ActivityCreate = z
  .discriminatedUnion("type", [
    z.strictObject({ type: z.literal("note"), ...common }),
    z.strictObject({
      type: z.literal("call"),
      ...common,
      outcome: CallDetails.outcome,
      durationSeconds: CallDetails.durationSeconds.optional(),
    }),
    z.strictObject({
      type: z.literal("email"),
      ...common,
      direction: EmailDetails.direction.default("outbound"),
      from: EmailDetails.from.optional(),
      to: EmailDetails.to.optional(),
    }),
    z
      .strictObject({
        type: z.literal("meeting"),
        ...common,
        startsAt: MeetingDetails.startsAt,
        endsAt: MeetingDetails.endsAt,
        attendees: MeetingDetails.attendees.default([]),
        location: MeetingDetails.location.optional(),
      })
      .refine((m) => m.endsAt >= m.startsAt, {
        message: "A meeting cannot end before it starts.",
        path: ["endsAt"],
      }),
  ])
  .refine((a) => a.contactId ?? a.companyId ?? a.dealId, {
    message: "Attach the entry to a contact, a company or a deal (contactId, companyId or dealId).",
  })
  .openapi("ActivityCreate");

const ActivityPatch = z
  .strictObject({
    occurredAt: Time.optional(),
    subject: Subject.nullable().optional(),
    body: Text.nullable().optional(),
    outcome: CallDetails.outcome.optional(),
    durationSeconds: CallDetails.durationSeconds.nullable().optional(),
    direction: EmailDetails.direction.optional(),
    from: EmailDetails.from.nullable().optional(),
    to: EmailDetails.to.optional(),
    startsAt: MeetingDetails.startsAt.optional(),
    endsAt: MeetingDetails.endsAt.optional(),
    attendees: MeetingDetails.attendees.optional(),
    location: MeetingDetails.location.nullable().optional(),
  })
  .openapi("ActivityPatch", {
    description: "Call details fit calls only, email details emails, meeting details meetings.",
  });

const ActivitySchema = z
  .object({
    id: Id,
    type: z.enum(ACTIVITY_TYPES),
    occurredAt: Time,
    actorUserId: Id.nullable().openapi({ description: "Who logged it; null for system entries." }),
    contactId: Id.nullable(),
    companyId: Id.nullable(),
    dealId: Id.nullable(),
    subject: z.string().nullable(),
    body: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()).openapi({
      description:
        "Type-specific details: a call's outcome and durationSeconds, a meeting's times and attendees.",
    }),
    createdAt: Time,
    editable: z.boolean().openapi({ description: "People may edit or remove it." }),
  })
  .openapi("Activity");

export const TimelineCursor = z
  .string()
  .max(64)
  .regex(TIME_CURSOR_PATTERN, "Not a cursor of this list.")
  .openapi({ description: "nextCursor of the previous page" });

export const ActivityPageSchema = z
  .object({
    items: z.array(ActivitySchema),
    nextCursor: z
      .string()
      .nullable()
      .openapi({ description: "Pass as `cursor` for the next page; null at the end." }),
  })
  .openapi("ActivityPage");

const ListQuery = z.object({
  contactId: Id.optional(),
  companyId: Id.optional(),
  dealId: Id.optional(),
  type: z.enum(ACTIVITY_TYPES).optional(),
  ...pageQuery({ cursor: TimelineCursor }),
});

const IdParams = z.object({ id: Id.openapi({ param: { name: "id", in: "path" } }) });

const tags = ["Timeline"];
const read = { scope: "contacts:read" } as const;
const write = { scope: "contacts:write", write: true } as const;

const listRoute = defineRoute({
  method: "get",
  path: "/api/v1/activities",
  tags,
  summary: "A timeline, newest first",
  description: "Filter by contactId, companyId or dealId (each walks that record's index) and by type.",
  access: read,
  record: "activity",
  request: { query: ListQuery },
  responses: { 200: json(ActivityPageSchema, "One page of entries, newest first") },
});

const createRoute = defineRoute({
  method: "post",
  path: "/api/v1/activities",
  tags,
  summary: "Log a note, call, email or meeting",
  access: write,
  request: body(ActivityCreate),
  responses: { 201: json(ActivitySchema, "Logged") },
});

const getRoute = defineRoute({
  method: "get",
  path: "/api/v1/activities/{id}",
  tags,
  summary: "One timeline entry",
  access: read,
  record: "activity",
  request: { params: IdParams },
  responses: { 200: json(ActivitySchema, "The entry") },
});

const patchRoute = defineRoute({
  method: "patch",
  path: "/api/v1/activities/{id}",
  tags,
  summary: "Edit a logged note, call, email or meeting",
  access: write,
  record: "activity",
  request: { params: IdParams, ...body(ActivityPatch) },
  responses: {
    200: json(ActivitySchema, "Edited"),
    409: problemContent("A system entry (stage change, form submission, …): not editable"),
  },
});

const deleteRoute = defineRoute({
  method: "delete",
  path: "/api/v1/activities/{id}",
  tags,
  summary: "Remove a logged note, call, email or meeting",
  access: write,
  record: "activity",
  request: { params: IdParams },
  responses: {
    204: { description: "Removed" },
    409: problemContent("A system entry: not removable"),
  },
});

function writeContext(c: Context<AppEnv>) {
  return { origin: requestOrigin(c), now: Date.now() };
}

type Created = z.infer<typeof ActivityCreate>;

/** The request body as the data function takes it: attachments and text apart, the rest as details. */
function toInput(created: Created): LogActivityInput {
  const { type, contactId, companyId, dealId, occurredAt, subject, body: text, ...metadata } = created;
  return { type, contactId, companyId, dealId, occurredAt, subject, body: text, metadata };
}

const DETAIL_TYPES = {
  outcome: "call",
  durationSeconds: "call",
  direction: "email",
  from: "email",
  to: "email",
  startsAt: "meeting",
  endsAt: "meeting",
  attendees: "meeting",
  location: "meeting",
} as const;

function toPatch(patch: z.infer<typeof ActivityPatch>) {
  const { occurredAt, subject, body: text, ...details } = patch;
  const keys = Object.keys(details) as (keyof typeof DETAIL_TYPES)[];
  const types = new Set(keys.map((key) => DETAIL_TYPES[key]));
  if (types.size > 1) {
    throw new ApiError("validation_failed", "Details of one type only: a call's, an email's or a meeting's.");
  }
  const [metadataType] = types;
  return {
    occurredAt,
    subject,
    body: text,
    ...(keys.length > 0 ? { metadata: details as Record<string, unknown>, metadataType } : {}),
  };
}

export const activityRoutes = createRouter()
  .openapi(listRoute, async (c) => {
    const query = c.req.valid("query");
    const {
      results: [rows],
    } = await authorizedRead(
      c,
      (me) =>
        [listActivitiesQuery(c.get("db"), me, { ...query, cursor: decodeTimeCursor(query.cursor) })] as const,
    );
    return c.json(activityPage(rows, query.limit), 200);
  })
  .openapi(createRoute, async (c) => {
    const op = logActivity(c.get("db"), toInput(c.req.valid("json")), writeContext(c));
    const { results } = await authorizedWrite(c, op.statements);
    const activity = op.result(results);
    c.header("Location", `/api/v1/activities/${activity.id}`);
    return c.json(activity, 201);
  })
  .openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const {
      results: [rows],
    } = await authorizedRead(c, (me) => [readActivityQuery(c.get("db"), me, id)] as const);
    const row = rows[0];
    if (!row) throw new ApiError("not_found", "Not found");
    return c.json(toActivityView(row), 200);
  })
  .openapi(patchRoute, async (c) => {
    const op = editActivity(c.get("db"), c.req.valid("param").id, toPatch(c.req.valid("json")));
    const { results } = await authorizedWrite(c, op.statements, { conflict: ACTIVITY_CONFLICT });
    try {
      return c.json(op.result(results), 200);
    } catch (error) {
      if (error instanceof ActivityFieldsError) throw new ApiError("validation_failed", error.message);
      throw error;
    }
  })
  .openapi(deleteRoute, async (c) => {
    const statements = removeActivity(c.get("db"), c.req.valid("param").id, writeContext(c));
    await authorizedWrite(c, statements, { conflict: ACTIVITY_CONFLICT });
    return c.body(null, 204);
  });
