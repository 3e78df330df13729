// The zod schemas of the workflows API: a workflow (its name and its current version's definition), writes
// (checked whole: each problem with its path), the dry run, and runs with their step log.
import { z } from "@hono/zod-openapi";
import { WORKFLOW_RUN_STATUSES, WORKFLOW_STEP_STATUSES } from "../../../db/schema/index.ts";
import {
  ActionSchema,
  ConditionGroupSchema,
  definitionShape,
  TriggerSchema,
} from "../../../queues/workflows/definition.ts";
import { withDefinitionChecks } from "../../../queues/workflows/validation.ts";
import { pageQuery } from "../../openapi.ts";
import { Id } from "../contacts/schemas.ts";

const about = {
  name: z.string().trim().min(1).max(200),
  description: z.string().trim().max(2000).nullable().optional(),
};

export const WorkflowCreate = withDefinitionChecks(
  z.strictObject({
    ...about,
    enabled: z
      .boolean()
      .default(false)
      .openapi({ description: "Whether it starts runs; off until enabled." }),
    ...definitionShape,
  }),
).openapi("WorkflowCreate");

export const WorkflowUpdate = withDefinitionChecks(z.strictObject({ ...about, ...definitionShape })).openapi(
  "WorkflowUpdate",
  { description: "The whole definition: it becomes a new version; runs already started keep theirs." },
);

export const WorkflowValidate = withDefinitionChecks(
  z.strictObject({
    ...about,
    name: about.name.optional(),
    enabled: z.boolean().optional(),
    ...definitionShape,
  }),
).openapi("WorkflowValidateRequest");

export const Validated = z
  .object({
    valid: z.literal(true),
    triggerEventType: z
      .string()
      .openapi({ description: "The event type that starts it (date: the minute job)." }),
    recordType: z.string().nullable(),
  })
  .openapi("WorkflowValidation");

export const WorkflowSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    enabled: z.boolean(),
    version: z.number().int().openapi({ description: "The current version; also the ETag." }),
    trigger: TriggerSchema,
    conditions: ConditionGroupSchema.optional(),
    actions: z.array(ActionSchema),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
  })
  .openapi("Workflow");

export const WorkflowCreated = WorkflowSchema.extend({
  signingSecret: z.string().openapi({
    description:
      "The Standard Webhooks secret (whsec_…) that signs this workflow's webhook calls. Shown only here and " +
      "when replaced (POST /api/v1/workflows/{id}/signing-secret).",
  }),
}).openapi("WorkflowCreated");

export const WorkflowPage = z
  .object({ items: z.array(WorkflowSchema), nextCursor: z.string().nullable() })
  .openapi("WorkflowPage");

export const WorkflowListQuery = z.object({
  ...pageQuery(),
  enabled: z.enum(["true", "false"]).optional(),
});

export const SigningSecret = z.object({ signingSecret: z.string() }).openapi("WorkflowSigningSecret");

export const DryRunRequest = z
  .strictObject({
    recordId: Id.openapi({ description: "A contact, company, deal or task, as the trigger acts on." }),
    before: z
      .record(z.string().max(100), z.unknown())
      .optional()
      .openapi({
        description: "Fields as they were before the change to try (for changed, changed_from, changed_to).",
        example: { stageId: "…" },
      }),
    event: z.record(z.string().max(100), z.unknown()).optional().openapi({
      description: "The trigger event's own data, e.g. { formId } or { eventType, payload }.",
    }),
  })
  .openapi("WorkflowDryRunRequest");

const ConditionVerdict = z.object({
  field: z.string(),
  op: z.string(),
  value: z.unknown().optional(),
  actual: z.unknown(),
  before: z.unknown().optional(),
  matched: z.boolean(),
});
type Verdicts = {
  mode: "all" | "any";
  matched: boolean;
  members: (z.infer<typeof ConditionVerdict> | Verdicts)[];
};
const GroupVerdict: z.ZodType<Verdicts> = z
  .object({
    mode: z.enum(["all", "any"]),
    matched: z.boolean(),
    get members() {
      return z.array(z.union([ConditionVerdict, GroupVerdict]));
    },
  })
  .openapi("WorkflowConditionVerdict");

export const DryRunResult = z
  .object({
    workflowId: z.string(),
    version: z.number().int(),
    record: z.object({ type: z.string(), id: z.string(), label: z.string() }),
    trigger: z.object({
      type: z.string(),
      eventType: z.string(),
      matched: z.boolean(),
      detail: z.string().nullable(),
    }),
    conditions: GroupVerdict,
    wouldStart: z.boolean(),
    actions: z.array(
      z.object({
        step: z.number().int(),
        type: z.string(),
        wouldDo: z.string(),
        skip: z
          .string()
          .nullable()
          .openapi({ description: "Why the step would be skipped; the run goes on." }),
        fail: z.string().nullable().openapi({ description: "Why the step would fail the run." }),
      }),
    ),
  })
  .openapi("WorkflowDryRun");

export const RunSchema = z
  .object({
    id: z.string(),
    workflowId: z.string(),
    version: z.number().int().openapi({ description: "The workflow version the run is pinned to." }),
    status: z.enum(WORKFLOW_RUN_STATUSES),
    reason: z
      .string()
      .nullable()
      .openapi({ description: "Why it was skipped or cancelled (loop guard, …)." }),
    eventType: z.string(),
    recordType: z.string().nullable(),
    recordId: z.string().nullable(),
    depth: z.number().int(),
    nextStep: z.number().int(),
    failedStep: z.number().int().nullable(),
    error: z.string().nullable(),
    resumeAt: z.number().int().nullable(),
    startedAt: z.number().int(),
    updatedAt: z.number().int(),
    finishedAt: z.number().int().nullable(),
  })
  .openapi("WorkflowRun");

export const RunPage = z
  .object({ items: z.array(RunSchema), nextCursor: z.string().nullable() })
  .openapi("WorkflowRunPage");

export const StepSchema = z
  .object({
    step: z.number().int(),
    action: z.string(),
    status: z.enum(WORKFLOW_STEP_STATUSES),
    input: z.unknown(),
    result: z.unknown(),
    error: z.string().nullable(),
    attempts: z.number().int(),
    startedAt: z.number().int(),
    finishedAt: z.number().int(),
  })
  .openapi("WorkflowRunStep");

export const RunDetail = RunSchema.extend({ context: z.unknown(), steps: z.array(StepSchema) }).openapi(
  "WorkflowRunDetail",
);

export const RunListQuery = z.object({
  ...pageQuery(),
  workflowId: Id.optional(),
  recordId: Id.optional().openapi({
    description: "The runs of one record (contact, company, deal or task).",
  }),
  status: z.enum(WORKFLOW_RUN_STATUSES).optional(),
});

export const WorkflowRunsQuery = z.object({
  ...pageQuery(),
  status: z.enum(WORKFLOW_RUN_STATUSES).optional(),
});
