// The zod schemas of the email templates API: a template with its language variants, writes (variables
// checked against the closed list), the list's query, and the preview and send requests.
import { z } from "@hono/zod-openapi";
import { TEMPLATE_KINDS, TEMPLATE_LANGUAGES } from "../../../db/schema/index.ts";
import { TEMPLATE_VARIABLES, unknownVariables } from "../../../db/templates/render.ts";
import { pageQuery } from "../../openapi.ts";
import { Id } from "../contacts/schemas.ts";

const withKnownVariables = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .superRefine((source, ctx) => {
      const unknown = unknownVariables(source);
      if (unknown.length > 0) {
        ctx.addIssue({
          code: "custom",
          message: `Unknown variable ${unknown.map((name) => `{{${name}}}`).join(", ")}; known: ${TEMPLATE_VARIABLES.join(", ")}`,
        });
      }
    });

const Variant = z
  .strictObject({
    subject: withKnownVariables(300),
    html: withKnownVariables(100_000),
    text: withKnownVariables(100_000)
      .optional()
      .openapi({ description: "The plain-text body; made from the HTML when absent." }),
  })
  .openapi("EmailTemplateVariant", {
    description: `Variables: ${TEMPLATE_VARIABLES.map((name) => `{{${name}}}`).join(", ")}.`,
  });

const Variants = z.strictObject({ en: Variant, vi: Variant.optional() });

const templateFields = {
  name: z.string().trim().min(1).max(200),
  kind: z.enum(TEMPLATE_KINDS).openapi({
    description: "Marketing emails go only to contacts whose email consent is granted.",
  }),
  variants: Variants.openapi({ description: "English is required, Vietnamese optional." }),
};

export const TemplateCreate = z.strictObject(templateFields).openapi("EmailTemplateCreate");
export const TemplatePatch = z.strictObject(templateFields).partial().openapi("EmailTemplatePatch");

const StoredVariant = z.object({ subject: z.string(), html: z.string(), text: z.string() });

export const TemplateSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.enum(TEMPLATE_KINDS),
    variants: z.object({ en: StoredVariant, vi: StoredVariant.optional() }),
    version: z.number().int(),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
  })
  .openapi("EmailTemplate");

export const TemplatePage = z
  .object({ items: z.array(TemplateSchema), nextCursor: z.string().nullable() })
  .openapi("EmailTemplatePage");

export const TemplateListQuery = z.object(pageQuery());

const Lang = z
  .enum(TEMPLATE_LANGUAGES)
  .default("en")
  .openapi({ description: "The variant to use; English when the template has no variant in this language." });

export const PreviewRequest = z
  .strictObject({ contactId: Id, dealId: Id.optional(), lang: Lang })
  .openapi("EmailTemplatePreviewRequest");

export const Preview = z
  .object({
    lang: z.enum(TEMPLATE_LANGUAGES),
    subject: z.string(),
    text: z.string(),
    html: z.string(),
  })
  .openapi("EmailTemplatePreview");

export const SendRequest = z
  .strictObject({ templateId: Id, dealId: Id.optional(), lang: Lang })
  .openapi("ContactEmailRequest");

export const SendAccepted = z
  .object({
    outboxId: z.string().openapi({ description: "The outbox message; GET /api/v1/outbox shows its status." }),
    activityId: z.string(),
    lang: z.enum(TEMPLATE_LANGUAGES),
    subject: z.string(),
  })
  .openapi("ContactEmailAccepted");
