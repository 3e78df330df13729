// The API's closed lists, as values the screens can offer. Each is checked against the generated types in
// both directions (every value known to the API, none it does not know), so they cannot drift apart.
import type { Schemas } from "../api/client.ts";

type Keys<T extends string> = Record<T, true>;
const keys = <T extends string>(record: Keys<T>) => Object.keys(record) as T[];

export type Lifecycle = NonNullable<Schemas["ContactCreate"]["lifecycleStage"]>;
export const LIFECYCLE_STAGES = keys<Lifecycle>({
  subscriber: true,
  lead: true,
  mql: true,
  sql: true,
  opportunity: true,
  customer: true,
  evangelist: true,
  disqualified: true,
  churned: true,
});

export type LeadStatus = NonNullable<Schemas["ContactCreate"]["leadStatus"]>;
export const LEAD_STATUSES = keys<LeadStatus>({
  new: true,
  attempting: true,
  connected: true,
  qualified: true,
  unqualified: true,
});

export type ActivityType = Schemas["Activity"]["type"];
export const ACTIVITY_TYPES = keys<ActivityType>({
  note: true,
  call: true,
  email: true,
  meeting: true,
  form_submission: true,
  stage_change: true,
  lifecycle_change: true,
  owner_change: true,
  score_change: true,
  webhook_event: true,
  system: true,
});

export type CallOutcome = Extract<Schemas["ActivityCreate"], { type: "call" }>["outcome"];
export const CALL_OUTCOMES = keys<CallOutcome>({
  connected: true,
  no_answer: true,
  left_voicemail: true,
  busy: true,
  wrong_number: true,
});

export type ForecastCategory = Schemas["Stage"]["forecastCategory"];
export const FORECAST_CATEGORIES = keys<ForecastCategory>({
  pipeline: true,
  best_case: true,
  commit: true,
  closed_won: true,
  omitted: true,
});

export type Role = Schemas["User"]["role"];
export const ROLES = keys<Role>({ admin: true, manager: true, rep: true, read_only: true });

export type CustomFieldType = Schemas["CustomField"]["type"];
export const CUSTOM_FIELD_TYPES = keys<CustomFieldType>({
  text: true,
  number: true,
  date: true,
  select: true,
  multi_select: true,
  boolean: true,
  url: true,
  email: true,
  phone: true,
});

export const CURRENCIES = ["VND", "USD"] as const;
