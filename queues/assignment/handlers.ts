// The assignment engine's event handlers: a lead from a form, and a speed-to-lead breach whose rule reassigns.
import { z } from "zod";
import { FORM_SUBMITTED_EVENT } from "../capture/message.ts";
import type { MessageHandlers } from "../consume.ts";
import { SLA_BREACHED_EVENT, SlaBreachedSchema } from "../sla/messages.ts";
import { assignLead } from "./engine.ts";

const FormSubmittedSchema = z.object({
  formId: z.string(),
  contactId: z.string(),
  dealId: z.string().nullable().default(null),
});

export const assignmentHandlers: MessageHandlers = {
  [FORM_SUBMITTED_EVENT]: async (message, { db }) => {
    const data = FormSubmittedSchema.parse(message.data);
    await assignLead(db, {
      eventId: message.id,
      contactId: data.contactId,
      formId: data.formId,
      dealId: data.dealId,
      reason: "form",
    });
  },
  [SLA_BREACHED_EVENT]: async (message, { db }) => {
    const data = SlaBreachedSchema.parse(message.data);
    await assignLead(db, {
      eventId: message.id,
      contactId: data.contactId,
      formId: null,
      reason: "sla_breach",
      breachedOwnerId: data.ownerId,
    });
  },
};
