// The contact 360: a contact with its company, its deals, its open tasks and the first page of its timeline,
// as queries for one batch. Every part is scoped to what the caller may see, and all are empty unless the
// contact itself is visible.
import { and, asc, eq, isNull, sql } from "drizzle-orm";
import type { BatchResponse } from "drizzle-orm/batch";
import { type CallerRef, canSeeRecord } from "./caller.ts";
import type { Database } from "./client.ts";
import { NotFoundError } from "./errors.ts";
import type { Page } from "./paging.ts";
import { companies, contacts, contactTags, dealContacts, deals } from "./schema/index.ts";
import { openTasksOfContactQuery, type TaskRecord } from "./tasks.ts";
import { type ActivityView, activityPage, listActivitiesQuery } from "./timeline.ts";

/** The deals and open tasks shown are capped: the 360 is a summary, each list has its own paged endpoint. */
export const SUMMARY_LIMIT = 100;

const contactFields = {
  id: contacts.id,
  name: contacts.name,
  firstName: contacts.firstName,
  lastName: contacts.lastName,
  email: contacts.email,
  emails: contacts.emails,
  phone: contacts.phone,
  phones: contacts.phones,
  companyId: contacts.companyId,
  jobTitle: contacts.jobTitle,
  address: contacts.address,
  lifecycleStage: contacts.lifecycleStage,
  leadStatus: contacts.leadStatus,
  source: contacts.source,
  emailConsent: contacts.emailConsent,
  fitScore: contacts.fitScore,
  engagementScore: contacts.engagementScore,
  grade: contacts.grade,
  custom: contacts.custom,
  tags: sql<string>`(select coalesce(json_group_array(${contactTags.tag}), '[]') from ${contactTags} where ${contactTags.contactId} = ${contacts.id})`,
  ownerId: contacts.ownerId,
  teamId: contacts.teamId,
  version: contacts.version,
  createdAt: contacts.createdAt,
  updatedAt: contacts.updatedAt,
};

const companyFields = {
  id: companies.id,
  name: companies.name,
  domain: companies.domain,
  industry: companies.industry,
  size: companies.size,
  country: companies.country,
  ownerId: companies.ownerId,
  teamId: companies.teamId,
};

const dealFields = {
  id: deals.id,
  name: deals.name,
  amount: deals.amount,
  currency: deals.currency,
  pipelineId: deals.pipelineId,
  stageId: deals.stageId,
  status: deals.status,
  expectedCloseDate: deals.expectedCloseDate,
  closedAt: deals.closedAt,
  ownerId: deals.ownerId,
  teamId: deals.teamId,
};

type ContactRow = {
  [K in keyof typeof contactFields]: K extends "tags"
    ? string
    : (typeof contacts.$inferSelect)[K & keyof typeof contacts.$inferSelect];
};

export interface Contact360 {
  contact: Omit<ContactRow, "emails" | "phones" | "custom" | "tags"> & {
    emails: string[];
    phones: string[];
    custom: Record<string, unknown>;
    tags: string[];
  };
  company: { [K in keyof typeof companyFields]: (typeof companies.$inferSelect)[K] } | null;
  deals: { [K in keyof typeof dealFields]: (typeof deals.$inferSelect)[K] }[];
  openTasks: TaskRecord[];
  timeline: Page<ActivityView>;
}

/** The queries of the 360, for one batch; `contact360` assembles their results. */
export function contact360Queries(db: Database, me: CallerRef, id: string, timelineLimit: number) {
  // The parts are read whether or not the contact is visible; contact360 answers 404 before showing any.
  return [
    db
      .select(contactFields)
      .from(contacts)
      .where(
        and(
          eq(contacts.id, id),
          isNull(contacts.deletedAt),
          canSeeRecord(me, contacts.ownerId, contacts.teamId),
        ),
      ),
    db
      .select(companyFields)
      .from(companies)
      .where(
        and(
          sql`${companies.id} = (select company_id from ${contacts} where id = ${id})`,
          isNull(companies.deletedAt),
          canSeeRecord(me, companies.ownerId, companies.teamId),
        ),
      ),
    db
      .select(dealFields)
      .from(dealContacts)
      .innerJoin(deals, eq(deals.id, dealContacts.dealId))
      .where(
        and(
          eq(dealContacts.contactId, id),
          isNull(deals.deletedAt),
          canSeeRecord(me, deals.ownerId, deals.teamId),
        ),
      )
      .orderBy(asc(deals.id))
      .limit(SUMMARY_LIMIT),
    // A task of a visible contact is shown when the caller sees the task itself (it may be a colleague's).
    openTasksOfContactQuery(db, me, id, SUMMARY_LIMIT),
    listActivitiesQuery(db, me, { contactId: id, limit: timelineLimit }),
  ] as const;
}

export function contact360(
  [contactRows, companyRows, dealRows, taskRows, activityRows]: BatchResponse<
    ReturnType<typeof contact360Queries>
  >,
  timelineLimit: number,
): Contact360 {
  const contact = contactRows[0];
  if (!contact) throw new NotFoundError("Not found");
  return {
    contact: {
      ...contact,
      emails: JSON.parse(contact.emails) as string[],
      phones: JSON.parse(contact.phones) as string[],
      custom: JSON.parse(contact.custom) as Record<string, unknown>,
      tags: (JSON.parse(contact.tags) as string[]).sort(),
    },
    company: companyRows[0] ?? null,
    deals: dealRows,
    openTasks: taskRows,
    timeline: activityPage(activityRows, timelineLimit),
  };
}
