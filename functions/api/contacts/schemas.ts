// The zod schemas of the contacts API: what a contact looks like, what a write may send, the list's query.
import { z } from "@hono/zod-openapi";
import { LEAD_STATUSES, LIFECYCLE_STAGES } from "../../../db/schema/index.ts";

export const Id = z.string().min(1).max(64);
export const IdParams = z.object({ id: Id.openapi({ param: { name: "id", in: "path" } }) });

const Text = (max: number) => z.string().trim().max(max);
const Utm = z
  .strictObject({
    source: Text(200).optional(),
    medium: Text(200).optional(),
    campaign: Text(200).optional(),
    term: Text(200).optional(),
    content: Text(200).optional(),
    at: z.number().int().optional(),
  })
  .openapi("Utm");

const contactFields = {
  name: Text(200).min(1),
  firstName: Text(100).nullable(),
  lastName: Text(100).nullable(),
  emails: z.array(z.email().max(254)).max(20).openapi({ description: "The first is the primary email." }),
  phones: z
    .array(z.string().max(40))
    .max(20)
    .openapi({ description: "Stored in E.164; national numbers are read in the organisation's region." }),
  companyId: Id.nullable(),
  jobTitle: Text(200).nullable(),
  address: Text(1000).nullable(),
  lifecycleStage: z.enum(LIFECYCLE_STAGES),
  leadStatus: z.enum(LEAD_STATUSES).nullable(),
  source: Text(200).nullable(),
  firstTouch: Utm.nullable(),
  latestTouch: Utm.nullable(),
  ownerId: Id,
  teamId: Id.nullable(),
  tags: z.array(Text(100).min(1)).max(50),
  custom: z.record(z.string().max(64), z.unknown()),
  consent: z
    .strictObject({
      email: z.enum(["granted", "withdrawn"]),
      at: z.number().int().optional(),
      source: Text(200).nullable().optional(),
    })
    .nullable(),
};

export const ContactCreate = z.strictObject(contactFields).partial().openapi("ContactCreate");
export const ContactPatch = z.strictObject(contactFields).partial().openapi("ContactPatch");

export const ContactSchema = z
  .object({
    id: Id,
    name: z.string(),
    firstName: z.string().nullable(),
    lastName: z.string().nullable(),
    email: z.string().nullable(),
    emails: z.array(z.string()),
    phone: z.string().nullable(),
    phones: z.array(z.string()),
    companyId: z.string().nullable(),
    jobTitle: z.string().nullable(),
    address: z.string().nullable(),
    lifecycleStage: z.string(),
    leadStatus: z.string().nullable(),
    source: z.string().nullable(),
    firstTouch: Utm.nullable(),
    latestTouch: Utm.nullable(),
    consent: z.object({
      email: z.enum(["granted", "withdrawn"]).nullable(),
      at: z.number().nullable(),
      source: z.string().nullable(),
    }),
    scores: z.object({
      fit: z.number().nullable(),
      engagement: z.number().nullable(),
      grade: z.string().nullable(),
    }),
    ownerId: z.string().nullable(),
    teamId: z.string().nullable(),
    tags: z.array(z.string()),
    custom: z.record(z.string(), z.unknown()),
    version: z.number().int(),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
    deletedAt: z.number().int().nullable(),
  })
  .openapi("Contact");

export const ContactPage = z
  .object({ items: z.array(ContactSchema), nextCursor: z.string().nullable() })
  .openapi("ContactPage");

/** Epoch ms, or an ISO date-time. */
export const Time = z
  .string()
  .transform((value, ctx) => {
    const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
    if (Number.isNaN(ms)) {
      ctx.addIssue({ code: "custom", message: "Epoch milliseconds or an ISO date-time." });
      return z.NEVER;
    }
    return ms;
  })
  .optional();

export const ListQuery = z
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
    lifecycleStage: z.enum(LIFECYCLE_STAGES).optional(),
    leadStatus: z.enum(LEAD_STATUSES).optional(),
    tag: z.string().max(100).optional(),
    company: Id.optional(),
    email: z.string().max(254).optional(),
    createdFrom: Time,
    createdTo: Time,
    updatedFrom: Time,
    updatedTo: Time,
  })
  .catchall(z.string().max(500))
  .openapi({ description: "Also `custom.<key>=value` filters on custom fields." });

export const BatchItemResult = z
  .object({
    index: z.number().int(),
    status: z.number().int(),
    id: z.string().optional(),
    error: z.object({ code: z.string(), detail: z.string() }).optional(),
  })
  .openapi("BatchItemResult");
