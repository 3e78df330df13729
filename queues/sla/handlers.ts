// The speed-to-lead engine's event handlers: a lead that came in through a form starts its clock.
import { z } from "zod";
import { FORM_SUBMITTED_EVENT } from "../capture/message.ts";
import type { MessageHandlers } from "../consume.ts";
import { startClock } from "./clock.ts";

const FormSubmittedSchema = z.object({ formId: z.string(), contactId: z.string(), receivedAt: z.number() });

export const slaHandlers: MessageHandlers = {
  [FORM_SUBMITTED_EVENT]: async (message, { db }) => {
    const data = FormSubmittedSchema.parse(message.data);
    await startClock(db, {
      eventId: message.id,
      contactId: data.contactId,
      formId: data.formId,
      startedAt: data.receivedAt,
    });
  },
};
