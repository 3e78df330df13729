// Data-subject requests about a contact: everything held about them (one read), their consent history (from
// the domain events that recorded each decision, and the forms that asked), and erasure. An erasure is asked
// for in the request's batch and done in the background (its email and phones must be read to be hashed for
// the suppression list): personal data anonymised on the contact, its timeline, submissions, emails and
// notifications, and the recorded events scrubbed; the contact is deleted; the hashes stay.
import { sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { denyUnless } from "../access.ts";
import type { RequestOrigin } from "../audit.ts";
import { callerAuditStatement } from "../audit-queries.ts";
import { type CallerRef, callerUserId, canSeeRecord } from "../caller.ts";
import type { Database } from "../client.ts";
import { contactByIdQuery } from "../contacts/queries.ts";
import { newId } from "../ids.ts";
import { privacyRequests } from "../schema/index.ts";
import { erasePayloadsStatement } from "../webhooks-in/inbox.ts";

/** The contact exists (live or deleted) and the caller may see it. */
function contactVisible(me: CallerRef, id: string) {
  return sql`exists (select 1 from contacts c where c.id = ${id} and ${canSeeRecord(me, sql`c.owner_id`, sql`c.team_id`)})`;
}

/** Everything about a contact, as separate queries of one batch (see personalDataView). */
export function personalDataQueries(
  db: Database,
  me: CallerRef,
  id: string,
  origin: RequestOrigin,
  now: number,
) {
  const visible = contactVisible(me, id);
  const rows = (query: ReturnType<typeof sql>) =>
    db.all<Record<string, unknown>>(sql`select * from (${query}) where ${visible}`);
  return [
    contactByIdQuery(db, id),
    db.all<{ visible: number }>(sql`select ${visible} as visible`),
    rows(
      sql`select id, type, occurred_at, subject, body, metadata, company_id, deal_id, created_at from activities where contact_id = ${id} order by occurred_at, id`,
    ),
    rows(
      sql`select d.id, d.name, d.amount, d.currency, d.status, d.stage_id, d.created_at from deals d join deal_contacts dc on dc.deal_id = d.id where dc.contact_id = ${id} order by d.id`,
    ),
    rows(
      sql`select id, title, notes, due_at, status, created_at from tasks where contact_id = ${id} order by id`,
    ),
    rows(
      sql`select id, form_id, status, payload, email, name, page_url, referrer, utm, user_agent, client_ip, received_at from form_submissions where contact_id = ${id} order by received_at`,
    ),
    rows(
      sql`select id, channel, recipient, subject, status, created_at, sent_at from outbox where contact_id = ${id} order by created_at`,
    ),
    rows(sql`select kind, at, form_id from scoring_events where contact_id = ${id} order by at`),
    consentHistoryQuery(db, id),
    callerAuditStatement(
      db,
      me,
      { action: "contact.data_exported", targetType: "contact", targetId: id },
      origin,
      now,
      { when: visible },
    ),
  ] as const;
}

export interface ConsentEntry {
  at: number;
  consent: "granted" | "withdrawn" | null;
  source: string | null;
  how: string;
}

/**
 * Each consent decision: the value the contact was made with and every change since (domain events record
 * them with their cause), and each form submission that carried the consent box.
 */
export function consentHistoryQuery(db: Database, id: string) {
  return db.all<ConsentEntry>(sql`select * from (
      select coalesce(json_extract(e.data, '$.after.consentAt'), e.created_at) as at, json_extract(e.data, '$.after.emailConsent') as consent,
        json_extract(e.data, '$.after.consentSource') as source,
        case e.type when 'contact.created' then 'set when the contact was made' else 'changed' end
          || coalesce(' by user ' || json_extract(e.cause, '$.actorId'), '') as how
      from domain_events e where e.record_type = 'contact' and e.record_id = ${id}
        and (e.type = 'contact.consent_changed' or (e.type = 'contact.created' and json_extract(e.data, '$.after.emailConsent') is not null))
      union all
      select a.occurred_at, 'granted', 'form:' || json_extract(a.metadata, '$.formId'), 'given on the form "' || coalesce(json_extract(a.metadata, '$.formName'), '') || '"'
      from activities a where a.contact_id = ${id} and a.type = 'form_submission' and json_extract(a.metadata, '$.consent') = 1)
    order by at`);
}

/** Asks for an erasure: the request row and its audit entry, when the caller may see the contact. */
export function requestErasureStatements(
  db: Database,
  me: CallerRef,
  contactId: string,
  reason: string | null,
  origin: RequestOrigin,
  now: number,
) {
  const id = newId();
  return [
    denyUnless(db, contactVisible(me, contactId), "not_found"),
    db
      .insert(privacyRequests)
      .values({
        id,
        kind: "erase",
        contactId,
        status: "pending",
        requestedBy: callerUserId(me),
        reason,
        createdAt: now,
      })
      .returning(),
    callerAuditStatement(
      db,
      me,
      {
        action: "contact.erased",
        targetType: "contact",
        targetId: contactId,
        changes: { requestId: id, reason },
      },
      origin,
      now,
    ),
  ] as const;
}

export function privacyRequestQuery(db: Database, id: string) {
  return db.select().from(privacyRequests).where(sql`${privacyRequests.id} = ${id}`);
}

/** What erasing needs to read: the request, and the contact's emails and phones (to hash them). */
export function erasureReadQuery(db: Database, requestId: string) {
  return db.all<{ status: string; contactId: string; emails: string | null; phones: string | null }>(
    sql`select r.status as status, r.contact_id as contactId, c.emails as emails, c.phones as phones
      from privacy_requests r left join contacts c on c.id = r.contact_id where r.id = ${requestId}`,
  );
}

const SCRUBBED = (alias: string) =>
  sql.raw(`json_object('before', case when json_extract(${alias}.data, '$.before') is null then null else json_object('id', ${alias}.record_id, 'erased', 1) end,
    'after', case when json_extract(${alias}.data, '$.after') is null then null else json_object('id', ${alias}.record_id, 'erased', 1) end)`);

/**
 * The erasure, in one batch: guarded on the request still pending and the values read still the contact's (so
 * the hashes are of what is erased). Suppression first, then anonymisation, then the events that recorded the
 * old values (the anonymising update records one too, so it is scrubbed with the rest).
 */
export function erasureStatements(
  db: Database,
  request: { id: string; contactId: string; emails: string | null; phones: string | null },
  hashes: readonly { kind: "email" | "phone"; hash: string }[],
  now: number,
): BatchItem<"sqlite">[] {
  const c = request.contactId;
  return [
    denyUnless(
      db,
      sql`exists (select 1 from privacy_requests where id = ${request.id} and status = 'pending')
        and coalesce((select emails from contacts where id = ${c}), '') = ${request.emails ?? ""}
        and coalesce((select phones from contacts where id = ${c}), '') = ${request.phones ?? ""}`,
      "conflict",
    ),
    db.run(sql`insert or ignore into suppressions (hash, kind, request_id, created_at)
      select value ->> 'hash', value ->> 'kind', ${request.id}, ${now} from json_each(${JSON.stringify(hashes)})`),
    db.run(sql`update contacts set first_name = null, last_name = null, name = 'Erased contact', email = null, emails = '[]',
        phone = null, phones = '[]', job_title = null, address = null, source = null, first_touch = null, latest_touch = null,
        email_consent = null, consent_at = null, consent_source = null, custom = '{}',
        deleted_at = coalesce(deleted_at, ${now}), version = version + 1, updated_at = ${now}
      where id = ${c}`),
    db.run(sql`delete from contact_tags where contact_id = ${c}`),
    db.run(sql`update activities set subject = null, body = null, metadata = '{}' where contact_id = ${c}`),
    db.run(sql`update form_submissions set payload = '{}', email = null, name = null, page_url = null, referrer = null,
        utm = null, user_agent = null, client_ip = null, visitor_id = null, fingerprint = null where contact_id = ${c}`),
    db.run(sql`update outbox set recipient = 'erased', subject = '(erased)', body = '', html = null,
        status = case when status in ('pending', 'sending') then 'failed' else status end,
        last_error = case when status in ('pending', 'sending') then 'The contact was erased on request.' else last_error end
      where contact_id = ${c}`),
    db.run(sql`update notifications set title = '(erased contact)', body = '' where contact_id = ${c}`),
    erasePayloadsStatement(db, sql`select inbox_id from webhook_inbox_events where contact_id = ${c}`, now),
    db.run(sql`update domain_events set data = ${SCRUBBED("domain_events")}
      where (record_type = 'contact' and record_id = ${c})
        or (record_type = 'activity' and record_id in (select id from activities where contact_id = ${c}))`),
    db.run(sql`delete from duplicate_keys where record_type = 'contact' and record_id = ${c}`),
    db.run(sql`update privacy_requests set status = 'done', finished_at = ${now} where id = ${request.id}`),
  ];
}
