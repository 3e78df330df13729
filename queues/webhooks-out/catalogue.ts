// The events a webhook subscription may ask for: every domain event (queues/domain-events/types.ts) and
// form.submitted, each with a line for the API's catalogue. `*` subscribes to all of them, including types
// added later; `webhook.test` goes only to the subscription whose test an admin asks for.
import { FORM_SUBMITTED_EVENT } from "../capture/message.ts";
import { DOMAIN_EVENT_TYPES } from "../domain-events/types.ts";

export const ALL_EVENTS = "*";
export const TEST_EVENT_TYPE = "webhook.test";

const DESCRIPTIONS: Readonly<Record<string, string>> = {
  "contact.created": "A contact was created (by a person, an import, a form or an integration).",
  "contact.updated": "A contact was edited (its version went up).",
  "contact.deleted": "A contact was deleted (it can still be restored).",
  "contact.restored": "A deleted contact was restored.",
  "contact.lifecycle_changed": "A contact's lifecycle stage changed.",
  "contact.grade_changed": "A contact's score crossed into another grade.",
  "contact.consent_changed": "A contact's email consent changed (granted or withdrawn).",
  "company.created": "A company was created.",
  "company.updated": "A company was edited.",
  "company.deleted": "A company was deleted.",
  "company.restored": "A deleted company was restored.",
  "deal.created": "A deal was created.",
  "deal.updated": "A deal was edited.",
  "deal.stage_changed": "A deal moved to another stage; data.previous holds the stage it left.",
  "deal.won": "A deal was won.",
  "deal.lost": "A deal was lost.",
  "deal.deleted": "A deal was deleted.",
  "deal.restored": "A deleted deal was restored.",
  "task.created": "A task was created.",
  "task.updated": "A task was edited.",
  "task.completed": "A task was marked done.",
  "task.due": "An open task's due time passed.",
  "task.deleted": "A task was deleted.",
  "task.restored": "A deleted task was restored.",
  "activity.created": "A timeline entry was logged (note, call, email, meeting, …); record.type says which.",
  [FORM_SUBMITTED_EVENT]: "A form submission became a lead: the form, the submission, the contact and deal.",
};

/** Every event type a subscription may name, in a stable order. */
export const WEBHOOK_EVENT_TYPES: readonly string[] = [
  ...new Set([...DOMAIN_EVENT_TYPES, FORM_SUBMITTED_EVENT]),
];

const KNOWN = new Set(WEBHOOK_EVENT_TYPES);

export function isWebhookEventType(type: string): boolean {
  return KNOWN.has(type);
}

export function describeEvent(type: string): string {
  const [object = "record", action = "changed"] = type.split(".");
  return DESCRIPTIONS[type] ?? `A ${object} was ${action.replaceAll("_", " ")}.`;
}

/** The catalogue as the API shows it. */
export function eventCatalogue(): { type: string; description: string }[] {
  return WEBHOOK_EVENT_TYPES.map((type) => ({ type, description: describeEvent(type) }));
}
