// Every kind of record the access matrix can make, by the `record` kind routes declare.
import { authFixtures } from "./auth.ts";
import { contactsFixtures } from "./contacts.ts";
import { dataFixtures } from "./data.ts";
import { dealsFixtures } from "./deals.ts";
import { formsFixtures } from "./forms.ts";
import { notificationFixtures } from "./notifications.ts";
import { outboundFixtures } from "./outbound.ts";
import { reportFixtures } from "./reports.ts";
import { routingFixtures } from "./routing.ts";
import { scoringFixtures } from "./scoring.ts";
import { sequenceFixtures } from "./sequences.ts";
import { templateFixtures } from "./templates.ts";
import { timelineFixtures } from "./timeline.ts";
import type { FixtureMaker } from "./types.ts";
import { webhooksInFixtures } from "./webhooks-in.ts";
import { webhooksOutFixtures } from "./webhooks-out.ts";
import { workflowFixtures } from "./workflows.ts";

export * from "./types.ts";

export const recordFixtures: Record<string, FixtureMaker> = {
  ...authFixtures,
  ...contactsFixtures,
  ...dataFixtures,
  ...dealsFixtures,
  ...formsFixtures,
  ...notificationFixtures,
  ...outboundFixtures,
  ...reportFixtures,
  ...routingFixtures,
  ...scoringFixtures,
  ...sequenceFixtures,
  ...templateFixtures,
  ...timelineFixtures,
  ...workflowFixtures,
  ...webhooksInFixtures,
  ...webhooksOutFixtures,
};
