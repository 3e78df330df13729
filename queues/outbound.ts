// Consumer of crm-outbound: notifications, email and outgoing webhooks.
import type { MessageHandlers } from "./consume.ts";
import { processOutbox } from "./outbound/process.ts";

/** Asks for an outbox pass now rather than at the next minute (e.g. after a burst of notifications). */
export const OUTBOX_FLUSH = "outbox.flush";

// Delivery channels (in-app, email, Slack/Teams, webhooks) register their message types here.
export const outboundHandlers: MessageHandlers = {
  [OUTBOX_FLUSH]: async (_message, services) => {
    await processOutbox(services.db, services.config, Date.now());
  },
};
