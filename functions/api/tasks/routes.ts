// Tasks: create, read (with an ETag), change (If-Match; complete, reopen, snooze), delete and restore, and the
// lists a rep works from: today, overdue and upcoming in their own time zone.
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { ForbiddenError } from "../../../db/errors.ts";
import {
  createTask,
  deleteTask,
  isTaskCursor,
  listTasksQuery,
  readTaskQuery,
  restoreTask,
  StaleVersionError,
  TASK_PRIORITIES,
  TASK_STATUSES,
  TASK_VIEWS,
  TaskInputError,
  type TaskRecord,
  taskPage,
  updateTask,
} from "../../../db/tasks.ts";
import { authorizedRead, authorizedWrite, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import type { AppEnv } from "../../env.ts";
import { ApiError, problemContent } from "../../errors.ts";
import { etag, ifMatchVersion, preconditionFailed } from "../../etag.ts";
import { body, json, pageQuery } from "../../openapi.ts";
import { requestOrigin } from "../../request-origin.ts";

const Id = z.string().min(1).max(64);
const Time = z.number().int().min(0).max(8_640_000_000_000).openapi({ description: "Epoch milliseconds." });
const Title = z.string().trim().min(1).max(500).openapi({ example: "Call back about the quote" });
const Notes = z.string().max(20_000);

export const TaskSchema = z
  .object({
    id: Id,
    title: z.string(),
    notes: z.string().nullable(),
    dueAt: Time.nullable(),
    remindAt: Time.nullable(),
    reminderSentAt: Time.nullable().openapi({ description: "Set once the reminder went out." }),
    overdueAt: Time.nullable().openapi({
      description:
        "Set by the minute sweep once an open task's due time passed (the task.due event); cleared when the due time moves later.",
    }),
    status: z.enum(TASK_STATUSES),
    priority: z.enum(TASK_PRIORITIES),
    completedAt: Time.nullable(),
    contactId: Id.nullable(),
    companyId: Id.nullable(),
    dealId: Id.nullable(),
    assigneeId: Id.nullable(),
    teamId: Id.nullable(),
    version: z.number().int().openapi({ description: "Also sent as the ETag." }),
    createdAt: Time,
    updatedAt: Time,
  })
  .openapi("Task");

const TaskCreate = z
  .strictObject({
    title: Title,
    notes: Notes.optional(),
    dueAt: Time.optional(),
    remindAt: Time.optional(),
    priority: z.enum(TASK_PRIORITIES).optional(),
    contactId: Id.optional(),
    companyId: Id.optional(),
    dealId: Id.optional(),
    assigneeId: Id.optional().openapi({ description: "The caller when absent." }),
    teamId: Id.optional().openapi({ description: "The assignee's first team when absent." }),
  })
  .openapi("TaskCreate");

const TaskPatch = z
  .strictObject({
    title: Title.optional(),
    notes: Notes.nullable().optional(),
    dueAt: Time.nullable()
      .optional()
      .openapi({ description: "A new due or reminder time snoozes the task." }),
    remindAt: Time.nullable().optional(),
    priority: z.enum(TASK_PRIORITIES).optional(),
    status: z
      .enum(TASK_STATUSES)
      .optional()
      .openapi({ description: "`done` completes the task; `open` reopens it." }),
  })
  .openapi("TaskPatch");

const TaskPageSchema = z
  .object({
    items: z.array(TaskSchema),
    nextCursor: z.string().nullable().openapi({
      description:
        "Pass as `cursor` for the next page; null at the end. A page may be short while more follow.",
    }),
  })
  .openapi("TaskPage");

const ListQuery = z
  .object({
    view: z
      .enum(TASK_VIEWS)
      .default("all")
      .openapi({
        description:
          "today: open, due during the caller's current day in their time zone; overdue: open, due before now; " +
          "upcoming: open, due after today; all: every task, newest first.",
      }),
    assigneeId: Id.optional().openapi({
      description: "`me` for the caller; every task the caller sees when absent.",
    }),
    status: z.enum(TASK_STATUSES).optional().openapi({ description: "For view=all." }),
    ...pageQuery(),
  })
  .refine((q) => q.cursor === undefined || isTaskCursor(q.view, q.cursor), {
    message: "Not a cursor of this view.",
    path: ["cursor"],
  });

const IdParams = z.object({ id: Id.openapi({ param: { name: "id", in: "path" } }) });
const IfMatch = z.object({
  "if-match": z
    .string()
    .optional()
    .openapi({ param: { name: "if-match", in: "header" }, example: 'W/"3"' }),
});

const tags = ["Tasks"];
const read = { scope: "contacts:read" } as const;
const write = { scope: "contacts:write", write: true } as const;
const stale = { 412: problemContent("If-Match names a version that is no longer the task's") };

const listRoute = defineRoute({
  method: "get",
  path: "/api/v1/tasks",
  tags,
  summary: "List tasks: today, overdue, upcoming or all",
  access: read,
  record: "task",
  request: { query: ListQuery },
  responses: { 200: json(TaskPageSchema, "One page of tasks") },
});

const createRoute = defineRoute({
  method: "post",
  path: "/api/v1/tasks",
  tags,
  summary: "Create a task",
  access: write,
  request: body(TaskCreate),
  responses: { 201: json(TaskSchema, "Created") },
});

const getRoute = defineRoute({
  method: "get",
  path: "/api/v1/tasks/{id}",
  tags,
  summary: "One task, with its ETag",
  access: read,
  record: "task",
  request: { params: IdParams },
  responses: { 200: json(TaskSchema, "The task") },
});

const patchRoute = defineRoute({
  method: "patch",
  path: "/api/v1/tasks/{id}",
  tags,
  summary: "Change, complete, reopen or snooze a task",
  access: write,
  record: "task",
  request: { params: IdParams, headers: IfMatch, ...body(TaskPatch) },
  responses: { 200: json(TaskSchema, "Changed"), ...stale },
});

const deleteRoute = defineRoute({
  method: "delete",
  path: "/api/v1/tasks/{id}",
  tags,
  summary: "Delete a task (it can be restored)",
  access: write,
  record: "task",
  request: { params: IdParams, headers: IfMatch },
  responses: { 204: { description: "Deleted" }, ...stale },
});

const restoreRoute = defineRoute({
  method: "post",
  path: "/api/v1/tasks/{id}/restore",
  tags,
  summary: "Restore a deleted task",
  access: write,
  record: "task",
  request: { params: IdParams },
  responses: { 200: json(TaskSchema, "Restored (or not deleted in the first place)") },
});

function writeContext(c: Context<AppEnv>) {
  return { origin: requestOrigin(c), now: Date.now() };
}

function withEtag(c: Context<AppEnv>, task: TaskRecord): TaskRecord {
  c.header("ETag", etag(task.version));
  return task;
}

/** Maps the data layer's task errors to the HTTP answers. */
function mapped<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof StaleVersionError) throw preconditionFailed();
    if (error instanceof TaskInputError) throw new ApiError("validation_failed", error.message);
    // Giving work to someone is refused openly: the assignee's existence is no secret (the user directory).
    if (error instanceof ForbiddenError) throw new ApiError("forbidden", error.message);
    throw error;
  }
}

