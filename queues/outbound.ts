// Consumer of crm-outbound: notifications, email and outgoing webhooks.
import type { MessageHandlers } from "./consume.ts";
import { processOutbox } from "./outbound/process.ts";
import { deliverWebhooks, WEBHOOKS_DELIVER } from "./webhooks-out/deliver.ts";

/** Asks for an outbox pass now rather than at the next minute (e.g. after a burst of notifications). */
export const OUTBOX_FLUSH = "outbox.flush";

// Delivery channels (in-app, email, Slack/Teams, webhooks) register their message types here.
export const outboundHandlers: MessageHandlers = {
  [OUTBOX_FLUSH]: async (_message, services) => {
    await processOutbox(services.db, services.config, Date.now());
  },
  // Outgoing webhooks (queues/webhooks-out/): a delivery pass, asked for after an event, a replay or a short retry.
  [WEBHOOKS_DELIVER]: async (_message, services) => {
    await deliverWebhooks(services, Date.now());
  },
};
