// Contacts: create, read (with ETag), update (If-Match), soft delete and restore, and the filtered, sorted,
// searchable, keyset-paged list. Each request is one database round trip.
import type { Context } from "hono";
import { parseSort } from "../../../db/contacts/list.ts";
import {
  contactQuery,
  contactSortValue,
  listContactsQuery,
  toContactView,
} from "../../../db/contacts/queries.ts";
import {
  ContactInvalid,
  createContact,
  createdContact,
  deleteContact,
  restoreContact,
  updateContact,
  updatedContact,
  type WriteFailure,
} from "../../../db/contacts/writes.ts";
import { recordConfigQueries, storeRecordConfig, withRecordConfig } from "../../../db/custom-fields.ts";
import { redirectQuery } from "../../../db/merge/merge.ts";
import { decodeSortCursor as decodeCursor, encodeSortCursor as encodeCursor } from "../../../db/paging.ts";
import { authorizedRead, authorizedWrite, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import type { AppEnv } from "../../env.ts";
import { ApiError, problemContent } from "../../errors.ts";
import { etag, ifMatchVersion, preconditionFailed } from "../../etag.ts";
import { body, json } from "../../openapi.ts";
import { requestOrigin } from "../../request-origin.ts";
import { ContactCreate, ContactPage, ContactPatch, ContactSchema, IdParams, ListQuery } from "./schemas.ts";

const tags = ["Contacts"];
const read = { scope: "contacts:read" } as const;
const write = { scope: "contacts:write", write: true } as const;

const listRoute = defineRoute({
  method: "get",
  path: "/api/v1/contacts",
  tags,
  summary: "List contacts: filter, sort, search (q), keyset pages",
  access: read,
  record: "contact",
  request: { query: ListQuery },
  responses: { 200: json(ContactPage, "One page of contacts") },
});

const createRoute = defineRoute({
  method: "post",
  path: "/api/v1/contacts",
  tags,
  summary: "Create a contact",
  access: write,
  request: body(ContactCreate),
  responses: {
    201: json(ContactSchema, "Created"),
    409: problemContent("A live contact has this primary email; the detail names it"),
  },
});

const getRoute = defineRoute({
  method: "get",
  path: "/api/v1/contacts/{id}",
  tags,
  summary: "Read a contact (ETag)",
  access: read,
  record: "contact",
  request: { params: IdParams },
  responses: {
    200: json(ContactSchema, "The contact"),
    308: { description: "The contact was merged into another: Location names it" },
  },
});

const patchRoute = defineRoute({
  method: "patch",
  path: "/api/v1/contacts/{id}",
  tags,
  summary: "Update a contact (If-Match)",
  access: write,
  record: "contact",
  request: { params: IdParams, ...body(ContactPatch) },
  responses: {
    200: json(ContactSchema, "Updated"),
    409: problemContent("Another live contact has this primary email; the detail names it"),
    412: problemContent("If-Match names a version that is no longer current"),
  },
});

const deleteRoute = defineRoute({
  method: "delete",
  path: "/api/v1/contacts/{id}",
  tags,
  summary: "Delete a contact (it can be restored)",
  access: write,
  record: "contact",
  request: { params: IdParams },
  responses: { 204: { description: "Deleted" } },
});

const restoreRoute = defineRoute({
  method: "post",
  path: "/api/v1/contacts/{id}/restore",
  tags,
  summary: "Restore a deleted contact",
  access: write,
  record: "contact",
  request: { params: IdParams },
  responses: {
    200: json(ContactSchema, "Restored"),
    409: problemContent("A live contact has taken its email meanwhile"),
  },
});

function ctx(c: Context<AppEnv>) {
  return { origin: requestOrigin(c), now: Date.now() };
}

function fail(failure: WriteFailure): never {
  switch (failure.kind) {
    case "not_found":
      throw new ApiError("not_found", "Not found");
    case "stale":
      throw preconditionFailed();
    case "conflict":
      throw new ApiError("conflict", `Contact ${failure.contactId} already has this email.`);
    case "invalid":
      throw invalid(failure.errors);
  }
}

function invalid(errors: { path: string; message: string }[]): ApiError {
  return new ApiError("validation_failed", errors.map((e) => `${e.path}: ${e.message}`).join("; "), {
    errors,
  });
}

/** Runs a write built against the record config; invalid input is a 422 naming each field. */
function withConfig<T>(c: Context<AppEnv>, run: Parameters<typeof withRecordConfig<T>>[3]): Promise<T> {
  const db = c.get("db");
  const url = c.get("config").LIBSQL_URL;
  return withRecordConfig(
    db,
    url,
    "contact",
    run,
    (error) => error instanceof ContactInvalid,
    // Fresh configuration is read together with the caller's access, so a refused caller costs no extra trip.
    async () =>
      storeRecordConfig(
        url,
        "contact",
        (await authorizedRead(c, () => recordConfigQueries(db, "contact"))).results,
      ),
  ).catch((error: unknown) => {
    if (error instanceof ContactInvalid) throw invalid(error.errors);
    throw error;
  });
}

const CUSTOM_FILTER = /^custom\.([A-Za-z0-9_]{1,64})$/;

export const contactRoutes = createRouter()
  .openapi(listRoute, async (c) => {
    const query = c.req.valid("query");
    const sort = parseSort(query.sort, query.q);
    const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    if (!sort || cursor === null)
      throw new ApiError("validation_failed", "cursor: Not a cursor of this list.");
    const custom: Record<string, string> = {};
    for (const [key, value] of Object.entries(query)) {
      const match = CUSTOM_FILTER.exec(key);
      if (match?.[1] && typeof value === "string") custom[match[1]] = value;
    }
    const {
      results: [rows],
    } = await authorizedRead(
      c,
      (me) =>
        [
          listContactsQuery(c.get("db"), me, {
            ownerId: query.owner,
            teamId: query.team,
            lifecycleStage: query.lifecycleStage,
            leadStatus: query.leadStatus,
            tag: query.tag,
            companyId: query.company,
            email: query.email,
            createdFrom: query.createdFrom,
            createdTo: query.createdTo,
            updatedFrom: query.updatedFrom,
            updatedTo: query.updatedTo,
            custom,
            q: query.q,
            sort,
            cursor,
            limit: query.limit,
          }),
        ] as const,
    );
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    const nextCursor =
      rows.length > query.limit && last ? encodeCursor(contactSortValue(last, sort), last.contact.id) : null;
    const items = page.map(toContactView);
    return c.json({ items, nextCursor }, 200);
  })
  .openapi(createRoute, async (c) => {
    const input = c.req.valid("json");
    const view = await withConfig(c, async (config) => {
      const build = createContact(c.get("db"), input, config, ctx(c));
      const { results } = await authorizedWrite(c, build);
      const outcome = createdContact(results);
      if ("failure" in outcome) fail(outcome.failure ?? { kind: "not_found" });
      return toContactView(outcome.row);
    });
    return c.json(view, 201, { ETag: etag(view.version), Location: `/api/v1/contacts/${view.id}` });
  })
  .openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const {
      results: [rows, merged],
    } = await authorizedRead(
      c,
      (me) => [contactQuery(c.get("db"), me, id), redirectQuery(c.get("db"), me, "contact", id)] as const,
    );
    const row = rows[0];
    // A merged contact's id leads to the one it was merged into (db/merge/merge.ts), in the same round trip.
    const survivor = merged[0]?.newId;
    if (!row && survivor) return c.redirect(`/api/v1/contacts/${survivor}`, 308);
    if (!row) throw new ApiError("not_found", "Not found");
    const view = toContactView(row);
    return c.json(view, 200, { ETag: etag(view.version) });
  })
  .openapi(patchRoute, async (c) => {
    const { id } = c.req.valid("param");
    const ifMatch = ifMatchVersion(c);
    const input = c.req.valid("json");
    const view = await withConfig(c, async (config) => {
      const build = updateContact(c.get("db"), id, input, config, { ifMatch }, ctx(c));
      const { results } = await authorizedWrite(c, build);
      const outcome = updatedContact(results, ifMatch);
      if ("failure" in outcome) fail(outcome.failure ?? { kind: "not_found" });
      return toContactView(outcome.row);
    });
    return c.json(view, 200, { ETag: etag(view.version) });
  })
  .openapi(deleteRoute, async (c) => {
    const { id } = c.req.valid("param");
    const {
      results: [, deleted],
    } = await authorizedWrite(c, deleteContact(c.get("db"), id, ctx(c)));
    if (deleted.length === 0) throw new ApiError("not_found", "Not found");
    return c.body(null, 204);
  })
  .openapi(restoreRoute, async (c) => {
    const { id } = c.req.valid("param");
    const {
      results: [restored, rows, why],
    } = await authorizedWrite(c, restoreContact(c.get("db"), id, ctx(c)));
    const row = rows[0];
    // Restoring a contact that is not deleted changes nothing and answers with it, so a retry is harmless.
    const alreadyLive = restored.length === 0 && row && why[0]?.live;
    if ((restored.length === 0 || !row) && !alreadyLive) {
      const reason = why[0];
      if (reason?.visible && reason.other) {
        throw new ApiError("conflict", `Contact ${reason.other} has this email now.`);
      }
      throw new ApiError("not_found", "Not found");
    }
    const view = toContactView(row as NonNullable<typeof row>);
    return c.json(view, 200, { ETag: etag(view.version) });
  });
