// The contact 360: everything a rep needs on one screen about a person, read in one round trip.
import { z } from "@hono/zod-openapi";
import { contact360, contact360Queries } from "../../../db/contact-360.ts";
import { LIFECYCLE_STAGES } from "../../../db/schema/index.ts";
import { authorizedRead, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import { json } from "../../openapi.ts";
import { ActivityPageSchema } from "../activities/routes.ts";
import { TaskSchema } from "../tasks/routes.ts";

const Id = z.string().min(1).max(64);
const Time = z.number().int().openapi({ description: "Epoch milliseconds." });

const Contact360Schema = z
  .object({
    contact: z
      .object({
        id: Id,
        name: z.string(),
        firstName: z.string().nullable(),
        lastName: z.string().nullable(),
        email: z.string().nullable(),
        emails: z.array(z.string()),
        phone: z.string().nullable(),
        phones: z.array(z.string()),
        companyId: Id.nullable(),
        jobTitle: z.string().nullable(),
        address: z.string().nullable(),
        lifecycleStage: z.enum(LIFECYCLE_STAGES),
        leadStatus: z.string().nullable(),
        source: z.string().nullable(),
        emailConsent: z.string().nullable(),
        fitScore: z.number().nullable(),
        engagementScore: z.number().nullable(),
        grade: z.string().nullable(),
        custom: z.record(z.string(), z.unknown()),
        tags: z.array(z.string()),
        ownerId: Id.nullable(),
        teamId: Id.nullable(),
        version: z.number().int(),
        createdAt: Time,
        updatedAt: Time,
      })
      .openapi("Contact360Contact"),
    company: z
      .object({
        id: Id,
        name: z.string(),
        domain: z.string().nullable(),
        industry: z.string().nullable(),
        size: z.string().nullable(),
        country: z.string().nullable(),
        ownerId: Id.nullable(),
        teamId: Id.nullable(),
      })
      .nullable()
      .openapi({ description: "Null when the contact has none, or the caller may not see it." }),
    deals: z
      .array(
        z.object({
          id: Id,
          name: z.string(),
          amount: z.number().int().openapi({ description: "Integer minor units of currency." }),
          currency: z.string(),
          pipelineId: Id,
          stageId: Id,
          status: z.enum(["open", "won", "lost"]),
          expectedCloseDate: z.string().nullable(),
          closedAt: Time.nullable(),
          ownerId: Id.nullable(),
          teamId: Id.nullable(),
        }),
      )
      .openapi({ description: "The contact's deals the caller may see (up to 100)." }),
    openTasks: z
      .array(TaskSchema)
      .openapi({ description: "Open tasks on the contact, soonest due first (up to 100)." }),
    timeline: ActivityPageSchema.openapi({
      description: "The first page; GET /api/v1/activities?contactId=…&cursor=nextCursor for the next.",
    }),
  })
  .openapi("Contact360");

const Params = z.object({ id: Id.openapi({ param: { name: "id", in: "path" } }) });
const Query = z.object({
  timelineLimit: z.coerce.number().int().min(1).max(200).default(25),
});

const route = defineRoute({
  method: "get",
  path: "/api/v1/contacts/{id}/360",
  tags: ["Contacts"],
  summary: "A contact with its company, deals, open tasks and the first page of its timeline",
  access: { scope: "contacts:read" },
  record: "contact",
  request: { params: Params, query: Query },
  responses: { 200: json(Contact360Schema, "The contact's 360") },
});

export const contact360Routes = createRouter().openapi(route, async (c) => {
  const { id } = c.req.valid("param");
  const { timelineLimit } = c.req.valid("query");
  const { results } = await authorizedRead(c, (me) => contact360Queries(c.get("db"), me, id, timelineLimit));
  return c.json(contact360(results, timelineLimit), 200);
});
