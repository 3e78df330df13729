// The capture consumer's one write batch. A batch cannot read between its statements, so every decision that
// depends on rows is made in SQL: the first statement settles the submission's fate (spam by address count,
// double click, processed) and stamps it with this run's claim; every later statement acts only when the row
// carries that claim and "processed", so a second delivery (whose first statement finds the row already
// settled) changes nothing. The contact is matched in SQL too (email, then phone, then visitor id), and the
// statements after it read the chosen id back from the submission row.

import { type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Database } from "../../db/client.ts";
import { newId } from "../../db/ids.ts";
import { isSuppressedSql, SUPPRESSED_NOTE } from "../../db/privacy/suppression.ts";
import {
  activities,
  contacts,
  dealContacts,
  dealStageHistory,
  deals,
  outbox,
} from "../../db/schema/index.ts";
import { insertWhere } from "../../db/statements.ts";
import type { StoredDefinition } from "../../functions/forms/definition.ts";
import type { SpamReason } from "../../functions/forms/spam.ts";
import { notifyStatements } from "../outbound/notify.ts";
import { leadCompanyStatements } from "./company.ts";
import type { Lead } from "./lead.ts";
import type { CaptureData, Utm } from "./message.ts";
import { leadOwner } from "./owner.ts";

/** Equal fingerprints this close together are one lead (a double click, a retry after a slow answer). */
export const DUPLICATE_WINDOW_MS = 10 * 60_000;

function rank(stage: SQL): SQL {
  // disqualified and churned have no rank: a form never moves a contact into or out of them.
  return sql`(case ${stage} when 'subscriber' then 0 when 'lead' then 1 when 'mql' then 2 when 'sql' then 3
    when 'opportunity' then 4 when 'customer' then 5 when 'evangelist' then 6 else null end)`;
}

export interface CapturePlan {
  data: CaptureData;
  form: { id: string; name: string; defaultOwnerId: string | null; definition: StoredDefinition };
  /** This run's mark on the row it settles. */
  claim: string;
  now: number;
  /** Spam reasons found in code (the address count is found in SQL). */
  spam: SpamReason[];
  /** Why it failed (field errors as JSON, or a sentence); null when it did not. */
  failure: string | null;
  ipLimit: { max: number; windowMs: number } | null;
  lead: Lead;
  values: Record<string, unknown>;
  summary: string;
  consent: boolean;
  fingerprint: string | null;
  dealName: string | null;
  /** Hashes of the lead's email and phone (db/privacy/suppression.ts): an erased person is not made again. */
  suppression?: { hash: string }[];
}

export interface CaptureIds {
  contact: string;
  company: string;
  deal: string;
}

/** The payload kept on the row: what was posted, without the Turnstile token (single-use, and a secret of sorts). */
export function keptPayload(data: CaptureData): string {
  return JSON.stringify({ ...data, turnstile: { ...data.turnstile, token: null } });
}

function touchOf(data: CaptureData): string | null {
  const utm: Utm = data.utm;
  if (Object.values(utm).every((v) => v === undefined)) return null;
  return JSON.stringify({ ...utm, at: data.receivedAt });
}

