// The checks of a workflow definition that span its parts: the actions and conditions against the record its
// trigger acts on, and date triggers' fields. The API answers them as 422s with paths; stored versions are
// parsed through them too.
import { z } from "@hono/zod-openapi";
import { LEAD_STATUSES, LIFECYCLE_STAGES } from "../../db/schema/index.ts";
import {
  type ActionType,
  CHANGE_OPS,
  type ConditionGroup,
  type Definition,
  definitionShape,
  groupMembers,
  recordTypeOf,
  type Trigger,
  type WorkflowRecordType,
} from "./definition.ts";

const CUSTOM_KEY = /^custom\.[a-z][a-z0-9_]{0,62}$/;

/** The fields a set_field action may write, by record type (and custom.<key> on all but tasks). */
export const SETTABLE_FIELDS: Readonly<Record<WorkflowRecordType, Readonly<Record<string, z.ZodType>>>> = {
  contact: {
    firstName: z.string().max(200).nullable(),
    lastName: z.string().max(200).nullable(),
    name: z.string().min(1).max(300),
    jobTitle: z.string().max(200).nullable(),
    source: z.string().max(200).nullable(),
    address: z.string().max(1000).nullable(),
    lifecycleStage: z.enum(LIFECYCLE_STAGES),
    leadStatus: z.enum(LEAD_STATUSES).nullable(),
  },
  company: {
    name: z.string().min(1).max(300),
    industry: z.string().max(200).nullable(),
    size: z.string().max(50).nullable(),
    country: z.string().max(100).nullable(),
  },
  deal: {
    name: z.string().min(1).max(300),
    amount: z.number().int().min(0),
    expectedCloseDate: z.iso.date().nullable(),
    closeReason: z.string().max(1000).nullable(),
  },
  task: {
    title: z.string().min(1).max(300),
    notes: z.string().max(5000).nullable(),
    priority: z.enum(["low", "normal", "high"]),
  },
};

const CONTACT_ACTIONS: readonly ActionType[] = [
  "send_email",
  "add_tag",
  "remove_tag",
  "enrol_in_sequence",
  "remove_from_sequence",
];

export interface Problem {
  path: (string | number)[];
  message: string;
}

/** Problems that no single part shows: the actions and conditions checked against the trigger's record. */
export function checkDefinition(definition: Definition): Problem[] {
  const problems: Problem[] = [];
  const { trigger } = definition;
  const recordType = recordTypeOf(trigger);
  if (trigger.type === "date") {
    const ok =
      (trigger.recordType === "deal" && trigger.field === "expectedCloseDate") ||
      (trigger.recordType === "task" && trigger.field === "dueAt") ||
      (trigger.recordType !== "task" && CUSTOM_KEY.test(trigger.field));
    if (!ok) {
      problems.push({
        path: ["trigger", "field"],
        message:
          "expectedCloseDate for deals, dueAt for tasks, or custom.<key> for contacts, companies and deals",
      });
    }
  }
  if (definition.conditions && !hasBefore(trigger)) {
    for (const path of changeConditions(definition.conditions, ["conditions"])) {
      problems.push({
        path: [...path, "op"],
        message: `${trigger.type} has no before to compare with: changed, changed_from and changed_to need record.updated, deal.stage_changed, contact.lifecycle_changed or contact.grade_changed`,
      });
    }
  }
  definition.actions.forEach((action, i) => {
    const at = (...rest: (string | number)[]) => ["actions", i, ...rest];
    if (CONTACT_ACTIONS.includes(action.type) && recordType === "company") {
      problems.push({
        path: at("type"),
        message: `${action.type} needs a contact: a company trigger has none`,
      });
    }
    if (action.type === "change_owner" && action.via === "assignment_rules" && recordType !== "contact") {
      problems.push({ path: at("via"), message: "assignment rules assign contacts: use a contact trigger" });
    }
    if ((action.type === "set_field" || action.type === "change_owner") && recordType === "contact?") {
      problems.push({
        path: at("type"),
        message: `${action.type} needs a record; webhook events may have none`,
      });
    }
    if (action.type === "set_field" && recordType !== "contact?") {
      const settable = SETTABLE_FIELDS[recordType];
      if (CUSTOM_KEY.test(action.field)) {
        if (recordType === "task")
          problems.push({ path: at("field"), message: "tasks have no custom fields" });
      } else {
        const schema = settable[action.field];
        if (!schema) {
          problems.push({
            path: at("field"),
            message: `a ${recordType} field that workflows may set: ${Object.keys(settable).join(", ")}, or custom.<key>`,
          });
        } else {
          const parsed = schema.safeParse(action.value);
          if (!parsed.success) {
            problems.push({
              path: at("value"),
              message: parsed.error.issues[0]?.message ?? "not a valid value",
            });
          }
        }
      }
    }
  });
  return problems;
}

function hasBefore(trigger: Trigger): boolean {
  return [
    "record.updated",
    "deal.stage_changed",
    "contact.lifecycle_changed",
    "contact.grade_changed",
  ].includes(trigger.type);
}

function changeConditions(group: ConditionGroup, path: (string | number)[]): (string | number)[][] {
  const [key, members] = groupMembers(group);
  return members.flatMap((member, i) =>
    "field" in member
      ? CHANGE_OPS.includes(member.op)
        ? [[...path, key, i]]
        : []
      : changeConditions(member, [...path, key, i]),
  );
}

/** Adds the cross-part checks (checkDefinition) to a schema holding a definition's parts. */
export function withDefinitionChecks<T extends z.ZodType<Definition>>(schema: T) {
  return schema.superRefine((definition, ctx) => {
    for (const problem of checkDefinition(definition)) ctx.addIssue({ code: "custom", ...problem });
  });
}

/** The definition with its cross-part checks, for parsing stored versions. */
export const DefinitionSchema = withDefinitionChecks(z.strictObject(definitionShape));

/** A stored version's definition; null when it no longer parses (it did when saved: a rule changed since). */
export function parseDefinition(text: string): Definition | null {
  try {
    const parsed = DefinitionSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
