// The inbound-webhook consumer's one write batch. A batch cannot read between its statements, so decisions that
// depend on rows are made in SQL: the first statements keep the delivery in the inbox (when the edge did not)
// and settle it, stamping this run's claim, but only while it is still "received"; every later statement acts
// only under that claim, so a second delivery of the same message (which finds the row settled) changes
// nothing. Each event's contact is matched in SQL (email, then phone), or made when the rule upserts, and
// written on the event's row, where the statements after it read it back.

import { type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Database } from "../../db/client.ts";
import { newId } from "../../db/ids.ts";
import { activities, contacts, webhookInbox } from "../../db/schema/index.ts";
import { insertWhere } from "../../db/statements.ts";
import { erasePayloadsStatement } from "../../db/webhooks-in/inbox.ts";
import { leadCompanyStatements } from "../capture/company.ts";
import type { WebhookLead } from "./lead.ts";
import type { Action, PlannedEvent } from "./mapping.ts";
import type { WebhookDeliveryData } from "./messages.ts";

export interface Attribution {
  formId?: string | null | undefined;
  utm?: Record<string, string> | undefined;
}

export interface PlannedLeadEvent extends PlannedEvent {
  lead: WebhookLead;
  /** Ids for what this event may create: its contact and its company. */
  ids: { contact: string; company: string };
  /** True in SQL unless the lead's email or phone is on the suppression list: no contact is made for them. */
  notSuppressed: SQL;
}

export interface DeliveryPlan {
  data: WebhookDeliveryData;
  /** The body to keep when the inbox has no row yet (the message brought it). */
  body: string | null;
  source: { id: string; name: string; defaultOwnerId: string | null; attribution: Attribution };
  claim: string;
  now: number;
  /** Why the delivery failed as a whole (unreadable payload, archived source); null when it did not. */
  failure: string | null;
  events: PlannedLeadEvent[];
}

function rank(stage: SQL): SQL {
  // disqualified and churned have no rank: a webhook never moves a contact into or out of them.
  return sql`(case ${stage} when 'subscriber' then 0 when 'lead' then 1 when 'mql' then 2 when 'sql' then 3
    when 'opportunity' then 4 when 'customer' then 5 when 'evangelist' then 6 else null end)`;
}

const actionOf = <T extends Action["type"]>(event: PlannedEvent, type: T) =>
  event.actions.find((a): a is Extract<Action, { type: T }> => a.type === type);

function summaryOf(values: Record<string, unknown>): string {
  return Object.entries(values)
    .map(([target, value]) => `${target}: ${Array.isArray(value) ? value.join(", ") : String(value)}`)
    .join("\n")
    .slice(0, 5000);
}

export function deliveryStatements(db: Database, plan: DeliveryPlan): BatchItem<"sqlite">[] {
  const { data, now, claim } = plan;
  const sourceId = data.sourceId;
  const deliveryId = data.deliveryId;
  const settled = plan.failure === null ? "processed" : "failed";

  // ---- 1. The delivery: kept, then settled under this run's claim ----
  const keep: BatchItem<"sqlite">[] =
    plan.body === null
      ? []
      : [
          db
            .insert(webhookInbox)
            .values({
              id: data.inboxId,
              sourceId,
              deliveryId,
              status: "received",
              contentType: data.contentType,
              headers: JSON.stringify(data.headers),
              queryParams: JSON.stringify(data.query),
              body: plan.body,
              bodyEncoding: data.bodyEncoding,
              verification: JSON.stringify(data.verification),
              receivedAt: data.receivedAt,
              updatedAt: data.receivedAt,
            })
            .onConflictDoNothing(),
        ];
  const settle =
    db.run(sql`update webhook_inbox set status = ${settled}, event_type = ${plan.events[0]?.type ?? null},
      event_count = ${plan.events.length}, error = ${plan.failure}, attempts = attempts + 1, claim = ${claim},
      processed_at = ${now}, updated_at = ${now}
    where source_id = ${sourceId} and delivery_id = ${deliveryId} and status = 'received'`);
  const claimed = sql`(select id from webhook_inbox where source_id = ${sourceId} and delivery_id = ${deliveryId} and claim = ${claim})`;
  // A replay starts its events afresh.
  const clearEvents = db.run(sql`delete from webhook_inbox_events where inbox_id = ${claimed}`);
  /** The row this run settled as processed; null when it did not. */
  const mine = sql`(select id from webhook_inbox where source_id = ${sourceId} and delivery_id = ${deliveryId} and claim = ${claim} and status = 'processed')`;

  const eventStatements = plan.events.flatMap((event) => eventStatementsOf(db, plan, event, mine));

  const outcome = db.all<{
    inboxId: string;
    status: string;
    idx: number | null;
    contactId: string | null;
    eventStatus: string | null;
  }>(sql`select i.id as inboxId, i.status as status, e.idx as idx, e.contact_id as contactId, e.status as eventStatus
    from webhook_inbox i left join webhook_inbox_events e on e.inbox_id = i.id
    where i.source_id = ${sourceId} and i.delivery_id = ${deliveryId} and i.claim = ${claim}
    order by e.idx`);

  // A delivery that named someone erased on request keeps what was done, not what was sent.
  const eraseSuppressed = erasePayloadsStatement(
    db,
    sql`select inbox_id from webhook_inbox_events where inbox_id = ${mine} and status = 'suppressed'`,
    now,
  );

  return [...keep, settle, clearEvents, ...eventStatements, eraseSuppressed, outcome];
}

