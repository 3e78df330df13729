// The declarative mapping of an inbound webhook source: where the payload keeps its events, their type, id
// and time; which payload paths fill which contact, company and UTM fields; and, by event type, what to do
// (upsert the contact, log a timeline entry, record engagement for scoring, change email consent). Checked
// with zod when a source is saved (a bad mapping is a 422 naming the part), applied by the consumer.
import { z } from "@hono/zod-openapi";
import { LEAD_STATUSES, LIFECYCLE_STAGES } from "../../db/schema/crm.ts";
import { COMPANY_PROPERTIES, CONTACT_PROPERTIES } from "../../functions/forms/definition.ts";
import { ENGAGEMENT_KINDS } from "../scoring/rules.ts";
import { MAX_PATH_LENGTH, parsePath, pathProblem, readPath } from "./paths.ts";

export const UTM_KEYS = ["source", "medium", "campaign", "term", "content"] as const;

const TARGET = new RegExp(
  `^(contact\\.(${CONTACT_PROPERTIES.join("|")})|contact\\.custom\\.[A-Za-z0-9_]{1,64}|company\\.(${COMPANY_PROPERTIES.join("|")})|utm\\.(${UTM_KEYS.join("|")}))$`,
);

const Path = z
  .string()
  .max(MAX_PATH_LENGTH)
  .superRefine((path, ctx) => {
    const problem = pathProblem(path);
    if (problem) ctx.addIssue({ code: "custom", message: `Not a path: ${problem}` });
  })
  .openapi({
    description:
      "Where the value sits: dotted (`data.to[0]`, `field_data[name=email].values[0]`, `$.id` from the delivery's " +
      "root) or a JSON pointer (`/data/to/0`).",
    example: "data.email",
  });

export const HeaderName = z
  .string()
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/, "An HTTP header name, e.g. X-Event-Id.");

const Target = z
  .string()
  .regex(
    TARGET,
    `contact.<${CONTACT_PROPERTIES.join("|")}>, contact.custom.<key>, company.<${COMPANY_PROPERTIES.join("|")}> or utm.<${UTM_KEYS.join("|")}>.`,
  );

export const ActionSchema = z
  .discriminatedUnion("type", [
    z.strictObject({
      type: z.literal("upsert_contact"),
      lifecycleStage: z
        .enum(LIFECYCLE_STAGES)
        .optional()
        .openapi({ description: "A new contact's stage; an existing one only moves forward." }),
      leadStatus: z.enum(LEAD_STATUSES).optional(),
    }),
    z.strictObject({
      type: z.literal("log_activity"),
      subject: z
        .string()
        .trim()
        .min(1)
        .max(300)
        .optional()
        .openapi({ description: "The timeline entry's subject; {type} is the event's type." }),
    }),
    z.strictObject({ type: z.literal("record_engagement"), kind: z.enum(ENGAGEMENT_KINDS) }),
    z.strictObject({ type: z.literal("set_consent"), emailConsent: z.enum(["granted", "withdrawn"]) }),
  ])
  .openapi("InboundWebhookAction");
export type Action = z.infer<typeof ActionSchema>;

const RuleSchema = z
  .strictObject({
    on: z
      .array(z.string().min(1).max(200))
      .min(1)
      .max(50)
      .optional()
      .openapi({ description: "The event types the rule is for; a rule without `on` takes any event." }),
    actions: z.array(ActionSchema).min(1).max(4),
  })
  .superRefine((rule, ctx) => {
    const types = rule.actions.map((a) => a.type);
    types.forEach((type, i) => {
      if (types.indexOf(type) !== i) {
        ctx.addIssue({ code: "custom", path: ["actions", i], message: `${type} is in the rule twice.` });
      }
    });
  })
  .openapi("InboundWebhookRule");

export const MappingSchema = z
  .strictObject({
    deliveryId: z
      .union([z.strictObject({ header: HeaderName }), z.strictObject({ path: Path })])
      .optional()
      .openapi({
        description:
          "Where the delivery's own id is, to keep a second delivery of it from being processed twice: a header or " +
          "a payload path. Standard Webhooks deliveries use webhook-id without it; otherwise a hash of the body.",
      }),
    events: Path.optional().openapi({
      description:
        "A payload that holds a list of events: where the list is. Without it the payload is one event.",
    }),
    eventType: Path.optional().openapi({ description: "Where an event names its type, e.g. `type`." }),
    eventId: Path.optional().openapi({
      description: "Where an event has its own id (engagement is counted once per id).",
    }),
    occurredAt: Path.optional().openapi({
      description:
        "When the event happened: ISO 8601, or epoch seconds or milliseconds; else when it arrived.",
    }),
    fields: z
      .record(Target, Path)
      .default({})
      .openapi({
        description: "Our field → payload path. contact.email (or contact.phone) finds the contact.",
        example: { "contact.email": "data.email", "contact.firstName": "data.first_name" },
      }),
    rules: z.array(RuleSchema).min(1).max(50).openapi({
      description:
        "What to do for each event: the first rule whose `on` names its type (or has no `on`) applies.",
    }),
  })
  .superRefine((mapping, ctx) => {
    const targets = Object.keys(mapping.fields);
    if (targets.length > 60)
      ctx.addIssue({ code: "custom", path: ["fields"], message: "At most 60 fields." });
    if (!mapping.fields["contact.email"] && !mapping.fields["contact.phone"]) {
      ctx.addIssue({
        code: "custom",
        path: ["fields"],
        message: "Map contact.email or contact.phone: every action needs the event's contact.",
      });
    }
    mapping.rules.forEach((rule, i) => {
      if (rule.on && !mapping.eventType) {
        ctx.addIssue({
          code: "custom",
          path: ["rules", i, "on"],
          message: "A rule for event types needs eventType: where the payload names the type.",
        });
      }
    });
  })
  .openapi("InboundWebhookMapping");
