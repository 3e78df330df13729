// Reading what scoring needs (contacts with their company and current score, their engagement events) and
// writing computed scores back: the score row, the contact's score columns and a timeline entry when a score
// changed. The writes take a JSON array of items, so one statement of each kind serves one contact or a chunk
// of five hundred, and each item applies only when the score row is still at the version it was computed from.
import { and, asc, eq, gte, inArray, isNull, lt, ne, type SQL, sql } from "drizzle-orm";
import type { Database } from "../client.ts";
import { companies, contactScores, contacts, scoringEvents } from "../schema/index.ts";

const fields = {
  id: contacts.id,
  email: contacts.email,
  jobTitle: contacts.jobTitle,
  lifecycleStage: contacts.lifecycleStage,
  leadStatus: contacts.leadStatus,
  source: contacts.source,
  custom: contacts.custom,
  industry: companies.industry,
  size: companies.size,
  country: companies.country,
  scoreVersion: contactScores.version,
  fit: contactScores.fit,
  engagement: contactScores.engagement,
  grade: contactScores.grade,
};

function scoringSelect(db: Database) {
  return db
    .select(fields)
    .from(contacts)
    .leftJoin(companies, eq(companies.id, contacts.companyId))
    .leftJoin(contactScores, eq(contactScores.contactId, contacts.id));
}

export type ScoringRow = Awaited<ReturnType<ReturnType<typeof scoringSelect>["where"]>>[number];

/** A live contact as scoring sees it (0 or 1 row), or the one the caller may see when `visible` is given. */
export function scoringContactQuery(db: Database, id: string, visible?: SQL) {
  return scoringSelect(db).where(and(eq(contacts.id, id), isNull(contacts.deletedAt), visible));
}

/** The live contacts among `ids` as scoring sees them (the batch path of the events consumer). */
export function scoringContactsQuery(db: Database, ids: readonly string[]) {
  return scoringSelect(db).where(and(inArray(contacts.id, [...ids]), isNull(contacts.deletedAt)));
}

export interface ContactRange {
  from: string;
  /** Exclusive; null: to the end. */
  to: string | null;
  /** Only contacts whose engagement is not zero (the decay job's scope). */
  engagedOnly: boolean;
}

export function scoringRangeQuery(db: Database, range: ContactRange) {
  return scoringSelect(db)
    .where(
      and(
        gte(contacts.id, range.from),
        range.to === null ? undefined : lt(contacts.id, range.to),
        isNull(contacts.deletedAt),
        range.engagedOnly ? ne(contactScores.engagementExact, 0) : undefined,
      ),
    )
    .orderBy(asc(contacts.id));
}

const eventFields = {
  contactId: scoringEvents.contactId,
  kind: scoringEvents.kind,
  at: scoringEvents.at,
  formId: scoringEvents.formId,
};

// Ordered by the contact index, so that the batch path sums a contact's events in the order this path does.
export function contactEventsQuery(db: Database, contactId: string) {
  return db
    .select(eventFields)
    .from(scoringEvents)
    .where(eq(scoringEvents.contactId, contactId))
    .orderBy(asc(scoringEvents.at));
}

export function contactsEventsQuery(db: Database, contactIds: readonly string[]) {
  return db
    .select(eventFields)
    .from(scoringEvents)
    .where(inArray(scoringEvents.contactId, [...contactIds]))
    .orderBy(asc(scoringEvents.contactId), asc(scoringEvents.at));
}

export function rangeEventsQuery(db: Database, range: ContactRange) {
  return db
    .select(eventFields)
    .from(scoringEvents)
    .where(
      and(
        gte(scoringEvents.contactId, range.from),
        range.to === null ? undefined : lt(scoringEvents.contactId, range.to),
      ),
    );
}

export function eventSeenQuery(db: Database, eventId: string) {
  return db
    .select({ eventId: scoringEvents.eventId })
    .from(scoringEvents)
    .where(eq(scoringEvents.eventId, eventId));
}

export function eventsSeenQuery(db: Database, eventIds: readonly string[]) {
  return db
    .select({ eventId: scoringEvents.eventId })
    .from(scoringEvents)
    .where(inArray(scoringEvents.eventId, [...eventIds]));
}

export interface EngagementEventInput {
  eventId: string;
  contactId: string;
  kind: string;
  at: number;
  formId: string | null;
}

export function recordEventStatement(db: Database, event: EngagementEventInput, now: number) {
  return db
    .insert(scoringEvents)
    .values({ ...event, receivedAt: now })
    .onConflictDoNothing({ target: scoringEvents.eventId });
}

/**
 * Ledger rows for many events at once. An event whose contact was read at score version `prev` is recorded only
 * while the score is still at that version (the same guard as its score write in the same batch, evaluated
 * before that write moves it); one with `prev` null (no live contact) is recorded as it is.
 */
