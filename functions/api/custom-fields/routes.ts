// Custom-field definitions: anyone who reads contacts lists them (forms and tables need them); admins create,
// change and archive them. A change alters the configuration stamp (db/custom-fields.ts), so the next record
// write anywhere validates against the new definitions.
import { z } from "@hono/zod-openapi";
import {
  archiveDefinitionStatement,
  customFieldsQuery,
  insertDefinitionStatement,
  toDefinition,
  updateDefinitionStatement,
} from "../../../db/custom-fields.ts";
import { CUSTOM_FIELD_OBJECTS, CUSTOM_FIELD_TYPES } from "../../../db/schema/index.ts";
import { conflictOnUnique } from "../../../db/statements.ts";
import { authorizedRead, authorizedWrite, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import { ApiError, problemContent } from "../../errors.ts";
import { body, json } from "../../openapi.ts";
import { IdParams } from "../contacts/schemas.ts";

const tags = ["Custom fields"];
const read = { scope: "contacts:read" } as const;
const adminWrite = { scope: "settings:write", roles: ["admin"], write: true } as const;

const Rules = z
  .strictObject({
    min: z.union([z.number(), z.string().max(40)]).optional(),
    max: z.union([z.number(), z.string().max(40)]).optional(),
    pattern: z
      .string()
      .max(500)
      .refine((p) => {
        try {
          new RegExp(p, "u");
          return true;
        } catch {
          return false;
        }
      }, "Not a regular expression.")
      .optional(),
  })
  .openapi("CustomFieldRules");

const Options = z.array(z.string().trim().min(1).max(200)).max(500);

const DefinitionCreate = z
  .strictObject({
    object: z.enum(CUSTOM_FIELD_OBJECTS),
    key: z
      .string()
      .regex(/^[A-Za-z0-9_]{1,64}$/, "Letters, digits and _ only, at most 64.")
      .openapi({ description: "Values are stored under custom.<key>; unique per object." }),
    label: z.string().trim().min(1).max(200),
    type: z.enum(CUSTOM_FIELD_TYPES),
    required: z.boolean().optional(),
    options: Options.optional(),
    validation: Rules.optional(),
    position: z.number().int().min(0).max(100_000).optional(),
  })
  .refine((d) => !["select", "multi_select"].includes(d.type) || (d.options?.length ?? 0) > 0, {
    path: ["options"],
    message: "A select needs at least one option.",
  })
  .openapi("CustomFieldCreate");

const DefinitionPatch = z
  .strictObject({
    label: z.string().trim().min(1).max(200),
    required: z.boolean(),
    options: Options,
    validation: Rules,
    position: z.number().int().min(0).max(100_000),
    archived: z.boolean(),
  })
  .partial()
  .openapi("CustomFieldPatch");

const DefinitionSchema = z
  .object({
    id: z.string(),
    object: z.enum(CUSTOM_FIELD_OBJECTS),
    key: z.string(),
    label: z.string(),
    type: z.enum(CUSTOM_FIELD_TYPES),
    required: z.boolean(),
    options: z.array(z.string()),
    validation: z.object({
      min: z.union([z.number(), z.string()]).optional(),
      max: z.union([z.number(), z.string()]).optional(),
      pattern: z.string().optional(),
    }),
    position: z.number().int(),
    archivedAt: z.number().int().nullable(),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
  })
  .openapi("CustomField");

const listRoute = defineRoute({
  method: "get",
  path: "/api/v1/custom-fields",
  tags,
  summary: "List custom-field definitions (archived ones too), by object and position",
  access: read,
  record: "custom_field",
  request: { query: z.object({ object: z.enum(CUSTOM_FIELD_OBJECTS).optional() }) },
  responses: {
    200: json(
      z.object({ items: z.array(DefinitionSchema), nextCursor: z.null() }).openapi("CustomFieldList"),
      "Every definition (a short list: one page)",
    ),
  },
});

const createRoute = defineRoute({
  method: "post",
  path: "/api/v1/custom-fields",
  tags,
  summary: "Define a custom field",
  access: adminWrite,
  request: body(DefinitionCreate),
  responses: {
    201: json(DefinitionSchema, "Created"),
    409: problemContent("The object already has a field with this key"),
  },
});

const patchRoute = defineRoute({
  method: "patch",
  path: "/api/v1/custom-fields/{id}",
  tags,
  summary: "Change a custom field (its key, object and type stay)",
  access: adminWrite,
  record: "custom_field",
  request: { params: IdParams, ...body(DefinitionPatch) },
  responses: { 200: json(DefinitionSchema, "Updated") },
});

const archiveRoute = defineRoute({
  method: "delete",
  path: "/api/v1/custom-fields/{id}",
  tags,
  summary: "Archive a custom field: values stay on records, forms and validation ignore it",
  access: adminWrite,
  record: "custom_field",
  request: { params: IdParams },
  responses: { 204: { description: "Archived" } },
});

function checkRules(type: string, rules: { min?: unknown; max?: unknown } | undefined) {
  if (!rules) return;
  const expected = type === "date" ? "string" : "number";
  for (const bound of ["min", "max"] as const) {
    const value = rules[bound];
    if (value !== undefined && typeof value !== expected) {
      throw new ApiError(
        "validation_failed",
        `validation.${bound}: Must be a ${expected} for a ${type} field.`,
        {
          errors: [{ path: `validation.${bound}`, message: `Must be a ${expected} for a ${type} field.` }],
        },
      );
    }
  }
}

export const customFieldRoutes = createRouter()
  .openapi(listRoute, async (c) => {
    const { object } = c.req.valid("query");
    const db = c.get("db");
    const objects = object ? [object] : CUSTOM_FIELD_OBJECTS;
    const { results } = await authorizedRead(c, () => objects.map((o) => customFieldsQuery(db, o)));
    return c.json({ items: results.flat().map(toDefinition), nextCursor: null }, 200);
  })
  .openapi(createRoute, async (c) => {
    const input = c.req.valid("json");
    checkRules(input.type, input.validation);
    const {
      results: [rows],
    } = await authorizedWrite(
      c,
      () => [insertDefinitionStatement(c.get("db"), input, Date.now())] as const,
    ).catch(
      conflictOnUnique({
        "custom_field_definitions.object": `The ${input.object} object already has a field with key "${input.key}".`,
      }),
    );
    const row = rows[0];
    if (!row) throw new ApiError("internal", "The definition was not stored.");
    return c.json(toDefinition(row), 201, { Location: `/api/v1/custom-fields/${row.id}` });
  })
  .openapi(patchRoute, async (c) => {
    const { id } = c.req.valid("param");
    const patch = c.req.valid("json");
    const {
      results: [rows],
    } = await authorizedWrite(
      c,
      () => [updateDefinitionStatement(c.get("db"), id, patch, Date.now())] as const,
    );
    const row = rows[0];
    if (!row) throw new ApiError("not_found", "Not found");
    return c.json(toDefinition(row), 200);
  })
  .openapi(archiveRoute, async (c) => {
    const { id } = c.req.valid("param");
    const {
      results: [rows],
    } = await authorizedWrite(c, () => [archiveDefinitionStatement(c.get("db"), id, Date.now())] as const);
    if (rows.length === 0) throw new ApiError("not_found", "Not found");
    return c.body(null, 204);
  });