export const taskRoutes = createRouter()
  .openapi(listRoute, async (c) => {
    const query = c.req.valid("query");
    const filter = { ...query, now: Date.now() };
    const { principal, results } = await authorizedRead(
      c,
      (me) => [listTasksQuery(c.get("db"), me, filter)] as const,
    );
    return c.json(taskPage(results[0], filter, principal.timeZone), 200);
  })
  .openapi(createRoute, async (c) => {
    const op = createTask(c.get("db"), c.req.valid("json"), writeContext(c));
    const { results } = await authorizedWrite(c, op.statements);
    const task = mapped(() => op.result(results));
    c.header("Location", `/api/v1/tasks/${task.id}`);
    return c.json(withEtag(c, task), 201);
  })
  .openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const {
      results: [rows],
    } = await authorizedRead(c, (me) => [readTaskQuery(c.get("db"), me, id)] as const);
    const task = rows[0];
    if (!task) throw new ApiError("not_found", "Not found");
    return c.json(withEtag(c, task), 200);
  })
  .openapi(patchRoute, async (c) => {
    const op = updateTask(
      c.get("db"),
      c.req.valid("param").id,
      c.req.valid("json"),
      ifMatchVersion(c),
      writeContext(c),
    );
    const { results } = await authorizedWrite(c, op.statements);
    return c.json(
      withEtag(
        c,
        mapped(() => op.result(results)),
      ),
      200,
    );
  })
  .openapi(deleteRoute, async (c) => {
    const op = deleteTask(c.get("db"), c.req.valid("param").id, ifMatchVersion(c), writeContext(c));
    const { results } = await authorizedWrite(c, op.statements);
    mapped(() => op.result(results));
    return c.body(null, 204);
  })
  .openapi(restoreRoute, async (c) => {
    const op = restoreTask(c.get("db"), c.req.valid("param").id, writeContext(c));
    const { results } = await authorizedWrite(c, op.statements);
    return c.json(withEtag(c, op.result(results)), 200);
  });
