// The zod schemas of the companies API: what a company looks like, what a write may send, the list's query.
import { z } from "@hono/zod-openapi";
import { Id, Time } from "../contacts/schemas.ts";

const Text = (max: number) => z.string().trim().max(max);

const companyFields = {
  name: Text(200).min(1),
  domain: Text(300).nullable().openapi({
    description: "Stored lower-case without scheme, `www.` or path; unique among live companies.",
  }),
  industry: Text(200).nullable(),
  size: Text(50).nullable(),
  country: Text(100).nullable(),
  ownerId: Id,
  teamId: Id.nullable(),
  custom: z.record(z.string().max(64), z.unknown()),
};

export const CompanyCreate = z
  .strictObject({ ...companyFields })
  .partial()
  .required({ name: true })
  .openapi("CompanyCreate");
export const CompanyPatch = z.strictObject(companyFields).partial().openapi("CompanyPatch");

export const CompanySchema = z
  .object({
    id: Id,
    name: z.string(),
    domain: z.string().nullable(),
    industry: z.string().nullable(),
    size: z.string().nullable(),
    country: z.string().nullable(),
    ownerId: z.string().nullable(),
    teamId: z.string().nullable(),
    custom: z.record(z.string(), z.unknown()),
    version: z.number().int(),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
    deletedAt: z.number().int().nullable(),
  })
  .openapi("Company");

export const CompanyPage = z
  .object({ items: z.array(CompanySchema), nextCursor: z.string().nullable() })
  .openapi("CompanyPage");

export const CompanyListQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(1024).optional(),
    sort: z
      .enum(["id", "-id", "name", "-name", "createdAt", "-createdAt", "updatedAt", "-updatedAt"])
      .optional()
      .openapi({
        description:
          "A leading - sorts descending. Default: `id`, or with `q`, the search index's order (newest match first), which costs the same however many records match.",
      }),
    q: z.string().max(200).optional().openapi({
      description:
        "Words to search for, case- and accent-insensitive (`nguyen van` finds `Nguyễn Văn`); the last word matches as a prefix.",
    }),
    owner: Id.optional(),
    team: Id.optional(),
    industry: z.string().max(200).optional(),
    country: z.string().max(100).optional(),
    domain: z.string().max(300).optional(),
    createdFrom: Time,
    createdTo: Time,
    updatedFrom: Time,
    updatedTo: Time,
  })
  .catchall(z.string().max(500))
  .openapi({ description: "Also `custom.<key>=value` filters on custom fields." });

/** One item's outcome in a batch upsert. */
export const BatchResult = z
  .object({
    index: z.number().int(),
    status: z.enum(["created", "updated", "error"]),
    id: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi("BatchUpsertResult");

export const BatchResponse = z
  .object({
    results: z.array(BatchResult),
    counts: z.object({ created: z.number().int(), updated: z.number().int(), error: z.number().int() }),
  })
  .openapi("BatchUpsertResponse");