export function recordEventsStatement(
  db: Database,
  events: readonly (EngagementEventInput & { prev: number | null })[],
  now: number,
) {
  const contactId = item("contactId");
  return db.run(sql`insert into scoring_events (event_id, contact_id, kind, at, form_id, received_at)
    select ${item("eventId")}, ${contactId}, ${item("kind")}, ${item("at")}, ${item("formId")}, ${now}
    from json_each(${JSON.stringify(events)}) j
    where ${item("prev")} is null
      or (${stillAt(contactId)} and exists (select 1 from contacts c where c.id = ${contactId}))
    on conflict (event_id) do nothing`);
}

type Activity = { id: string; subject: string; metadata: string };

/** One computed score to write. */
export interface ScoreWrite {
  id: string;
  fit: number;
  engagement: number;
  exact: number;
  grade: string;
  rulesVersion: number;
  /** The explanation as JSON text. */
  explanation: string;
  /** The score row's version the computation read (0: none). */
  prev: number;
  /** The scores or grade differ from the stored ones: the contact's columns change and the timeline says so. */
  changed: boolean;
  activity: Activity | null;
  /** Timeline entries of earlier events for this contact scored in the same write (the batch path). */
  earlier?: readonly Activity[];
  /** How many events this write scores (default 1): the version moves by as many, as one by one. */
  steps?: number;
}

const item = (column: string) => sql.raw(`(j.value ->> '${column}')`);
const stillAt = (contactId: SQL) =>
  sql`coalesce((select s.version from contact_scores s where s.contact_id = ${contactId}), 0) = ${item("prev")}`;

/**
 * The statements that write `items` as of `now`: timeline entries, contact columns, then the score rows (last,
 * since they move the version the others check). The first result counts the score rows written.
 */
export function writeScoresStatements(db: Database, items: readonly ScoreWrite[], now: number) {
  const json = JSON.stringify(
    items.map((i) => ({ ...i, changed: i.changed ? 1 : 0, activity: undefined, earlier: undefined })),
  );
  const timeline = JSON.stringify(
    items.flatMap((i) =>
      [...(i.earlier ?? []), ...(i.activity ? [i.activity] : [])].map((a) => ({
        id: i.id,
        prev: i.prev,
        activityId: a.id,
        subject: a.subject,
        metadata: a.metadata,
      })),
    ),
  );
  const id = item("id");
  return [
    db.run(sql`insert into activities (id, type, occurred_at, actor_user_id, contact_id, company_id, subject, metadata, created_at)
      select ${item("activityId")}, 'score_change', ${now}, null, ${id}, (select c.company_id from contacts c where c.id = ${id}),
        ${item("subject")}, ${item("metadata")}, ${now}
      from json_each(${timeline}) j
      where ${stillAt(id)} and exists (select 1 from contacts c where c.id = ${id})`),
    db.run(sql`update contacts set fit_score = ${item("fit")}, engagement_score = ${item("engagement")}, grade = ${item("grade")}
      from json_each(${json}) j
      where contacts.id = ${id} and ${item("changed")} = 1 and ${stillAt(sql`contacts.id`)}`),
    db.all<{
      contactId: string;
    }>(sql`insert into contact_scores (contact_id, fit, engagement, engagement_exact, grade, rules_version,
        explanation, computed_at, version)
      select ${id}, ${item("fit")}, ${item("engagement")}, ${item("exact")}, ${item("grade")}, ${item("rulesVersion")},
        ${item("explanation")}, ${now}, ${item("prev")} + coalesce(${item("steps")}, 1)
      from json_each(${json}) j
      where ${stillAt(id)} and exists (select 1 from contacts c where c.id = ${id})
      on conflict (contact_id) do update set fit = excluded.fit, engagement = excluded.engagement,
        engagement_exact = excluded.engagement_exact, grade = excluded.grade, rules_version = excluded.rules_version,
        explanation = excluded.explanation, computed_at = excluded.computed_at, version = excluded.version
      returning contact_id as contactId`),
  ] as const;
}

/** A contact's stored score and explanation, when the caller may see the contact (0 or 1 row). */
export function contactScoreQuery(db: Database, id: string, visible: SQL) {
  return db
    .select({
      contactId: contacts.id,
      fit: contactScores.fit,
      engagement: contactScores.engagement,
      grade: contactScores.grade,
      rulesVersion: contactScores.rulesVersion,
      computedAt: contactScores.computedAt,
      explanation: contactScores.explanation,
    })
    .from(contacts)
    .leftJoin(contactScores, eq(contactScores.contactId, contacts.id))
    .where(and(eq(contacts.id, id), isNull(contacts.deletedAt), visible));
}
