// What a workflow is: a trigger, conditions and a list of actions, as zod schemas that the API validates (each
// problem with its path) and the engine parses stored versions with. Checks that span parts (an action that
// needs a contact on a trigger whose record is a company) are in validation.ts.
import { z } from "@hono/zod-openapi";
import { LIFECYCLE_STAGES } from "../../db/schema/index.ts";

export const WORKFLOW_RECORD_TYPES = ["contact", "company", "deal", "task"] as const;
export type WorkflowRecordType = (typeof WORKFLOW_RECORD_TYPES)[number];

const Id = z.string().min(1).max(64);
const RecordType = z.enum(WORKFLOW_RECORD_TYPES);
const Field = z
  .string()
  .max(200)
  .regex(
    /^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_-]+)*$/,
    "a field name, dotted for nested values (custom.budget)",
  )
  .openapi({
    description:
      "A field of the record as its events carry it (amount, lifecycleStage, custom.<key>), or of the trigger " +
      "event under `event.` (event.formId, event.payload.plan).",
    example: "amount",
  });

// ---- triggers ----

export const TriggerSchema = z
  .discriminatedUnion("type", [
    z.strictObject({ type: z.literal("record.created"), recordType: RecordType }),
    z.strictObject({
      type: z.literal("record.updated"),
      recordType: RecordType,
      fields: z
        .array(Field)
        .min(1)
        .max(50)
        .optional()
        .openapi({ description: "Only when one of these fields changed; any edit when absent." }),
    }),
    z.strictObject({
      type: z.literal("deal.stage_changed"),
      pipelineId: Id.optional(),
      fromStageIds: z.array(Id).min(1).max(50).optional(),
      toStageIds: z.array(Id).min(1).max(50).optional(),
    }),
    z.strictObject({
      type: z.literal("contact.lifecycle_changed"),
      from: z.array(z.enum(LIFECYCLE_STAGES)).min(1).optional(),
      to: z.array(z.enum(LIFECYCLE_STAGES)).min(1).optional(),
    }),
    z.strictObject({
      type: z.literal("contact.grade_changed"),
      to: z
        .array(z.string().trim().min(1).max(8))
        .min(1)
        .max(20)
        .optional()
        .openapi({ description: "The grades crossed into (A, B, …); any crossing when absent." }),
    }),
    z.strictObject({ type: z.literal("form.submitted"), formId: Id.optional() }),
    z.strictObject({ type: z.literal("task.overdue") }),
    z.strictObject({
      type: z.literal("webhook.event"),
      sourceId: Id.optional(),
      eventType: z.string().min(1).max(200).optional(),
    }),
    z.strictObject({
      type: z.literal("date"),
      recordType: RecordType,
      field: z
        .string()
        .max(70)
        .openapi({
          description:
            "expectedCloseDate (deals), dueAt (tasks), or custom.<key> holding a YYYY-MM-DD date (contacts, " +
            "companies, deals).",
          example: "expectedCloseDate",
        }),
      offsetDays: z
        .number()
        .int()
        .min(-365)
        .max(365)
        .default(0)
        .openapi({ description: "Negative: before the date; positive: after it." }),
      offsetHours: z.number().int().min(-23).max(23).default(0),
      hour: z.number().int().min(0).max(23).default(9).openapi({
        description:
          "For date-only fields: the hour of the day the run starts, in the organisation's time zone (setting timeZone).",
      }),
    }),
  ])
  .openapi("WorkflowTrigger");
export type Trigger = z.infer<typeof TriggerSchema>;

// ---- conditions ----

export const CONDITION_OPS = [
  "equals",
  "not_equals",
  "in",
  "not_in",
  "contains",
  "gt",
  "gte",
  "lt",
  "lte",
  "is_set",
  "is_not_set",
  "changed",
  "changed_from",
  "changed_to",
] as const;
export type ConditionOp = (typeof CONDITION_OPS)[number];
const NO_VALUE: readonly ConditionOp[] = ["is_set", "is_not_set", "changed"];
const LIST_VALUE: readonly ConditionOp[] = ["in", "not_in"];
/** Operators that compare the event's before with its after. */
export const CHANGE_OPS: readonly ConditionOp[] = ["changed", "changed_from", "changed_to"];

const Scalar = z.union([z.string().max(1000), z.number(), z.boolean(), z.null()]);
export type Scalar = z.infer<typeof Scalar>;

const Condition = z
  .strictObject({
    field: Field,
    op: z.enum(CONDITION_OPS),
    value: z.union([Scalar, z.array(Scalar).max(500)]).optional(),
  })
  .superRefine((c, ctx) => {
    const list = Array.isArray(c.value);
    if (NO_VALUE.includes(c.op)) {
      if (c.value !== undefined)
        ctx.addIssue({ code: "custom", path: ["value"], message: `${c.op} takes no value` });
    } else if (LIST_VALUE.includes(c.op) !== list || c.value === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["value"],
        message: LIST_VALUE.includes(c.op) ? `${c.op} takes a list of values` : `${c.op} takes one value`,
      });
    }
  })
  .openapi("WorkflowCondition", {
    description:
      "Text compares case-insensitively; gt/gte/lt/lte compare numbers, or dates written YYYY-MM-DD; contains " +
      "finds text in text or a value in a list; changed* compare the event's before and after.",
  });
export type Condition = z.infer<typeof Condition>;

export type ConditionGroup =
  | { all: (Condition | ConditionGroup)[]; any?: undefined }
  | { any: (Condition | ConditionGroup)[]; all?: undefined };

/** A group's mode and members. */
export function groupMembers(group: ConditionGroup): ["all" | "any", (Condition | ConditionGroup)[]] {
  return group.all !== undefined ? ["all", group.all] : ["any", group.any];
}