function eventStatementsOf(db: Database, plan: DeliveryPlan, event: PlannedLeadEvent, mine: SQL) {
  const { lead, ids, index } = event;
  const { now, source } = plan;
  const upsert = actionOf(event, "upsert_contact");
  const consent = actionOf(event, "set_consent");
  const logged = actionOf(event, "log_activity");

  // ---- 2. The event's contact: matched by email, then phone; made when the rule upserts ----
  const sameOrNoEmail = lead.email ? sql`(m.email is null or m.email = ${lead.email})` : sql`1`;
  const match = sql`coalesce(
      ${lead.email ? sql`(select m.id from contacts m where m.email = ${lead.email} and m.deleted_at is null)` : sql`null`},
      ${lead.phone ? sql`(select m.id from contacts m where m.phone = ${lead.phone} and m.deleted_at is null and ${sameOrNoEmail} order by m.created_at, m.id limit 1)` : sql`null`})`;
  const canCreate = upsert !== undefined && (lead.email !== null || lead.phone !== null);
  // Someone erased on request is not made again (a live contact with the address is a new person's, kept).
  const created = sql`case when ${event.notSuppressed} then ${ids.contact} end`;
  const contactOf =
    event.actions.length === 0 ? sql`null` : canCreate ? sql`coalesce(${match}, ${created})` : match;
  const status =
    event.actions.length === 0
      ? sql`'ignored'`
      : sql`case when c.id is not null then 'processed' when ${canCreate ? event.notSuppressed : sql`1`} then 'no_contact' else 'suppressed' end`;
  const settleEvent =
    db.run(sql`insert into webhook_inbox_events (inbox_id, idx, event_type, event_id, status, contact_id, actions)
    select ${mine}, ${index}, ${event.type}, ${event.eventId}, ${status}, c.id, ${JSON.stringify(event.actions.map((a) => a.type))}
    from (select ${contactOf} as id) c where ${mine} is not null`);

  const contact = sql`(select contact_id from webhook_inbox_events where inbox_id = ${mine} and idx = ${index})`;
  const isNew = sql`(${contact} = ${ids.contact})`;
  const isExisting = sql`(${contact} != ${ids.contact})`;
  const contactColumn = (column: string) =>
    sql`(select ${sql.raw(column)} from contacts where id = ${contact})`;
  const statements: BatchItem<"sqlite">[] = [settleEvent];

  if (upsert && canCreate)
    statements.push(...upsertStatements(db, plan, event, { contact, isNew, isExisting }));

  // ---- 3. Consent: an unsubscribe withdraws it, an opt-in grants it ----
  if (consent) {
    statements.push(
      db.run(sql`update contacts set email_consent = ${consent.emailConsent}, consent_at = ${now},
          consent_source = ${`webhook:${source.id}`}, version = version + 1, updated_at = ${now}
        where id = ${contact} and coalesce(email_consent, '') != ${consent.emailConsent}`),
    );
  }

  // ---- 4. The timeline entry ----
  if (logged) {
    const subject = (logged.subject ?? `${source.name}: {type}`).replaceAll("{type}", event.type ?? "event");
    const metadata = JSON.stringify({
      sourceId: source.id,
      sourceName: source.name,
      deliveryId: plan.data.deliveryId,
      eventType: event.type,
      eventId: event.eventId,
      formId: source.attribution.formId ?? null,
      utm: { ...source.attribution.utm, ...lead.utm },
      values: event.values,
      ...(lead.rawPhone && !lead.phone ? { unreadPhone: lead.rawPhone } : {}),
      ...(lead.skipped.length > 0 ? { skipped: lead.skipped } : {}),
    });
    statements.push(
      insertWhere(
        db,
        activities,
        {
          id: newId(),
          type: "webhook_event",
          occurredAt: event.occurredAt,
          actorUserId: null,
          contactId: contact,
          companyId: contactColumn("company_id"),
          subject: subject.slice(0, 300),
          body: summaryOf(event.values),
          metadata: sql`json_set(${metadata}, '$.inboxId', ${mine})`,
          createdAt: now,
        },
        sql`${contact} is not null`,
      ),
    );
  }
  return statements;
}

