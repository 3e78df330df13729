// Valid request bodies for write routes, so the access matrix can expect a 2xx (not just "not refused") from
// every caller the route lets through. A write route without one here is sent `{}`, and any answer but
// 401/403/404 counts as let through.
import { dataBodies } from "./data.ts";
import { sampleForm } from "./forms.ts";
import { notificationBodies } from "./notifications.ts";
import { outboundBodies } from "./outbound.ts";
import { reportBodies } from "./reports.ts";
import { routingBodies } from "./routing.ts";
import { scoringBodies } from "./scoring.ts";
import { sequenceBodies } from "./sequences.ts";
import { templateBodies } from "./templates.ts";
import type { RecordFixture, World } from "./types.ts";
import { webhooksInBodies } from "./webhooks-in.ts";
import { webhooksOutBodies } from "./webhooks-out.ts";
import { workflowBodies } from "./workflows.ts";

export type BodyMaker = (world: World, fixture: RecordFixture | null) => unknown;

const PROPOSAL_STAGE = "01900000-0000-7000-8000-000000000013";
let n = 0;
const unique = () => {
  n += 1;
  return `${n}-${crypto.randomUUID().slice(0, 8)}`;
};

export const sampleBodies: Record<string, BodyMaker> = {
  ...dataBodies,
  ...webhooksInBodies,
  ...notificationBodies,
  ...outboundBodies,
  ...reportBodies,
  ...routingBodies,
  ...templateBodies,
  ...webhooksOutBodies,
  ...workflowBodies,
  "POST /api/v1/users": () => ({ email: `invitee-${unique()}@example.com`, name: "Invitee", role: "rep" }),
  "PATCH /api/v1/users/{id}": () => ({ name: "Renamed by the matrix" }),
  "POST /api/v1/teams": () => ({ name: `Matrix team ${unique()}` }),
  "PATCH /api/v1/teams/{id}": () => ({ name: `Renamed team ${unique()}` }),
  "PUT /api/v1/teams/{id}/members": ({ people }) => ({ members: [{ userId: people.repA.id, lead: false }] }),
  // A key may only grant what the key making it holds: the matrix's key holds api_keys:write.
  "POST /api/v1/api-keys": () => ({ name: "Matrix key", scopes: ["api_keys:read"] }),
  "PATCH /api/v1/settings": () => ({ timeZone: "Asia/Ho_Chi_Minh" }),
  "POST /api/v1/contacts": () => ({ name: "Nguyễn Văn Matrix", emails: [`matrix-${unique()}@example.com`] }),
  "PATCH /api/v1/contacts/{id}": () => ({ jobTitle: "Head of Sales" }),
  "POST /api/v1/companies": () => ({ name: "Công ty Matrix", domain: `matrix-${unique()}.example.com` }),
  "PATCH /api/v1/companies/{id}": () => ({ industry: "Software" }),
  "POST /api/v1/companies/batch": () => ({
    items: [{ name: "Batch company", domain: `b-${unique()}.example.com` }],
  }),
  "POST /api/v1/contacts/batch": () => ({
    items: [{ name: "Batch contact", emails: [`b-${unique()}@example.com`] }],
  }),
  "POST /api/v1/custom-fields": () => ({
    object: "deal",
    key: `field_${unique().replace("-", "_")}`,
    label: "L",
    type: "text",
  }),
  "PATCH /api/v1/custom-fields/{id}": () => ({ label: "Renamed" }),
  "POST /api/v1/deals": () => ({ name: "Matrix deal", amount: 1_000_000, currency: "VND" }),
  "PATCH /api/v1/deals/{id}": () => ({ amount: 2_500_000 }),
  "POST /api/v1/deals/{id}/move": () => ({ stageId: PROPOSAL_STAGE }),
  "POST /api/v1/pipelines": () => ({
    name: `Matrix pipeline ${unique()}`,
    stages: [{ name: "Open", probability: 20, forecastCategory: "pipeline" }],
  }),
  "PATCH /api/v1/pipelines/{id}": () => ({ name: `Renamed pipeline ${unique()}` }),
  "POST /api/v1/pipelines/{id}/stages": () => ({
    name: "Extra",
    probability: 30,
    forecastCategory: "pipeline",
  }),
  "PATCH /api/v1/stages/{id}": () => ({ probability: 35 }),
  "POST /api/v1/forms": () => sampleForm(`Matrix form ${unique()}`),
  "PUT /api/v1/forms/{id}": () => sampleForm(`Replaced form ${unique()}`),
  ...scoringBodies,
  ...sequenceBodies,
};
