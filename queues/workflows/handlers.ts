// The workflow engine's handlers on crm-events: the events that start runs, and the engine's own step message.
import { FORM_SUBMITTED_EVENT } from "../capture/message.ts";
import type { MessageHandler, MessageHandlers } from "../consume.ts";
import { WEBHOOK_EVENT } from "../webhooks-in/messages.ts";
import { StepMessageSchema, WORKFLOW_STEP } from "./messages.ts";
import { startRuns } from "./start.ts";
import { runStep } from "./step.ts";
import { RECORD_EVENT_TYPES, toTriggerEvent } from "./triggers.ts";

const start: MessageHandler = async (message, services) => {
  await startRuns(services, toTriggerEvent(message), message.type);
};

export const workflowHandlers: MessageHandlers = {
  ...Object.fromEntries(
    [...RECORD_EVENT_TYPES, FORM_SUBMITTED_EVENT, WEBHOOK_EVENT].map((type) => [type, start]),
  ),
  [WORKFLOW_STEP]: async (message, services) => {
    await runStep(services, StepMessageSchema.parse(message.data));
  },
};
