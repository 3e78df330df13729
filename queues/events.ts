// Consumer of crm-events: domain events that drive lead scoring, assignment and workflows.
import { FORM_SUBMITTED_EVENT } from "./capture/message.ts";
import type { MessageHandlers } from "./consume.ts";

// The engines (scoring, assignment, workflows) register the event types they react to here.
export const eventHandlers: MessageHandlers = {
  // A lead came in through a form (queues/capture/). Nothing reacts yet: acknowledged, not dead-lettered.
  [FORM_SUBMITTED_EVENT]: async () => {},
};
