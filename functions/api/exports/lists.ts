// The four lists an export can be of, each through its own list query and filters (as the list routes take
// them in their query string), read a keyset page at a time: the page's query, and from its rows the CSV cells
// and the cursor of the next page.
import { z } from "@hono/zod-openapi";
import type { BatchItem } from "drizzle-orm/batch";
import type { CallerRef } from "../../../db/caller.ts";
import type { Database } from "../../../db/client.ts";
import { normalizeDomain } from "../../../db/companies/domain.ts";
import { type CompanyListRow, companySortValue, listCompaniesQuery } from "../../../db/companies/queries.ts";
import { parseSort } from "../../../db/contacts/list.ts";
import { type ContactListRow, contactSortValue, listContactsQuery } from "../../../db/contacts/queries.ts";
import type { CustomFieldDefinition } from "../../../db/custom-fields.ts";
import { DEAL_SORTS, type DealRow, dealPage, listDealsQuery } from "../../../db/deals.ts";
import { EXPORT_COLUMNS, type ExportObject } from "../../../db/exports/exports.ts";
import { decodeSortCursor, encodeSortCursor } from "../../../db/paging.ts";
import { listTasksQuery, TASK_STATUSES, type TaskRecord } from "../../../db/tasks.ts";
import { CompanyListQuery } from "../companies/schemas.ts";
import { ListQuery as ContactListQuery } from "../contacts/schemas.ts";

/** Rows per page: a page is one round trip, and a few hundred rows keep its memory small. */
export const EXPORT_PAGE = 500;

const Id = z.string().min(1).max(64);
const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

/** The filters each list takes (its list route's query, without paging). */
export const FILTERS = {
  contacts: ContactListQuery.omit({ limit: true, cursor: true }),
  companies: CompanyListQuery.omit({ limit: true, cursor: true }),
  deals: z.strictObject({
    sort: z.enum(DEAL_SORTS).default("-created"),
    q: z.string().max(200).optional(),
    pipelineId: Id.optional(),
    stageId: Id.optional(),
    ownerId: Id.optional(),
    teamId: Id.optional(),
    status: z.enum(["open", "won", "lost"]).optional(),
    companyId: Id.optional(),
    contactId: Id.optional(),
    expectedCloseFrom: Day.optional(),
    expectedCloseTo: Day.optional(),
  }),
  tasks: z.strictObject({ assigneeId: Id.optional(), status: z.enum(TASK_STATUSES).optional() }),
} as const;

export interface ListPage {
  query: BatchItem<"sqlite">;
  /** The page's CSV cells, and the cursor after it (null when it was the last). */
  read(
    rows: unknown,
    definitions: readonly CustomFieldDefinition[],
  ): { cells: unknown[][]; next: string | null };
}

const CUSTOM = /^custom\.([A-Za-z0-9_]{1,64})$/;

function customFilters(query: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(query)) {
    const match = CUSTOM.exec(key);
    if (match?.[1] && typeof value === "string") out[match[1]] = value;
  }
  return out;
}

/** The page of `object` after `cursor`, for filters already checked against FILTERS[object]. */
export function listPage(
  db: Database,
  me: CallerRef,
  object: ExportObject,
  filter: Record<string, unknown>,
  cursor: string | null,
  now: number,
): ListPage {
  const limit = EXPORT_PAGE;
  const more = <R>(rows: R[], cursorOf: (last: R) => string) => {
    const last = rows[limit - 1];
    return rows.length > limit && last !== undefined ? cursorOf(last) : null;
  };
  switch (object) {
    case "contacts": {
      const f = FILTERS.contacts.parse(filter);
      const sort = parseSort(f.sort, f.q) ?? { key: "id", desc: false };
      const after = cursor ? (decodeSortCursor(cursor) ?? undefined) : undefined;
      return {
        query: listContactsQuery(db, me, {
          ownerId: f.owner,
          teamId: f.team,
          lifecycleStage: f.lifecycleStage,
          leadStatus: f.leadStatus,
          tag: f.tag,
          companyId: f.company,
          email: f.email,
          createdFrom: f.createdFrom,
          createdTo: f.createdTo,
          updatedFrom: f.updatedFrom,
          updatedTo: f.updatedTo,
          custom: customFilters(f),
          q: f.q,
          sort,
          cursor: after,
          limit,
        }),
        read: (rows, definitions) => {
          const list = rows as ContactListRow[];
          return {
            cells: list.slice(0, limit).map((row) => EXPORT_COLUMNS.contacts.cells(row, definitions)),
            next: more(list, (last) => encodeSortCursor(contactSortValue(last, sort), last.contact.id)),
          };
        },
      };
    }
    case "companies": {
      const f = FILTERS.companies.parse(filter);
      const sort = parseSort(f.sort, f.q) ?? { key: "id", desc: false };
      const after = cursor ? (decodeSortCursor(cursor) ?? undefined) : undefined;
      return {
        query: listCompaniesQuery(db, me, {
          ownerId: f.owner,
          teamId: f.team,
          industry: f.industry,
          country: f.country,
          domain: f.domain === undefined ? undefined : (normalizeDomain(f.domain) ?? f.domain),
          createdFrom: f.createdFrom,
          createdTo: f.createdTo,
          updatedFrom: f.updatedFrom,
          updatedTo: f.updatedTo,
          custom: customFilters(f),
          q: f.q,
          sort,
          cursor: after,
          limit,
        }),
        read: (rows, definitions) => {
          const list = rows as CompanyListRow[];
          return {
            cells: list.slice(0, limit).map((row) => EXPORT_COLUMNS.companies.cells(row, definitions)),
            next: more(list, (last) => encodeSortCursor(companySortValue(last, sort), last.id)),
          };
        },
      };
    }
    case "deals": {
      const f = FILTERS.deals.parse(filter);
      const options = { ...f, cursor: cursor ?? undefined, limit };
      return {
        query: listDealsQuery(db, me, options),
        read: (rows, definitions) => {
          const list = rows as DealRow[];
          return {
            cells: list.slice(0, limit).map((row) => EXPORT_COLUMNS.deals.cells(row, definitions)),
            next: dealPage(list, { sort: f.sort, limit }).nextCursor,
          };
        },
      };
    }
    case "tasks": {
      const f = FILTERS.tasks.parse(filter);
      return {
        query: listTasksQuery(db, me, { view: "all", ...f, cursor: cursor ?? undefined, limit, now }),
        read: (rows) => {
          const list = rows as TaskRecord[];
          return {
            cells: list.slice(0, limit).map((row) => EXPORT_COLUMNS.tasks.cells(row)),
            next: more(list, (last) => last.id),
          };
        },
      };
    }
  }
}
