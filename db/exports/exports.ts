// Exports: the request (which list, which filters) is kept and audited when it is made; the CSV is made while
// it is downloaded, page after page of the list's own query, as the caller sees it at that moment. Each row
// becomes a line here: the same columns whatever the filters, custom fields last.
import type { RequestOrigin } from "../audit.ts";
import { callerAuditStatement } from "../audit-queries.ts";
import { type CallerRef, callerUserId } from "../caller.ts";
import type { Database } from "../client.ts";
import type { CompanyRow } from "../companies/queries.ts";
import type { ContactListRow } from "../contacts/queries.ts";
import type { CustomFieldDefinition } from "../custom-fields.ts";
import type { DealRow } from "../deals.ts";
import { newId } from "../ids.ts";
import { type EXPORT_OBJECTS, exports } from "../schema/index.ts";
import type { TaskRecord } from "../tasks.ts";

export type ExportObject = (typeof EXPORT_OBJECTS)[number];

/**
 * The export, as it starts: its row (who, which list, which filters) and its audit entry, written in the batch
 * that reads its first page.
 */
export function recordExportStatements(
  db: Database,
  me: CallerRef,
  input: { object: ExportObject; filter: Record<string, string> },
  origin: RequestOrigin,
  now: number,
) {
  const id = newId();
  return [
    db.insert(exports).values({
      id,
      object: input.object,
      filter: JSON.stringify(input.filter),
      createdBy: callerUserId(me),
      createdAt: now,
    }),
    callerAuditStatement(
      db,
      me,
      {
        action: "export.created",
        targetType: "export",
        targetId: id,
        changes: { object: input.object, filter: input.filter },
      },
      origin,
      now,
    ),
  ] as const;
}

const iso = (ms: number | null | undefined) =>
  ms === null || ms === undefined ? null : new Date(ms).toISOString();
const list = (json: string) => (JSON.parse(json) as string[]).join("; ");
const customCells = (custom: string, definitions: readonly CustomFieldDefinition[]) => {
  const values = JSON.parse(custom) as Record<string, unknown>;
  return definitions.map((d) => {
    const value = values[d.key];
    return Array.isArray(value) ? value.join("; ") : value;
  });
};

/** Column names (contacts and companies as the importer maps them back) and each row's cells, per list. */
export const EXPORT_COLUMNS = {
  contacts: {
    header: [
      "id",
      "name",
      "firstName",
      "lastName",
      "email",
      "emails",
      "phone",
      "phones",
      "companyId",
      "jobTitle",
      "address",
      "lifecycleStage",
      "leadStatus",
      "source",
      "tags",
      "emailConsent",
      "consentAt",
      "fitScore",
      "engagementScore",
      "grade",
      "ownerId",
      "teamId",
      "createdAt",
      "updatedAt",
    ],
    cells: ({ contact: c, tags }: ContactListRow, definitions: readonly CustomFieldDefinition[]) => [
      c.id,
      c.name,
      c.firstName,
      c.lastName,
      c.email,
      list(c.emails),
      c.phone,
      list(c.phones),
      c.companyId,
      c.jobTitle,
      c.address,
      c.lifecycleStage,
      c.leadStatus,
      c.source,
      list(tags),
      c.emailConsent,
      iso(c.consentAt),
      c.fitScore,
      c.engagementScore,
      c.grade,
      c.ownerId,
      c.teamId,
      iso(c.createdAt),
      iso(c.updatedAt),
      ...customCells(c.custom, definitions),
    ],
  },
  companies: {
    header: [
      "id",
      "name",
      "domain",
      "industry",
      "size",
      "country",
      "ownerId",
      "teamId",
      "createdAt",
      "updatedAt",
    ],
    cells: (c: CompanyRow, definitions: readonly CustomFieldDefinition[]) => [
      c.id,
      c.name,
      c.domain,
      c.industry,
      c.size,
      c.country,
      c.ownerId,
      c.teamId,
      iso(c.createdAt),
      iso(c.updatedAt),
      ...customCells(c.custom, definitions),
    ],
  },
  deals: {
    header: [
      "id",
      "name",
      "amountMinor",
      "currency",
      "pipelineId",
      "stageId",
      "stage",
      "status",
      "expectedCloseDate",
      "closedAt",
      "companyId",
      "contactIds",
      "ownerId",
      "teamId",
      "createdAt",
      "updatedAt",
    ],
    cells: (d: DealRow, definitions: readonly CustomFieldDefinition[]) => [
      d.id,
      d.name,
      d.amount,
      d.currency,
      d.pipelineId,
      d.stageId,
      d.stageName,
      d.status,
      d.expectedCloseDate,
      iso(d.closedAt),
      d.companyId,
      list(d.contactIds),
      d.ownerId,
      d.teamId,
      iso(d.createdAt),
      iso(d.updatedAt),
      ...customCells(d.custom, definitions),
    ],
  },
  tasks: {
    header: [
      "id",
      "title",
      "notes",
      "dueAt",
      "status",
      "priority",
      "completedAt",
      "contactId",
      "companyId",
      "dealId",
      "assigneeId",
      "teamId",
      "createdAt",
      "updatedAt",
    ],
    cells: (t: TaskRecord) => [
      t.id,
      t.title,
      t.notes,
      iso(t.dueAt),
      t.status,
      t.priority,
      iso(t.completedAt),
      t.contactId,
      t.companyId,
      t.dealId,
      t.assigneeId,
      t.teamId,
      iso(t.createdAt),
      iso(t.updatedAt),
    ],
  },
} as const;