// One object with both keys optional (and a check that exactly one is given), rather than a union of two: the
// OpenAPI generator follows a recursive schema through an object's getters, not through a union's options.
export const ConditionGroupSchema = z
  .strictObject({
    get all() {
      return z
        .array(z.union([Condition, ConditionGroupSchema]))
        .min(1)
        .max(50)
        .optional();
    },
    get any() {
      return z
        .array(z.union([Condition, ConditionGroupSchema]))
        .min(1)
        .max(50)
        .optional();
    },
  })
  // Aborting, so that a member that is a condition with a mistake reports the condition's problem rather than
  // "this is neither a condition nor a group" (a union reports the one option that was not aborted).
  .refine((group) => (group.all === undefined) !== (group.any === undefined), {
    message: "give either all or any",
    abort: true,
  })
  .openapi("WorkflowConditionGroup", {
    description: "All of (`all`) or any of (`any`) its members hold.",
  }) as unknown as z.ZodType<ConditionGroup>;

// ---- actions ----

const Template = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .openapi({ description: "Text; {{record.<field>}} is replaced by the record's value." });
const OwnerOrUser = z
  .union([z.literal("owner"), z.strictObject({ userId: Id })])
  .openapi({ description: '"owner" (the record\'s owner) or { userId }.' });

export const ActionSchema = z
  .discriminatedUnion("type", [
    z.strictObject({
      type: z.literal("create_task"),
      title: Template(300),
      notes: Template(5000).optional(),
      dueInDays: z.number().int().min(0).max(365).optional(),
      dueInHours: z
        .number()
        .int()
        .min(0)
        .max(24 * 365)
        .optional(),
      priority: z.enum(["low", "normal", "high"]).default("normal"),
      assignTo: OwnerOrUser.default("owner"),
    }),
    z.strictObject({
      type: z.literal("send_email"),
      templateId: Id,
      lang: z.enum(["en", "vi"]).default("en"),
    }),
    z.strictObject({
      type: z.literal("notify"),
      to: OwnerOrUser.default("owner"),
      title: Template(300),
      body: Template(2000).optional(),
    }),
    z.strictObject({ type: z.literal("set_field"), field: z.string().max(70), value: Scalar }),
    z
      .strictObject({
        type: z.literal("change_owner"),
        userId: Id.optional(),
        via: z
          .literal("assignment_rules")
          .optional()
          .openapi({ description: "Pick the owner with the assignment rules (contacts)." }),
      })
      .refine((a) => (a.userId === undefined) !== (a.via === undefined), "give either userId or via"),
    z.strictObject({ type: z.literal("add_tag"), tag: z.string().trim().min(1).max(100) }),
    z.strictObject({ type: z.literal("remove_tag"), tag: z.string().trim().min(1).max(100) }),
    z.strictObject({ type: z.literal("enrol_in_sequence"), sequenceId: Id }),
    z.strictObject({
      type: z.literal("remove_from_sequence"),
      sequenceId: Id.optional().openapi({ description: "Every sequence when absent." }),
    }),
    z.strictObject({
      type: z.literal("call_webhook"),
      url: z.url({ protocol: /^https?$/ }).max(2000),
      timeoutSeconds: z.number().int().min(1).max(30).default(10),
    }),
    z
      .strictObject({
        type: z.literal("wait"),
        days: z.number().int().min(0).max(365).default(0),
        hours: z
          .number()
          .int()
          .min(0)
          .max(24 * 365)
          .default(0),
        minutes: z
          .number()
          .int()
          .min(0)
          .max(60 * 24 * 365)
          .default(0),
      })
      .refine((w) => waitSeconds(w) > 0, "wait at least a minute")
      .refine((w) => waitSeconds(w) <= 365 * 86_400, "wait at most 365 days"),
  ])
  .openapi("WorkflowAction");
export type Action = z.infer<typeof ActionSchema>;
export type ActionType = Action["type"];

export function waitSeconds(w: { days: number; hours: number; minutes: number }): number {
  return w.days * 86_400 + w.hours * 3600 + w.minutes * 60;
}

// ---- the definition ----

export const MAX_ACTIONS = 50;

/** The parts of a definition, for schemas that add fields beside them (a workflow's name). */
export const definitionShape = {
  trigger: TriggerSchema,
  conditions: ConditionGroupSchema.optional(),
  actions: z.array(ActionSchema).min(1).max(MAX_ACTIONS),
};
const DefinitionFields = z.strictObject(definitionShape);
export type Definition = z.infer<typeof DefinitionFields>;

/** The kind of record a trigger's runs act on; null when it may have none (an inbound webhook's event). */
export function recordTypeOf(trigger: Trigger): WorkflowRecordType | "contact?" {
  switch (trigger.type) {
    case "record.created":
    case "record.updated":
    case "date":
      return trigger.recordType;
    case "deal.stage_changed":
      return "deal";
    case "task.overdue":
      return "task";
    case "webhook.event":
      return "contact?";
    default:
      return "contact";
  }
}

/** The event type a trigger listens to: the key by which an event finds its workflows (workflows.trigger_type). */
export function triggerEventType(trigger: Trigger): string {
  switch (trigger.type) {
    case "record.created":
      return `${trigger.recordType}.created`;
    case "record.updated":
      return `${trigger.recordType}.updated`;
    case "task.overdue":
      return "task.due";
    case "date":
      return DATE_TRIGGER;
    default:
      return trigger.type;
  }
}

/** workflows.trigger_type of date-relative workflows, which the minute job starts rather than an event. */
export const DATE_TRIGGER = "date";
