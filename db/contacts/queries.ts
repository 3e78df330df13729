// Reading contacts: one contact as the API shows it, and the filtered, sorted, keyset-paged list, always
// scoped by who may see which record (db/caller.ts).
import { and, desc, eq, isNull, type SQL, sql } from "drizzle-orm";
import { type CallerRef, canSeeRecord } from "../caller.ts";
import type { Database } from "../client.ts";
import { contacts } from "../schema/index.ts";
import {
  type OwnedListFilter,
  orderBy,
  ownedListConditions,
  ownedListWhere,
  SEARCH_TABLES,
  type Sort,
  searchMatch,
} from "./list.ts";

const tagsJson = sql<string>`(select coalesce(json_group_array(tag), '[]') from (select tag from contact_tags where contact_id = ${contacts.id} order by tag))`;

function select(db: Database) {
  return db.select({ contact: contacts, tags: tagsJson }).from(contacts);
}

export type ContactRow = { contact: typeof contacts.$inferSelect; tags: string };

export interface Utm {
  source?: string | undefined;
  medium?: string | undefined;
  campaign?: string | undefined;
  term?: string | undefined;
  content?: string | undefined;
  at?: number | undefined;
}

export interface ContactView {
  id: string;
  name: string;
  firstName: string | null;
  lastName: string | null;
  email: string | null;
  emails: string[];
  phone: string | null;
  phones: string[];
  companyId: string | null;
  jobTitle: string | null;
  address: string | null;
  lifecycleStage: string;
  leadStatus: string | null;
  source: string | null;
  firstTouch: Utm | null;
  latestTouch: Utm | null;
  consent: { email: "granted" | "withdrawn" | null; at: number | null; source: string | null };
  scores: { fit: number | null; engagement: number | null; grade: string | null };
  ownerId: string | null;
  teamId: string | null;
  tags: string[];
  custom: Record<string, unknown>;
  version: number;
  createdAt: number;
  updatedAt: number;
  deletedAt: number | null;
}

export function toContactView({ contact: c, tags }: ContactRow): ContactView {
  return {
    id: c.id,
    name: c.name,
    firstName: c.firstName,
    lastName: c.lastName,
    email: c.email,
    emails: JSON.parse(c.emails) as string[],
    phone: c.phone,
    phones: JSON.parse(c.phones) as string[],
    companyId: c.companyId,
    jobTitle: c.jobTitle,
    address: c.address,
    lifecycleStage: c.lifecycleStage,
    leadStatus: c.leadStatus,
    source: c.source,
    firstTouch: c.firstTouch ? (JSON.parse(c.firstTouch) as Utm) : null,
    latestTouch: c.latestTouch ? (JSON.parse(c.latestTouch) as Utm) : null,
    consent: { email: c.emailConsent, at: c.consentAt, source: c.consentSource },
    scores: { fit: c.fitScore, engagement: c.engagementScore, grade: c.grade },
    ownerId: c.ownerId,
    teamId: c.teamId,
    tags: JSON.parse(tags) as string[],
    custom: JSON.parse(c.custom) as Record<string, unknown>,
    version: c.version,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
    deletedAt: c.deletedAt,
  };
}

/** A live contact the caller may see (0 or 1 row). */
export function contactQuery(db: Database, me: CallerRef, id: string) {
  return select(db).where(
    and(eq(contacts.id, id), isNull(contacts.deletedAt), canSeeRecord(me, contacts.ownerId, contacts.teamId)),
  );
}

/** A contact by id whatever its state, for reading back what a write in the same batch just did. */
export function contactByIdQuery(db: Database, id: string) {
  return select(db).where(eq(contacts.id, id));
}

export interface ContactFilter extends OwnedListFilter {
  lifecycleStage?: string | undefined;
  leadStatus?: string | undefined;
  tag?: string | undefined;
  companyId?: string | undefined;
  email?: string | undefined;
}

const search = SEARCH_TABLES.contacts;

const SORT_COLUMNS = {
  id: contacts.id,
  name: contacts.name,
  createdAt: contacts.createdAt,
  updatedAt: contacts.updatedAt,
  match: search.fts.rowid,
} as const;

export type ContactListRow = ContactRow & { match?: number | null };

/**
 * One page (+1 row, to know whether more follow) of the contacts the caller may see. Sorted `match`, the search
 * index drives: it hands its matches over newest first and the page stops after `limit`.
 */
export function listContactsQuery(db: Database, me: CallerRef, f: ContactFilter) {
  const column = SORT_COLUMNS[f.sort.key];
  const conditions: (SQL | undefined)[] = [
    ...ownedListConditions(contacts, "contacts", column, f),
    f.lifecycleStage ? sql`${contacts.lifecycleStage} = ${f.lifecycleStage}` : undefined,
    f.leadStatus ? sql`${contacts.leadStatus} = ${f.leadStatus}` : undefined,
    f.companyId ? eq(contacts.companyId, f.companyId) : undefined,
    f.email ? eq(contacts.email, f.email.toLowerCase()) : undefined,
    f.tag ? sql`${contacts.id} in (select contact_id from contact_tags where tag = ${f.tag})` : undefined,
  ];
  if (f.sort.key === "match") {
    return db
      .select({ contact: contacts, tags: tagsJson, match: search.fts.rowid })
      .from(search.fts)
      .innerJoin(search.rows, eq(search.rows.rowid, search.fts.rowid))
      .innerJoin(contacts, eq(contacts.id, search.rows.id))
      .where(
        and(searchMatch(search, f.q), ownedListWhere(contacts, contacts, me, conditions, f.sort, f.limit)),
      )
      .orderBy(desc(search.fts.rowid))
      .limit(f.limit + 1);
  }
  return select(db)
    .where(ownedListWhere(contacts, contacts, me, conditions, f.sort, f.limit))
    .orderBy(orderBy(column, contacts.id, f.sort))
    .limit(f.limit + 1);
}

/** The sort value of a contact on the list, for the cursor after it. */
export function contactSortValue(row: ContactListRow, sort: Sort): string | number {
  if (sort.key === "match") return row.match ?? 0;
  return sort.key === "id" ? row.contact.id : row.contact[sort.key];
}
