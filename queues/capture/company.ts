// A lead's company, for every way leads come in (forms, inbound webhooks): found by domain (or by its exact
// name when there is none) and made in the lead's batch when missing, for a new contact or one without one.
import { type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Database } from "../../db/client.ts";
import { companies } from "../../db/schema/index.ts";
import { insertWhere } from "../../db/statements.ts";

export interface LeadCompany {
  name: string | null;
  domain: string | null;
  industry: string | null;
  size: string | null;
  country: string | null;
}

export function leadCompanyStatements(
  db: Database,
  input: {
    company: LeadCompany;
    /** The id a company made here gets. */
    id: string;
    /** The lead's contact (SQL, null when the batch does not go on), and whether this batch made it. */
    contact: SQL;
    isNew: SQL;
    ownerId: SQL;
    teamId: SQL;
    now: number;
  },
): { companyId: SQL; statements: BatchItem<"sqlite">[] } {
  const { company, contact, isNew, now } = input;
  if (!company.domain && !company.name) return { companyId: sql`null`, statements: [] };
  const companyId = company.domain
    ? sql`(select id from companies where domain = ${company.domain} and deleted_at is null)`
    : sql`(select id from companies where name = ${company.name} and deleted_at is null order by id limit 1)`;
  const needsCompany = sql`(${isNew} or (select company_id from contacts where id = ${contact}) is null)`;
  const create = insertWhere(
    db,
    companies,
    {
      id: input.id,
      name: company.name ?? company.domain ?? "",
      domain: company.domain,
      industry: company.industry,
      size: company.size,
      country: company.country,
      ownerId: input.ownerId,
      teamId: input.teamId,
      createdAt: now,
      updatedAt: now,
    },
    sql`${contact} is not null and ${needsCompany} and ${companyId} is null`,
  );
  return { companyId, statements: [create] };
}