export function captureStatements(db: Database, plan: CapturePlan, ids: CaptureIds) {
  const { data, lead, now, claim } = plan;
  const sid = data.submissionId;
  const rcv = data.receivedAt;
  const definition = plan.form.definition;

  // ---- 1. The submission's fate ----
  const duplicateOf = plan.fingerprint
    ? sql`(select d.id from form_submissions d where d.form_id = ${plan.form.id} and d.fingerprint = ${plan.fingerprint}
        and d.status = 'processed' and d.id != ${sid}
        and d.received_at between ${rcv - DUPLICATE_WINDOW_MS} and ${rcv + DUPLICATE_WINDOW_MS}
        order by d.received_at, d.id limit 1)`
    : sql`null`;
  const overIpLimit =
    plan.ipLimit && data.ip
      ? sql`((select count(*) from form_submissions i where i.form_id = ${plan.form.id} and i.client_ip = ${data.ip}
          and i.id != ${sid} and i.status != 'duplicate'
          and i.received_at > ${rcv - plan.ipLimit.windowMs} and i.received_at <= ${rcv}) >= ${plan.ipLimit.max})`
      : sql`0`;
  const codeSpam = plan.spam.length > 0;
  const status = codeSpam
    ? sql`'spam'`
    : plan.failure !== null
      ? sql`(case when ${overIpLimit} then 'spam' else 'failed' end)`
      : sql`(case when ${overIpLimit} then 'spam' when ${duplicateOf} is not null then 'duplicate' else 'processed' end)`;
  const reasons = codeSpam
    ? sql`${JSON.stringify(plan.spam)}`
    : sql`(case when ${overIpLimit} then '["ip_limit"]' else '[]' end)`;
  const duplicate =
    codeSpam || plan.failure !== null
      ? sql`null`
      : sql`(case when ${overIpLimit} then null else ${duplicateOf} end)`;

  const settle =
    db.run(sql`insert into form_submissions (id, form_id, status, spam_reasons, payload, email, name,
      page_url, referrer, utm, user_agent, client_ip, origin, visitor_id, fingerprint, duplicate_of, contact_id, deal_id,
      error, attempts, claim, received_at, processed_at, updated_at)
    values (${sid}, ${plan.form.id}, ${status}, ${reasons}, ${keptPayload(data)}, ${lead.email}, ${lead.givenName ?? lead.displayName},
      ${data.page.url}, ${data.page.referrer}, ${JSON.stringify(data.utm)}, ${data.userAgent}, ${data.ip}, ${data.origin},
      ${data.visitorId}, ${plan.fingerprint}, ${duplicate}, null, null, ${plan.failure}, 1, ${claim}, ${rcv}, ${now}, ${now})
    on conflict (id) do update set status = excluded.status, spam_reasons = excluded.spam_reasons,
      payload = excluded.payload, email = excluded.email, name = excluded.name, fingerprint = excluded.fingerprint,
      duplicate_of = excluded.duplicate_of, contact_id = null, deal_id = null, error = excluded.error,
      attempts = form_submissions.attempts + 1, claim = excluded.claim, processed_at = excluded.processed_at,
      updated_at = excluded.updated_at
    where form_submissions.status = 'received'`);

  // ---- 2. The contact: matched, or a new one ----
  const sameOrNoEmail = (alias: string) =>
    lead.email ? sql`(${sql.raw(alias)}.email is null or ${sql.raw(alias)}.email = ${lead.email})` : sql`1`;
  const match = sql`coalesce(
      ${lead.email ? sql`(select m.id from contacts m where m.email = ${lead.email} and m.deleted_at is null)` : sql`null`},
      ${lead.phone ? sql`(select m.id from contacts m where m.phone = ${lead.phone} and m.deleted_at is null and ${sameOrNoEmail("m")} order by m.created_at, m.id limit 1)` : sql`null`},
      ${data.visitorId ? sql`(select m.id from form_submissions v join contacts m on m.id = v.contact_id where v.visitor_id = ${data.visitorId} and v.id != ${sid} and m.deleted_at is null and ${sameOrNoEmail("m")} order by v.received_at desc limit 1)` : sql`null`})`;
  const chooseContact = db.run(sql`update form_submissions set contact_id = case
      when status = 'duplicate' then (select d.contact_id from form_submissions d where d.id = form_submissions.duplicate_of)
      else coalesce(${match}, ${ids.contact}) end
    where id = ${sid} and claim = ${claim} and status in ('processed', 'duplicate')`);

  // An erased person (db/privacy/suppression.ts) is not made again: the row keeps no contact and none of the data.
  const suppressed = plan.suppression?.length
    ? [
        db.run(sql`update form_submissions set contact_id = null, error = ${SUPPRESSED_NOTE}, payload = '{}', email = null,
          name = null, page_url = null, referrer = null, user_agent = null, client_ip = null, visitor_id = null
        where id = ${sid} and claim = ${claim} and status = 'processed' and contact_id = ${ids.contact}
          and ${isSuppressedSql(plan.suppression)}`),
      ]
    : [];

  /** The contact this run works on: null unless this run settled the row as processed. */
  const contact = sql`(select s.contact_id from form_submissions s where s.id = ${sid} and s.claim = ${claim} and s.status = 'processed')`;
  const isNew = sql`(${contact} = ${ids.contact})`;
  const isExisting = sql`(${contact} != ${ids.contact})`;
  const owner = leadOwner({ formId: plan.form.id, defaultOwnerId: plan.form.defaultOwnerId });
  const firstTeam = (user: SQL) =>
    sql`(select team_id from team_members where user_id = ${user} order by team_id limit 1)`;

  // ---- 3. The company: by domain (or by its exact name when there is none), made when missing ----
  const { companyId, statements: companyStatements } = leadCompanyStatements(db, {
    company: lead.company,
    id: ids.company,
    contact,
    isNew,
    ownerId: owner,
    teamId: firstTeam(owner),
    now,
  });

  // ---- 4. Lifecycle (never backwards), then the contact itself ----
  const stage = definition.lifecycleStage;
  const advances = (column: SQL) =>
    sql`(${rank(sql`${stage}`)} > ${rank(column)} and ${column} not in ('disqualified', 'churned'))`;
  const lifecycleChange =
    db.run(sql`insert into activities (id, type, occurred_at, actor_user_id, contact_id, metadata, created_at)
    select ${newId()}, 'lifecycle_change', ${now}, null, c.id, json_object('from', c.lifecycle_stage, 'to', ${stage}, 'formId', ${plan.form.id}), ${now}
    from contacts c where c.id = ${contact} and ${isExisting} and ${advances(sql`c.lifecycle_stage`)}`);

  const touch = touchOf(data);
  const source = `Form: ${plan.form.name}`.slice(0, 200);
  const consentSource = `form:${plan.form.id}`;
  const custom = JSON.stringify(lead.custom);
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
      companyId,
      jobTitle: lead.jobTitle,
      address: lead.address,
      lifecycleStage: stage,
      leadStatus: definition.leadStatus,
      source,
      firstTouch: touch,
      latestTouch: touch,
      emailConsent: plan.consent ? "granted" : null,
      consentAt: plan.consent ? now : null,
      consentSource: plan.consent ? consentSource : null,
      custom,
      ownerId: owner,
      teamId: firstTeam(owner),
      createdAt: now,
      updatedAt: now,
    },
    isNew,
  );
  const appendTo = (column: string, value: string | null) =>
    value === null
      ? sql.raw(column)
      : sql`(case when exists (select 1 from json_each(${sql.raw(column)}) where value = ${value}) then ${sql.raw(column)}
          else json_insert(${sql.raw(column)}, '$[#]', ${value}) end)`;
  const updateContact = db.run(sql`update contacts set
      first_name = coalesce(${lead.firstName}, first_name),
      last_name = coalesce(${lead.lastName}, last_name),
      name = coalesce(${lead.givenName}, name),
      email = coalesce(email, ${lead.email}),
      emails = ${appendTo("emails", lead.email)},
      phone = coalesce(phone, ${lead.phone}),
      phones = ${appendTo("phones", lead.phone)},
      company_id = coalesce(company_id, ${companyId}),
      job_title = coalesce(${lead.jobTitle}, job_title),
      address = coalesce(${lead.address}, address),
      lifecycle_stage = case when ${advances(sql`lifecycle_stage`)} then ${stage} else lifecycle_stage end,
      lead_status = coalesce(lead_status, ${definition.leadStatus}),
      source = coalesce(source, ${source}),
      first_touch = coalesce(first_touch, ${touch}),
      latest_touch = coalesce(${touch}, latest_touch),
      email_consent = ${plan.consent ? sql`'granted'` : sql`email_consent`},
      consent_at = ${plan.consent ? sql`${now}` : sql`consent_at`},
      consent_source = ${plan.consent ? sql`${consentSource}` : sql`consent_source`},
      custom = json_patch(custom, ${custom}),
      owner_id = coalesce(owner_id, ${owner}),
      team_id = case when owner_id is null then ${firstTeam(owner)} else team_id end,
      version = version + 1,
      updated_at = ${now}
    where id = ${contact} and ${isExisting}`);

  // ---- 5. The deal, when the form opens one ----
  const contactColumn = (column: string) =>
    sql`(select ${sql.raw(column)} from contacts where id = ${contact})`;
  const dealMade = sql`exists (select 1 from deals where id = ${ids.deal})`;
  const dealStatements: BatchItem<"sqlite">[] = [];
  if (definition.deal && plan.dealName) {
    const { pipelineId, stageId, amount, currency } = definition.deal;
    const dealStage = stageId
      ? sql`${stageId}`
      : sql`(select id from stages where pipeline_id = ${pipelineId} and archived_at is null order by position, id limit 1)`;
    const outcome = sql`(select outcome from stages where id = ${dealStage})`;
    dealStatements.push(
      insertWhere(
        db,
        deals,
        {
          id: ids.deal,
          name: plan.dealName,
          amount,
          currency,
          pipelineId,
          stageId: dealStage,
          stageEnteredAt: now,
          status: sql`coalesce(${outcome}, 'open')`,
          closedAt: sql`case when ${outcome} is null then null else ${now} end`,
          companyId: contactColumn("company_id"),
          ownerId: contactColumn("owner_id"),
          teamId: contactColumn("team_id"),
          createdAt: now,
          updatedAt: now,
        },
        sql`${contact} is not null and exists (select 1 from stages st join pipelines p on p.id = st.pipeline_id
          where st.id = ${dealStage} and st.pipeline_id = ${pipelineId} and st.archived_at is null and p.archived_at is null)`,
      ),
      insertWhere(db, dealContacts, { dealId: ids.deal, contactId: contact }, dealMade),
      insertWhere(
        db,
        dealStageHistory,
        { id: newId(), dealId: ids.deal, stageId: dealStage, enteredAt: now, movedBy: null },
        dealMade,
      ),
      db.run(sql`update form_submissions set deal_id = ${ids.deal} where id = ${sid} and ${dealMade}`),
    );
  }

  // ---- 6. The timeline entry, the notifications ----
  const metadata = JSON.stringify({
    formId: plan.form.id,
    formName: plan.form.name,
    submissionId: sid,
    page: data.page,
    utm: data.utm,
    values: plan.values,
    consent: plan.consent,
    ...(lead.rawPhone && !lead.phone ? { unreadPhone: lead.rawPhone } : {}),
    ...(lead.skipped.length > 0 ? { skipped: lead.skipped } : {}),
  });
  const activity = insertWhere(
    db,
    activities,
    {
      id: newId(),
      type: "form_submission",
      occurredAt: rcv,
      actorUserId: null,
      contactId: contact,
      companyId: contactColumn("company_id"),
      dealId: dealStatements.length > 0 ? sql`(select id from deals where id = ${ids.deal})` : null,
      subject: `Submitted "${plan.form.name}"`.slice(0, 300),
      body: plan.summary,
      metadata,
      createdAt: now,
    },
    sql`${contact} is not null`,
  );

  const subject = `New lead from "${plan.form.name}": ${lead.displayName}`.slice(0, 300);
  const body = sql`${`${plan.summary}\n\nContact id: `} || ${contact}`;
  const notifications: BatchItem<"sqlite">[] = [];
  if (definition.notify.owner) {
    // The owner as this batch leaves the contact, through their own channels for a new lead; only when this
    // run processed the submission, and keyed by it besides.
    notifications.push(
      ...notifyStatements(
        db,
        {
          userId: contactColumn("owner_id"),
          kind: "lead_assigned",
          title: subject,
          body: sql`${plan.summary}`,
          link: sql`'/contacts/' || ${contact}`,
          contactId: contact,
          dedupeKey: `form.lead:${sid}`,
          template: "form.lead",
          when: sql`${contact} is not null`,
        },
        now,
      ),
    );
  }
  // Addresses the form names are not users: a plain email each, with no channel choices.
  for (const recipient of definition.notify.emails) {
    notifications.push(
      insertWhere(
        db,
        outbox,
        {
          id: newId(),
          channel: "email",
          recipient,
          subject,
          body,
          template: "form.lead",
          status: "pending",
          createdAt: now,
        },
        sql`${contact} is not null`,
      ),
    );
  }

  const outcome = db.all<{
    status: string;
    contactId: string | null;
    dealId: string | null;
    companyId: string | null;
    created: number;
  }>(sql`select s.status as status, s.contact_id as contactId, s.deal_id as dealId,
      (select company_id from contacts where id = s.contact_id) as companyId, coalesce(s.contact_id = ${ids.contact}, 0) as created
    from form_submissions s where s.id = ${sid} and s.claim = ${claim}`);

  return [
    settle,
    chooseContact,
    ...suppressed,
    ...companyStatements,
    lifecycleChange,
    createContact,
    updateContact,
    ...dealStatements,
    activity,
    ...notifications,
    outcome,
  ] as const;
}
