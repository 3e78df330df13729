// Consumer of crm-capture: public form submissions and inbound webhooks, queued before anything else happens.
import type { MessageHandlers } from "./consume.ts";

// The capture pipeline (form submissions, webhook deliveries) registers its message types here.
export const captureHandlers: MessageHandlers = {};