export type Mapping = z.infer<typeof MappingSchema>;

// ---- applying a mapping to a payload ----

/** One event of a delivery as the mapping reads it. */
export interface PlannedEvent {
  index: number;
  type: string | null;
  /** The sender's id of the event, else the delivery's (with the index when the delivery holds a list). */
  eventId: string;
  occurredAt: number;
  payload: unknown;
  /** Target → value, for the targets the payload had. */
  values: Record<string, unknown>;
  /** The matched rule's actions; none when no rule is for this event's type. */
  actions: Action[];
}

export const MAX_EVENTS = 100;

type Scalar = string | number | boolean;
const isScalar = (value: unknown): value is Scalar =>
  typeof value === "string" || typeof value === "number" || typeof value === "boolean";

function scalarText(value: unknown, max: number): string | null {
  if (!isScalar(value)) return null;
  const text = String(value).trim();
  return text === "" ? null : text.slice(0, max);
}

/** A value for a target: custom fields keep lists (a multi-select); the rest take a list's first value. */
function valueFor(target: string, value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) {
    if (target.startsWith("contact.custom.")) return value.filter(isScalar);
    return value.find((v) => isScalar(v) && String(v).trim() !== "");
  }
  return isScalar(value) ? value : undefined;
}

/** Epoch ms from ISO 8601, epoch seconds or milliseconds; null when it reads as none of them. */
export function toEpochMs(value: unknown): number | null {
  if (typeof value === "number" && Number.isFinite(value) && value > 0) {
    return Math.round(value < 1e11 ? value * 1000 : value);
  }
  if (typeof value === "string" && value.trim() !== "") {
    if (/^\d{9,13}(\.\d+)?$/.test(value.trim())) return toEpochMs(Number(value));
    // ISO 8601 with a basic offset (+0000, as Meta writes it) is read with the extended one (+00:00).
    const parsed = Date.parse(value.trim().replace(/([+-]\d{2})(\d{2})$/, "$1:$2"));
    return Number.isNaN(parsed) ? null : parsed;
  }
  return null;
}

/**
 * The events of a payload as the mapping reads them, or why the payload cannot be read with it (the delivery
 * then fails, to be replayed once the mapping is fixed).
 */
export function applyMapping(
  mapping: Mapping,
  payload: unknown,
  context: { deliveryId: string; receivedAt: number },
): { events: PlannedEvent[] } | { error: string } {
  let items: unknown[] = [payload];
  if (mapping.events) {
    const list = readPath(mapping.events, payload);
    if (!Array.isArray(list)) return { error: `The payload has no list of events at ${mapping.events}.` };
    if (list.length > MAX_EVENTS) {
      return { error: `The delivery holds ${list.length} events; at most ${MAX_EVENTS} are read.` };
    }
    items = list;
  }
  const paths = Object.entries(mapping.fields).map(([target, path]) => [target, parsePath(path)] as const);
  const events = items.map((item, index): PlannedEvent => {
    const type = mapping.eventType ? scalarText(readPath(mapping.eventType, item, payload), 200) : null;
    const ownId = mapping.eventId ? scalarText(readPath(mapping.eventId, item, payload), 150) : null;
    const at = mapping.occurredAt ? toEpochMs(readPath(mapping.occurredAt, item, payload)) : null;
    const values: Record<string, unknown> = {};
    for (const [target, path] of paths) {
      const value = valueFor(target, readPath(path, item, payload));
      if (value !== undefined) values[target] = value;
    }
    const rule = mapping.rules.find((r) => !r.on || (type !== null && r.on.includes(type)));
    return {
      index,
      type,
      eventId: ownId ?? (mapping.events ? `${context.deliveryId}#${index}` : context.deliveryId),
      // A time far off is more likely a unit mistake than the truth: the arrival is closer.
      occurredAt:
        at !== null && Math.abs(at - context.receivedAt) < 10 * 365 * 86_400_000 ? at : context.receivedAt,
      payload: item,
      values,
      actions: rule?.actions ?? [],
    };
  });
  return { events };
}
