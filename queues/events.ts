// Consumer of crm-events: domain events that drive lead scoring, assignment and workflows.
import type { MessageHandlers } from "./consume.ts";

// The engines (scoring, assignment, workflows) register the event types they react to here.
export const eventHandlers: MessageHandlers = {};
