// Consumer of crm-capture: public form submissions and inbound webhooks, queued before anything else happens.

import { CaptureDataSchema, FORM_SUBMISSION_TYPE } from "./capture/message.ts";
import { processCapture } from "./capture/process.ts";
import type { MessageHandlers } from "./consume.ts";
import { webhookInHandlers } from "./webhooks-in/handlers.ts";

// The capture pipeline (form submissions, webhook deliveries) registers its message types here.
export const captureHandlers: MessageHandlers = {
  // A body that does not parse throws: retried, then kept as a dead letter for an admin to see.
  [FORM_SUBMISSION_TYPE]: async (message, services) => {
    await processCapture(CaptureDataSchema.parse(message.data), services);
  },
  // Inbound webhook deliveries (queues/webhooks-in/).
  ...webhookInHandlers,
};
