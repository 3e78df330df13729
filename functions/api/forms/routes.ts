// Form definitions: admins and managers create, replace (If-Match), archive and restore them; anyone who reads
// forms lists and reads them. Each request is one database round trip; the mapping of fields to contact custom
// fields is checked against the cached contact configuration, which the write's batch confirms is current.
import type { Context } from "hono";
import {
  configGuard,
  type RecordConfig,
  recordConfigQueries,
  storeRecordConfig,
  withRecordConfig,
} from "../../../db/custom-fields.ts";
import {
  archiveForm,
  createForm,
  type FormRule,
  type FormValues,
  failedRules,
  formQuery,
  listFormsQuery,
  replaceForm,
  restoreForm,
} from "../../../db/forms/definitions.ts";
import { newId } from "../../../db/ids.ts";
import { keysetPage } from "../../../db/paging.ts";
import { authorizedRead, authorizedWrite, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import type { AppEnv } from "../../env.ts";
import { ApiError, type FieldError, problemContent } from "../../errors.ts";
import { etag, ifMatchVersion, preconditionFailed } from "../../etag.ts";
import {
  checkMappings,
  type FormInput,
  FormInputSchema,
  toStoredDefinition,
} from "../../forms/definition.ts";
import { forgetForm } from "../../forms/submit-cache.ts";
import { body, json } from "../../openapi.ts";
import { requestOrigin } from "../../request-origin.ts";
import { FormListQuery, FormPage, FormSchema, IdParams, toFormView } from "./schemas.ts";

const tags = ["Forms"];
const read = { scope: "forms:read" } as const;
const write = { scope: "forms:write", roles: ["admin", "manager"], write: true } as const;

const listRoute = defineRoute({
  method: "get",
  path: "/api/v1/forms",
  tags,
  summary: "List forms, newest first (live ones unless state says otherwise)",
  access: read,
  record: "form",
  request: { query: FormListQuery },
  responses: { 200: json(FormPage, "One page of forms") },
});

const createRoute = defineRoute({
  method: "post",
  path: "/api/v1/forms",
  tags,
  summary: "Create a form",
  access: write,
  request: body(FormInputSchema),
  responses: { 201: json(FormSchema, "Created") },
});

const getRoute = defineRoute({
  method: "get",
  path: "/api/v1/forms/{id}",
  tags,
  summary: "Read a form (ETag)",
  access: read,
  record: "form",
  request: { params: IdParams },
  responses: { 200: json(FormSchema, "The form") },
});

const replaceRoute = defineRoute({
  method: "put",
  path: "/api/v1/forms/{id}",
  tags,
  summary: "Replace a form's definition (If-Match); the Turnstile secret stays unless a new one is sent",
  access: write,
  record: "form",
  request: { params: IdParams, ...body(FormInputSchema) },
  responses: {
    200: json(FormSchema, "Replaced"),
    412: problemContent("If-Match names a version that is no longer current"),
  },
});

const archiveRoute = defineRoute({
  method: "delete",
  path: "/api/v1/forms/{id}",
  tags,
  summary: "Archive a form: it takes no more submissions (it can be restored)",
  access: write,
  record: "form",
  request: { params: IdParams },
  responses: { 204: { description: "Archived" } },
});

const restoreRoute = defineRoute({
  method: "post",
  path: "/api/v1/forms/{id}/restore",
  tags,
  summary: "Restore an archived form",
  access: write,
  record: "form",
  request: { params: IdParams },
  responses: { 200: json(FormSchema, "Restored") },
});

class MappingInvalid extends Error {
  readonly errors: FieldError[];
  constructor(errors: FieldError[]) {
    super(errors.map((e) => `${e.path}: ${e.message}`).join("; "));
    this.errors = errors;
  }
}

function invalid(errors: FieldError[]): ApiError {
  return new ApiError("validation_failed", errors.map((e) => `${e.path}: ${e.message}`).join("; "), {
    errors,
  });
}

function ctx(c: Context<AppEnv>) {
  return { origin: requestOrigin(c), now: Date.now() };
}

function selfOrigin(c: Context<AppEnv>): string {
  return new URL(c.req.url).origin;
}

function valuesOf(input: FormInput): FormValues {
  return {
    name: input.name,
    definition: JSON.stringify(toStoredDefinition(input)),
    turnstileSecret: input.spam.turnstile === null ? null : input.spam.turnstile.secretKey,
    turnstile: input.spam.turnstile !== null,
    defaultOwnerId: input.defaultOwnerId,
    deal: input.deal ? { pipelineId: input.deal.pipelineId, stageId: input.deal.stageId } : null,
  };
}

const mapsCustomFields = (input: FormInput) =>
  input.fields.some((f) => f.mapTo?.startsWith("contact.custom."));

/**
 * Runs a form write checked against the contact configuration (custom fields): the cached one first, read
 * afresh (with the caller's access, one round trip) only when the cache is stale or refuses a mapping.
 */
function withContactConfig<T>(
  c: Context<AppEnv>,
  input: FormInput,
  run: (config: RecordConfig) => Promise<T>,
) {
  const db = c.get("db");
  const url = c.get("config").LIBSQL_URL;
  return withRecordConfig(
    db,
    url,
    "contact",
    async (config) => {
      const problems = checkMappings(input.fields, config.definitions);
      if (problems.length > 0) throw new MappingInvalid(problems);
      return run(config);
    },
    (error) => error instanceof MappingInvalid,
    async () =>
      storeRecordConfig(
        url,
        "contact",
        (await authorizedRead(c, () => recordConfigQueries(db, "contact"))).results,
      ),
  ).catch((error: unknown) => {
    if (error instanceof MappingInvalid) throw invalid(error.errors);
    throw error;
  });
}

function ruleErrors(list: FormRule[], flags: Record<string, unknown> | undefined): FieldError[] {
  return failedRules(list, flags).map((rule) => ({ path: rule.path, message: rule.message }));
}

export const formRoutes = createRouter()
  .openapi(listRoute, async (c) => {
    const { limit, cursor, state, q } = c.req.valid("query");
    const {
      results: [rows],
    } = await authorizedRead(
      c,
      () => [listFormsQuery(c.get("db"), { state, q, before: cursor, limit })] as const,
    );
    const origin = selfOrigin(c);
    return c.json(
      keysetPage(rows, limit, (row) => toFormView(row, origin)),
      200,
    );
  })
  .openapi(createRoute, async (c) => {
    const input = c.req.valid("json");
    if (input.spam.turnstile && !input.spam.turnstile.secretKey) {
      throw invalid([{ path: "spam.turnstile.secretKey", message: "Required when Turnstile is first set." }]);
    }
    const db = c.get("db");
    const id = newId();
    const view = await withContactConfig(c, input, async (config) => {
      const { statements, rules } = createForm(db, id, valuesOf(input), ctx(c));
      const guard = mapsCustomFields(input) ? [configGuard(db, "contact", config)] : [];
      const { results } = await authorizedWrite(c, (me) => [...guard, ...statements(me)]);
      const [flags, , , rows] = results.slice(guard.length) as [
        Record<string, unknown>[],
        unknown,
        unknown,
        Awaited<ReturnType<typeof formQuery>>,
      ];
      const row = rows[0];
      if (!row) throw invalid(ruleErrors(rules(), flags[0]));
      return toFormView(row, selfOrigin(c));
    });
    return c.json(view, 201, { ETag: etag(view.version), Location: `/api/v1/forms/${view.id}` });
  })
  .openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const {
      results: [rows],
    } = await authorizedRead(c, () => [formQuery(c.get("db"), id)] as const);
    const row = rows[0];
    if (!row) throw new ApiError("not_found", "Not found");
    const view = toFormView(row, selfOrigin(c));
    return c.json(view, 200, { ETag: etag(view.version) });
  })
  .openapi(replaceRoute, async (c) => {
    const { id } = c.req.valid("param");
    const ifMatch = ifMatchVersion(c);
    const input = c.req.valid("json");
    const db = c.get("db");
    const values = valuesOf(input);
    const view = await withContactConfig(c, input, async (config) => {
      const { statements, rules } = replaceForm(db, id, values, ifMatch, ctx(c));
      const guard = mapsCustomFields(input) ? [configGuard(db, "contact", config)] : [];
      const { results } = await authorizedWrite(c, (me) => [...guard, ...statements(me)]);
      const [flags, updated, , rows] = results.slice(guard.length) as [
        Record<string, unknown>[],
        { id: string }[],
        unknown,
        Awaited<ReturnType<typeof formQuery>>,
      ];
      const row = rows[0];
      if (!row) throw new ApiError("not_found", "Not found");
      if (updated.length === 0) {
        const errors = ruleErrors(rules(), flags[0]);
        if (errors.length > 0) throw invalid(errors);
        throw preconditionFailed();
      }
      return toFormView(row, selfOrigin(c));
    });
    await forgetForm(c.get("config").LIBSQL_URL, selfOrigin(c), id);
    return c.json(view, 200, { ETag: etag(view.version) });
  })
  .openapi(archiveRoute, async (c) => {
    const { id } = c.req.valid("param");
    const {
      results: [, , rows],
    } = await authorizedWrite(c, archiveForm(c.get("db"), id, ctx(c)));
    if (rows.length === 0) throw new ApiError("not_found", "Not found");
    await forgetForm(c.get("config").LIBSQL_URL, selfOrigin(c), id);
    return c.body(null, 204);
  })
  .openapi(restoreRoute, async (c) => {
    const { id } = c.req.valid("param");
    const {
      results: [, , rows],
    } = await authorizedWrite(c, restoreForm(c.get("db"), id, ctx(c)));
    const row = rows[0];
    if (!row) throw new ApiError("not_found", "Not found");
    await forgetForm(c.get("config").LIBSQL_URL, selfOrigin(c), id);
    const view = toFormView(row, selfOrigin(c));
    return c.json(view, 200, { ETag: etag(view.version) });
  });
