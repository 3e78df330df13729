// Merging two contacts, or two companies, in one batch: the merged record is deleted first (freeing its unique
// email or domain), the survivor takes the value chosen for each field (by default its own, or the merged one's
// where it has none), everything that pointed at the merged record moves to the survivor (timeline, deals,
// tasks, tags, submissions, engagement), the merged id redirects to the survivor from then on, and the merge is
// on the survivor's timeline and in the audit log.
import { type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { denyUnless } from "../access.ts";
import { callerAuditStatement } from "../audit-queries.ts";
import { type CallerRef, callerUserId, canSeeRecord, canWriteRecord } from "../caller.ts";
import type { Database } from "../client.ts";
import { newId } from "../ids.ts";
import type { WriteContext } from "../statements.ts";

export type MergeSide = "survivor" | "merged";

/** The fields a contact merge chooses between, and their columns. */
export const CONTACT_FIELDS = {
  name: ["name"],
  firstName: ["first_name"],
  lastName: ["last_name"],
  email: ["email"],
  phone: ["phone"],
  companyId: ["company_id"],
  jobTitle: ["job_title"],
  address: ["address"],
  lifecycleStage: ["lifecycle_stage"],
  leadStatus: ["lead_status"],
  source: ["source"],
  firstTouch: ["first_touch"],
  latestTouch: ["latest_touch"],
  consent: ["email_consent", "consent_at", "consent_source"],
  owner: ["owner_id", "team_id"],
  custom: ["custom"],
} as const;

export const COMPANY_FIELDS = {
  name: ["name"],
  domain: ["domain"],
  industry: ["industry"],
  size: ["size"],
  country: ["country"],
  owner: ["owner_id", "team_id"],
  custom: ["custom"],
} as const;

export type ContactField = keyof typeof CONTACT_FIELDS;
export type CompanyField = keyof typeof COMPANY_FIELDS;

export interface MergeRequest<F extends string> {
  survivorId: string;
  mergedId: string;
  /** Which record's value each field keeps; unnamed fields keep the survivor's, or the merged one's when it has none. */
  pick: Partial<Record<F, MergeSide>>;
}

/** `col = …` for one field: the chosen side's value, falling back to the other side's when it is empty. */
function chosen(
  columns: readonly string[],
  side: MergeSide | undefined,
  table: string,
  fallback: boolean,
): SQL[] {
  const first = side === "merged" ? "m" : table;
  const second = side === "merged" ? table : "m";
  // A field of several columns (consent, owner and team) moves as a whole, decided on its first column.
  const lead = columns[0] as string;
  return columns.map((column) =>
    fallback
      ? sql.raw(
          `${column} = case when ${first}.${lead} is not null then ${first}.${column} else ${second}.${column} end`,
        )
      : sql.raw(`${column} = ${first}.${column}`),
  );
}

/** Tables whose `contact_id` moves to the survivor (none of them holds a contact twice). */
const CONTACT_LINKS = [
  "activities",
  "tasks",
  "form_submissions",
  "scoring_events",
  "notifications",
  "outbox",
  "assignments",
  "webhook_inbox_events",
] as const;

export function mergeContactsStatements(
  db: Database,
  me: CallerRef,
  request: MergeRequest<ContactField>,
  ctx: WriteContext,
) {
  const { survivorId: s, mergedId: m } = request;
  const { now } = ctx;
  const both = bothWritable(me, "contacts", s, m);
  const setters: SQL[] = [];
  for (const [field, columns] of Object.entries(CONTACT_FIELDS) as [ContactField, readonly string[]][]) {
    const side = request.pick[field];
    if (field === "custom") {
      setters.push(
        side === "merged"
          ? sql`custom = json_patch(contacts.custom, m.custom)`
          : sql`custom = json_patch(m.custom, contacts.custom)`,
      );
    } else if (field === "consent" && side === undefined) {
      // The newer consent decision stands, from whichever record holds it.
      setters.push(
        ...columns.map((column) =>
          sql.raw(
            `${column} = case when coalesce(m.consent_at, 0) > coalesce(contacts.consent_at, 0) then m.${column} else contacts.${column} end`,
          ),
        ),
      );
    } else {
      setters.push(...chosen(columns, side, "contacts", side === undefined));
    }
  }
  const primaryFirst = (column: "emails" | "phones", primary: "email" | "phone") =>
    sql.raw(`${column} = (select json_group_array(value) from (select value from (
      select contacts.${primary} as value, 0 as o, 0 as k where contacts.${primary} is not null
      union all select j.value, 1, j.key from json_each(contacts.${column}) j
      union all select j.value, 2, j.key from json_each(m.${column}) j) group by value order by min(o), min(k)))`);
  const merged = sql`(select json_object('name', name, 'email', email, 'emails', json(emails), 'phone', phone, 'phones', json(phones),
    'companyId', company_id, 'ownerId', owner_id) from contacts where id = ${m})`;
  return [
    denyUnless(db, both, "not_found"),
    // The survivor's timeline tells of the merge and what the merged record held (before it is changed).
    db.run(sql`insert into activities (id, type, occurred_at, actor_user_id, contact_id, subject, metadata, created_at)
      select ${newId()}, 'system', ${now}, ${callerUserId(me)}, ${s}, 'Merged with ' || c.name,
        json_object('merge', json_object('mergedId', ${m}, 'merged', json(${merged}), 'pick', json(${JSON.stringify(request.pick)}))), ${now}
      from contacts c where c.id = ${m}`),
    db.run(
      sql`update contacts set deleted_at = ${now}, version = version + 1, updated_at = ${now} where id = ${m}`,
    ),
    // Two statements: the first sets the fields (the email chosen may be the merged one's, free now), the
    // second puts the primary email and phone first in their lists, with both records' others after.
    db.run(sql`update contacts set ${sql.join(setters, sql`, `)}
      from (select * from contacts where id = ${m}) m where contacts.id = ${s}`),
    // The version goes up here, so the contact.updated event carries the survivor as the merge left it.
    db.run(sql`update contacts set ${primaryFirst("emails", "email")}, ${primaryFirst("phones", "phone")},
        version = contacts.version + 1, updated_at = ${now}
      from (select * from contacts where id = ${m}) m where contacts.id = ${s}`),
    ...CONTACT_LINKS.map((table) =>
      db.run(sql`update ${sql.raw(table)} set contact_id = ${s} where contact_id = ${m}`),
    ),
    db.run(
      sql`insert or ignore into deal_contacts (deal_id, contact_id) select deal_id, ${s} from deal_contacts where contact_id = ${m}`,
    ),
    db.run(sql`delete from deal_contacts where contact_id = ${m}`),
    db.run(
      sql`insert or ignore into contact_tags (contact_id, tag) select ${s}, tag from contact_tags where contact_id = ${m}`,
    ),
    db.run(sql`delete from contact_tags where contact_id = ${m}`),
    // Sequences hold one active enrolment per contact and sequence: the merged one's moves unless the survivor has one.
    db.run(sql`update sequence_enrolments set contact_id = ${s} where contact_id = ${m}
      and (status != 'active' or not exists (select 1 from sequence_enrolments e where e.contact_id = ${s}
        and e.sequence_id = sequence_enrolments.sequence_id and e.status = 'active'))`),
    ...redirectStatements(db, "contact", s, m, now),
    callerAuditStatement(
      db,
      me,
      {
        action: "record.merged",
        targetType: "contact",
        targetId: s,
        changes: { mergedId: m, pick: request.pick },
      },
      ctx.origin,
      now,
    ),
  ] satisfies BatchItem<"sqlite">[];
}

export function mergeCompaniesStatements(
  db: Database,
  me: CallerRef,
  request: MergeRequest<CompanyField>,
  ctx: WriteContext,
) {
  const { survivorId: s, mergedId: m } = request;
  const { now } = ctx;
  const setters: SQL[] = [];
  for (const [field, columns] of Object.entries(COMPANY_FIELDS) as [CompanyField, readonly string[]][]) {
    const side = request.pick[field];
    if (field === "custom") {
      setters.push(
        side === "merged"
          ? sql`custom = json_patch(companies.custom, m.custom)`
          : sql`custom = json_patch(m.custom, companies.custom)`,
      );
    } else setters.push(...chosen(columns, side, "companies", side === undefined));
  }
  return [
    denyUnless(db, bothWritable(me, "companies", s, m), "not_found"),
    db.run(sql`insert into activities (id, type, occurred_at, actor_user_id, company_id, subject, metadata, created_at)
      select ${newId()}, 'system', ${now}, ${callerUserId(me)}, ${s}, 'Merged with ' || c.name,
        json_object('merge', json_object('mergedId', ${m}, 'merged', json_object('name', c.name, 'domain', c.domain),
          'pick', json(${JSON.stringify(request.pick)}))), ${now}
      from companies c where c.id = ${m}`),
    db.run(
      sql`update companies set deleted_at = ${now}, version = version + 1, updated_at = ${now} where id = ${m}`,
    ),
    db.run(sql`update companies set ${sql.join(setters, sql`, `)}, version = companies.version + 1, updated_at = ${now}
      from (select * from companies where id = ${m}) m where companies.id = ${s}`),
    ...["contacts", "deals", "activities", "tasks"].map((table) =>
      db.run(sql`update ${sql.raw(table)} set company_id = ${s} where company_id = ${m}`),
    ),
    ...redirectStatements(db, "company", s, m, now),
    callerAuditStatement(
      db,
      me,
      {
        action: "record.merged",
        targetType: "company",
        targetId: s,
        changes: { mergedId: m, pick: request.pick },
      },
      ctx.origin,
      now,
    ),
  ] satisfies BatchItem<"sqlite">[];
}

/** Both records live, distinct, and the caller may change both. */
function bothWritable(me: CallerRef, table: "contacts" | "companies", s: string, m: string): SQL {
  const t = sql.raw(table);
  const one = (id: string) =>
    sql`exists (select 1 from ${t} r where r.id = ${id} and r.deleted_at is null and ${canWriteRecord(me, sql`r.owner_id`, sql`r.team_id`)})`;
  return sql`(${s} != ${m} and ${one(s)} and ${one(m)})`;
}

/**
 * The merged id redirects to the survivor, and so do ids merged into it before (no chains); duplicate candidates
 * of the two are settled and the merged record's keys dropped.
 */
function redirectStatements(db: Database, type: "contact" | "company", s: string, m: string, now: number) {
  return [
    db.run(sql`update record_redirects set new_id = ${s} where new_id = ${m}`),
    db.run(
      sql`insert or replace into record_redirects (old_id, record_type, new_id, created_at) values (${m}, ${type}, ${s}, ${now})`,
    ),
    db.run(sql`update duplicate_pairs set status = 'merged', updated_at = ${now}
      where record_type = ${type} and status = 'open' and (a_id = ${m} or b_id = ${m})`),
    db.run(sql`delete from duplicate_keys where record_type = ${type} and record_id = ${m}`),
  ];
}

/**
 * Where a merged record's id now points, when the caller may see the survivor (0 or 1 row): put into the read
 * batch of a record's GET, so a merged id answers with a redirect in the same round trip.
 */
export function redirectQuery(db: Database, me: CallerRef, type: "contact" | "company", id: string) {
  const table = sql.raw(type === "contact" ? "contacts" : "companies");
  return db.all<{
    newId: string;
  }>(sql`select r.new_id as newId from record_redirects r join ${table} t on t.id = r.new_id
    where r.old_id = ${id} and r.record_type = ${type} and t.deleted_at is null
      and ${canSeeRecord(me, sql`t.owner_id`, sql`t.team_id`)}`);
}
