// A workflow's dry run against a chosen record: whether its trigger and conditions would let it start (with
// each condition's verdict) and what each action would do, said in words, without doing any of it.
import type { DryRunContact, DryRunTemplate, DryRunUser } from "../../db/workflows/dry-run.ts";
import type { RecordFacts, RecordKind } from "../../db/workflows/records.ts";
import { checkTarget } from "../webhooks-out/target-guard.ts";
import { fill } from "./actions.ts";
import { conditionsHold, type Facts, type GroupResult, valueAt } from "./conditions.ts";
import { type Action, type Definition, recordTypeOf, triggerEventType, waitSeconds } from "./definition.ts";
import { triggerMatches } from "./triggers.ts";

export interface DryRunInput {
  definition: Definition;
  record: RecordFacts;
  recordType: RecordKind;
  contact: DryRunContact | null;
  templates: readonly DryRunTemplate[];
  users: readonly DryRunUser[];
  /** Fields as they were before the change being tried (for changed, changed_from, changed_to). */
  before: Facts | undefined;
  /** The trigger event's own data, e.g. { formId } or { eventType, payload }. */
  event: Facts | undefined;
  allowPrivateTargets: boolean;
  now: number;
}

export interface ActionPreview {
  step: number;
  type: Action["type"];
  /** What the step would do. */
  wouldDo: string;
  /** Why the step would be skipped (the run goes on), or fail (the run stops): null when it would do it. */
  skip: string | null;
  fail: string | null;
}

export interface DryRunResult {
  recordType: RecordKind;
  trigger: { type: string; eventType: string; matched: boolean; detail: string | null };
  conditions: GroupResult;
  wouldStart: boolean;
  actions: ActionPreview[];
}

function duration(seconds: number): string {
  const parts: string[] = [];
  const units: [number, string][] = [
    [86_400, "day"],
    [3600, "hour"],
    [60, "minute"],
  ];
  let rest = seconds;
  for (const [size, name] of units) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) parts.push(`${n} ${name}${n === 1 ? "" : "s"}`);
  }
  return parts.join(" ") || "0 minutes";
}

function describe(action: Action, input: DryRunInput): Omit<ActionPreview, "step" | "type"> {
  const { record, contact } = input;
  const user = (id: string | null | undefined) => input.users.find((u) => u.id === id);
  const person = (to: "owner" | { userId: string }) => {
    const id = to === "owner" ? (record.ownerId ?? contact?.ownerId ?? null) : to.userId;
    const found = user(id);
    if (!id) return { name: "nobody", fail: "the record has no owner" };
    if (!found?.active) return { name: id, fail: `user ${id} is not an active user` };
    return { name: found.name, fail: null };
  };
  const ok = (wouldDo: string, skip: string | null = null, fail: string | null = null) => ({
    wouldDo,
    skip,
    fail,
  });
  const ctx = { record, contact };
  switch (action.type) {
    case "create_task": {
      const to = person(action.assignTo);
      const hours = (action.dueInDays ?? 0) * 24 + (action.dueInHours ?? 0);
      const due =
        action.dueInDays === undefined && action.dueInHours === undefined
          ? ""
          : `, due ${new Date(input.now + hours * 3_600_000).toISOString()}`;
      return ok(`Create the task “${fill(action.title, ctx)}” for ${to.name}${due}`, null, to.fail);
    }
    case "send_email": {
      const template = input.templates.find((t) => t.id === action.templateId);
      if (!template)
        return ok(`Send email template ${action.templateId}`, null, "the template was not found");
      const what = `Send “${template.name}” (${template.kind}) to ${contact?.email ?? "the record's contact"}`;
      if (!contact) return ok(what, "no contact");
      if (!contact.email) return ok(what, "no_email");
      if (template.kind === "marketing" && contact.emailConsent === "withdrawn")
        return ok(what, "unsubscribed");
      if (template.kind === "marketing" && contact.emailConsent !== "granted") return ok(what, "no_consent");
      return ok(what);
    }
    case "notify": {
      const to = person(action.to);
      return ok(`Notify ${to.name}: “${fill(action.title, ctx)}”`, null, to.fail);
    }
    case "set_field":
      return ok(
        `Set ${action.field} from ${JSON.stringify(valueAt(record, action.field) ?? null)} to ${JSON.stringify(action.value)}`,
      );
    case "change_owner": {
      if (action.via === "assignment_rules") return ok("Pick the owner with the assignment rules");
      const to = person({ userId: action.userId ?? "" });
      const from = user(record.ownerId)?.name ?? record.ownerId ?? "nobody";
      if (record.ownerId === action.userId) return ok(`Keep ${to.name} as the owner`, "already the owner");
      return ok(`Change the owner from ${from} to ${to.name}`, null, to.fail);
    }
    case "add_tag":
    case "remove_tag": {
      const verb =
        action.type === "add_tag" ? `Add the tag “${action.tag}” to` : `Remove the tag “${action.tag}” from`;
      return ok(`${verb} ${contact?.name ?? "the record's contact"}`, contact ? null : "no contact");
    }
    case "enrol_in_sequence":
      return ok(
        `Enrol ${contact?.name ?? "the record's contact"} in sequence ${action.sequenceId}`,
        contact ? null : "no contact",
      );
    case "remove_from_sequence":
      return ok(
        `Take ${contact?.name ?? "the record's contact"} out of ${action.sequenceId ? `sequence ${action.sequenceId}` : "every sequence"}`,
        contact ? null : "no contact",
      );
    case "call_webhook": {
      const target = checkTarget(action.url, input.allowPrivateTargets);
      return ok(
        `POST the record to ${action.url} (signed, ${action.timeoutSeconds} s timeout)`,
        null,
        target.ok ? null : `the target is refused: ${target.reason}`,
      );
    }
    case "wait":
      return ok(`Wait ${duration(waitSeconds(action))}`);
  }
}

export function dryRun(input: DryRunInput): DryRunResult {
  const { definition, record } = input;
  const expected = recordTypeOf(definition.trigger);
  const eventType = triggerEventType(definition.trigger);
  const before = input.before ? { ...record, ...input.before } : null;
  const data = input.event ?? {};
  const event = {
    id: "dry-run",
    type: eventType,
    recordType: input.recordType,
    recordId: record.id,
    before,
    after: record,
    data,
    cause: null,
  };
  const kindOk = expected === input.recordType || (expected === "contact?" && input.recordType === "contact");
  const match = kindOk
    ? triggerMatches(definition.trigger, event)
    : {
        matched: false,
        detail: `the trigger acts on a ${expected.replace("?", "")}, not a ${input.recordType}`,
      };
  const conditions = conditionsHold(definition.conditions, {
    after: { ...record, event: { type: eventType, ...data } },
    before,
  });
  return {
    recordType: input.recordType,
    trigger: { type: definition.trigger.type, eventType, matched: match.matched, detail: match.detail },
    conditions,
    wouldStart: match.matched && conditions.matched,
    actions: definition.actions.map((action, step) => ({
      step,
      type: action.type,
      ...describe(action, input),
    })),
  };
}
