// Consumer of crm-outbound: notifications, email and outgoing webhooks.
import type { MessageHandlers } from "./consume.ts";

// Delivery channels (in-app, email, Slack/Teams, webhooks) register their message types here.
export const outboundHandlers: MessageHandlers = {};
