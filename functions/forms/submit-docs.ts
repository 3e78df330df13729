// The public form endpoints in the OpenAPI document, for integrators who post submissions from their own
// servers. Documentation only: the handlers read their bodies themselves (JSON or a plain form post, 16 KB
// at most), so nothing here validates a request.
import { z } from "@hono/zod-openapi";
import type { Router } from "../app.ts";
import { problemContent } from "../errors.ts";
import { ERROR_CODES as FIELD_ERROR_CODES, FIELD_TYPES, LANGUAGES } from "./field-rules.ts";

const Text = z.object({ en: z.string(), vi: z.string().optional() });

const PublicFormSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    languages: z.array(z.enum(LANGUAGES)).openapi({ description: "The first is the default." }),
    fields: z.array(
      z.object({
        key: z.string().openapi({ description: "The input's name." }),
        type: z.enum(FIELD_TYPES),
        label: Text,
        placeholder: Text.optional(),
        required: z.boolean(),
        options: z.array(z.object({ value: z.string(), label: Text })).optional(),
        min: z.number().optional(),
        max: z.number().optional(),
        maxLength: z.number().int().optional(),
      }),
    ),
    consent: z.object({ text: Text, required: z.boolean() }).nullable(),
    submitLabel: Text,
    thankYou: z.object({ message: Text, redirectUrl: z.string().nullable() }),
    turnstileSiteKey: z.string().nullable(),
    minFillMs: z.number().int(),
    honeypotName: z.string(),
  })
  .openapi("PublicForm");

const SubmissionSchema = z
  .object({
    submissionId: z.uuid().optional().openapi({
      description: "Made once per submission and sent again on every retry; the server makes one if absent.",
    }),
    visitorId: z
      .string()
      .max(64)
      .optional()
      .openapi({ description: "Kept by the browser, to recognise a returning visitor." }),
    fields: z
      .record(z.string(), z.unknown())
      .openapi({ description: "Values by field key; a multiselect takes a list." }),
    consent: z.boolean().optional(),
    renderedAt: z.number().int().optional().openapi({ description: "When the form was shown (epoch ms)." }),
    page: z.object({ url: z.string().optional(), referrer: z.string().optional() }).optional(),
    honeypot: z
      .string()
      .optional()
      .openapi({ description: "The hidden trap input's value: empty from a person." }),
    turnstileToken: z.string().optional(),
    lang: z.enum(LANGUAGES).optional(),
  })
  .openapi("PublicSubmission");

const AcceptedSchema = z
  .object({
    submissionId: z.string(),
    status: z.literal("accepted"),
    message: z.string().openapi({ description: "The thank-you text, in the submission's language." }),
    redirectUrl: z.string().nullable(),
  })
  .openapi("SubmissionAccepted");

const FieldProblem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.literal(422),
    detail: z.string(),
    instance: z.string(),
    code: z.literal("validation_failed"),
    requestId: z.string(),
    errors: z.array(
      z.object({ field: z.string(), path: z.string(), code: z.enum(FIELD_ERROR_CODES), message: z.string() }),
    ),
  })
  .openapi("SubmissionProblem");

const Params = z.object({ id: z.string().openapi({ param: { name: "id", in: "path" } }) });
const tags = ["Public forms"];

export function documentPublicForms(registry: Router["openAPIRegistry"]): void {
  registry.registerPath({
    method: "get",
    path: "/f/{id}/definition",
    tags,
    summary: "A form's public definition, as the embed renders it",
    description:
      "Public. CORS for the form's allowed origins; cacheable for a minute. Never carries secrets.",
    request: { params: Params },
    responses: {
      200: { description: "The form", content: { "application/json": { schema: PublicFormSchema } } },
      404: problemContent("No such form, or it is archived"),
    },
  });
  registry.registerPath({
    method: "post",
    path: "/f/{id}",
    tags,
    summary: "Submit a form: queued at once, made a lead by the capture consumer",
    description:
      "Public. JSON (as the embed sends it) or a plain HTML form post (urlencoded or multipart, with the hidden " +
      "inputs of the hosted page: _sid, _vid, _rendered, _lang, _page). At most 16 KB. The answer comes once the " +
      "submission is durable (queued, or written to the database); retry 429 and 503 with the same submissionId. " +
      "Spam is accepted and kept, marked, never made a lead.",
    request: {
      params: Params,
      body: {
        content: {
          "application/json": { schema: SubmissionSchema },
          "application/x-www-form-urlencoded": { schema: z.record(z.string(), z.string()) },
        },
      },
    },
    responses: {
      202: { description: "Accepted (JSON)", content: { "application/json": { schema: AcceptedSchema } } },
      303: { description: "Accepted (plain form post): on to the redirect URL or the hosted thank-you page" },
      400: problemContent("The body could not be read as a submission"),
      403: problemContent("Posted from an origin the form does not allow"),
      404: problemContent("No such form, or it is archived"),
      413: problemContent("Over 16 KB"),
      415: problemContent("Neither JSON nor a form post"),
      422: {
        description:
          "Values the form refuses, field by field (a plain form post gets its page again, as HTML)",
        content: { "application/problem+json": { schema: FieldProblem } },
      },
      429: problemContent("Too many submissions from this address or to this form; retry after Retry-After"),
      503: problemContent("Neither the queue nor the database took it; retry after Retry-After"),
    },
  });
}
