// The inbound-webhook message on the capture queue: a verified delivery, processed by queues/webhooks-in/process.ts.
import type { MessageHandlers } from "../consume.ts";
import { WEBHOOK_DELIVERY_TYPE, WebhookDeliveryDataSchema } from "./messages.ts";
import { processDelivery } from "./process.ts";

export const webhookInHandlers: MessageHandlers = {
  // A body that does not parse throws: retried, then kept as a dead letter for an admin to see.
  [WEBHOOK_DELIVERY_TYPE]: async (message, services) => {
    await processDelivery(WebhookDeliveryDataSchema.parse(message.data), services);
  },
};