function upsertStatements(
  db: Database,
  plan: DeliveryPlan,
  event: PlannedLeadEvent,
  refs: { contact: SQL; isNew: SQL; isExisting: SQL },
): BatchItem<"sqlite">[] {
  const { lead, ids } = event;
  const { now, source } = plan;
  const { contact, isNew, isExisting } = refs;
  const upsert = actionOf(event, "upsert_contact");
  const owner = source.defaultOwnerId
    ? sql`(select id from users where id = ${source.defaultOwnerId} and active = 1)`
    : sql`null`;
  const firstTeam = sql`(select team_id from team_members where user_id = ${owner} order by team_id limit 1)`;

  // The company: by domain (or by its exact name when there is none), made when missing.
  const { companyId: companyMatch, statements: companyStatements } = leadCompanyStatements(db, {
    company: lead.company,
    id: ids.company,
    contact,
    isNew,
    ownerId: owner,
    teamId: firstTeam,
    now,
  });

  const utm = { ...source.attribution.utm, ...lead.utm };
  const touch = Object.keys(utm).length > 0 ? JSON.stringify({ ...utm, at: event.occurredAt }) : null;
  const stage = upsert?.lifecycleStage ?? "lead";
  const leadStatus = upsert?.leadStatus ?? null;
  const origin = `Webhook: ${source.name}`.slice(0, 200);
  const custom = JSON.stringify(lead.custom);
  const advances = (column: SQL) =>
    sql`(${rank(sql`${stage}`)} > ${rank(column)} and ${column} not in ('disqualified', 'churned'))`;
  const appendTo = (column: string, value: string | null) =>
    value === null
      ? sql.raw(column)
      : sql`(case when exists (select 1 from json_each(${sql.raw(column)}) where value = ${value}) then ${sql.raw(column)}
          else json_insert(${sql.raw(column)}, '$[#]', ${value}) end)`;

  const lifecycleChange = upsert?.lifecycleStage
    ? [
        db.run(sql`insert into activities (id, type, occurred_at, actor_user_id, contact_id, metadata, created_at)
          select ${newId()}, 'lifecycle_change', ${now}, null, c.id, json_object('from', c.lifecycle_stage, 'to', ${stage}, 'webhookSourceId', ${source.id}), ${now}
          from contacts c where c.id = ${contact} and ${isExisting} and ${advances(sql`c.lifecycle_stage`)}`),
      ]
    : [];

  const createContact = insertWhere(
    db,
    contacts,
    {
      id: ids.contact,
      firstName: lead.firstName,
      lastName: lead.lastName,
      name: lead.displayName,
      email: lead.email,
      emails: JSON.stringify(lead.email ? [lead.email] : []),
      phone: lead.phone,
      phones: JSON.stringify(lead.phone ? [lead.phone] : []),
      companyId: companyMatch,
      jobTitle: lead.jobTitle,
      address: lead.address,
      lifecycleStage: stage,
      leadStatus,
      source: origin,
      firstTouch: touch,
      latestTouch: touch,
      custom,
      ownerId: owner,
      teamId: firstTeam,
      createdAt: now,
      updatedAt: now,
    },
    isNew,
  );
  const updateContact = db.run(sql`update contacts set
      first_name = coalesce(${lead.firstName}, first_name),
      last_name = coalesce(${lead.lastName}, last_name),
      name = coalesce(${lead.givenName}, name),
      email = coalesce(email, ${lead.email}),
      emails = ${appendTo("emails", lead.email)},
      phone = coalesce(phone, ${lead.phone}),
      phones = ${appendTo("phones", lead.phone)},
      company_id = coalesce(company_id, ${companyMatch}),
      job_title = coalesce(${lead.jobTitle}, job_title),
      address = coalesce(${lead.address}, address),
      lifecycle_stage = case when ${advances(sql`lifecycle_stage`)} then ${stage} else lifecycle_stage end,
      lead_status = coalesce(lead_status, ${leadStatus}),
      source = coalesce(source, ${origin}),
      first_touch = coalesce(first_touch, ${touch}),
      latest_touch = coalesce(${touch}, latest_touch),
      custom = json_patch(custom, ${custom}),
      owner_id = coalesce(owner_id, ${owner}),
      team_id = case when owner_id is null then ${firstTeam} else team_id end,
      version = version + 1,
      updated_at = ${now}
    where id = ${contact} and ${isExisting}`);

  return [...companyStatements, ...lifecycleChange, createContact, updateContact];
}
