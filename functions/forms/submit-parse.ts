// Reading a submission off the wire: the body (16 KB at most, refused with 413 before it is all read), its
// content type (JSON from the embed, urlencoded or multipart from a plain HTML form; anything else 415), and
// the shape both become. Nothing here knows the form: checking the values against it comes after.
import { z } from "zod";
import { type FieldValue, FieldValueSchema } from "../../queues/capture/message.ts";
import { ApiError } from "../errors.ts";
import { LANGUAGES, type Lang, LIMITS } from "./field-rules.ts";

export const MAX_BODY_BYTES = 16 * 1024;
const MAX_FIELDS = 100;

export interface PostedSubmission {
  format: "json" | "form";
  submissionId: string | null;
  visitorId: string | null;
  fields: Record<string, FieldValue>;
  consent: FieldValue | undefined;
  renderedAt: number | null;
  page: { url: string | null; referrer: string | null };
  honeypot: string | null;
  turnstileToken: string | null;
  lang: Lang | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const VISITOR_ID = /^[\x21-\x7e]{1,64}$/;

/** The hidden inputs of the hosted page, and the ones a plain post may carry; everything else is a field. */
const FORM_CONTROLS = new Set([
  "_sid",
  "_vid",
  "_rendered",
  "_lang",
  "_page",
  "_ref",
  "consent",
  "cf-turnstile-response",
]);

export type BodyKind = "json" | "urlencoded" | "multipart";

/** The kind of body the content type names; 415 for any other. */
export function bodyKind(contentType: string | undefined): BodyKind {
  const type = (contentType ?? "").split(";", 1)[0]?.trim().toLowerCase() ?? "";
  if (type === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(type)) return "json";
  if (type === "application/x-www-form-urlencoded") return "urlencoded";
  if (type === "multipart/form-data") return "multipart";
  throw new ApiError(
    "unsupported_media_type",
    "Send the submission as application/json, application/x-www-form-urlencoded or multipart/form-data.",
  );
}

function nulRefused(): ApiError {
  return new ApiError("validation_failed", "Text must not contain NUL characters (\\u0000).");
}

function tooLarge(): ApiError {
  return new ApiError("payload_too_large", `A submission may be at most ${MAX_BODY_BYTES / 1024} KB.`);
}

/**
 * The body's bytes, refusing a larger one as soon as it shows: by its Content-Length, or while it streams in.
 * A body something before us already read (the NUL check reads JSON) is measured as it is.
 */
export async function readCappedBody(request: {
  raw: Request;
  header(name: string): string | undefined;
  bodyCache: object;
  arrayBuffer(): Promise<ArrayBuffer>;
}): Promise<Uint8Array> {
  const declared = Number(request.header("Content-Length"));
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) throw tooLarge();
  if (Object.keys(request.bodyCache).length > 0) {
    const bytes = new Uint8Array(await request.arrayBuffer());
    if (bytes.byteLength > MAX_BODY_BYTES) throw tooLarge();
    return bytes;
  }
  const stream = request.raw.body;
  if (!stream) return new Uint8Array();
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_BODY_BYTES) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge();
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw new ApiError("bad_request", "The request body could not be read.");
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}

const JsonSubmission = z.object({
  submissionId: z.string().max(100).nullish(),
  visitorId: z.string().max(200).nullish(),
  fields: z
    .record(z.string().max(200), FieldValueSchema)
    .refine((fields) => Object.keys(fields).length <= MAX_FIELDS, `At most ${MAX_FIELDS} fields.`)
    .default({}),
  consent: FieldValueSchema.optional(),
  renderedAt: z.number().nullish(),
  page: z.object({ url: z.string().max(4096).nullish(), referrer: z.string().max(4096).nullish() }).nullish(),
  honeypot: z.string().max(20_000).nullish(),
  turnstileToken: z.string().max(4096).nullish(),
  lang: z.string().max(20).nullish(),
});

function submissionIdOf(value: string | null | undefined): string | null {
  if (value === null || value === undefined || value === "") return null;
  if (!UUID.test(value))
    throw new ApiError("bad_request", "submissionId must be a UUID, made once per submission.");
  return value.toLowerCase();
}

function visitorIdOf(value: string | null | undefined): string | null {
  return value && VISITOR_ID.test(value) ? value : null;
}

export function langOf(value: string | null | undefined): Lang | null {
  const short = value?.trim().toLowerCase().slice(0, 2);
  return (LANGUAGES as readonly string[]).includes(short ?? "") ? (short as Lang) : null;
}

function parseJson(bytes: Uint8Array): PostedSubmission {
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new ApiError("bad_request", "The body is not valid JSON.");
  }
  // The NUL check before us reads only bodies it recognises as JSON by their exact content type.
  if (JSON.stringify(body).includes("\\u0000")) throw nulRefused();
  const parsed = JsonSubmission.safeParse(body);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; ");
    throw new ApiError("bad_request", `The submission is not shaped as expected: ${detail}`);
  }
  const value = parsed.data;
  return {
    format: "json",
    submissionId: submissionIdOf(value.submissionId),
    visitorId: visitorIdOf(value.visitorId),
    fields: value.fields,
    consent: value.consent,
    renderedAt:
      typeof value.renderedAt === "number" && Number.isFinite(value.renderedAt) ? value.renderedAt : null,
    page: { url: value.page?.url ?? null, referrer: value.page?.referrer ?? null },
    honeypot: value.honeypot ?? null,
    turnstileToken: value.turnstileToken ?? null,
    lang: langOf(value.lang),
  };
}

async function formEntries(kind: "urlencoded" | "multipart", bytes: Uint8Array, contentType: string) {
  if (kind === "urlencoded") return [...new URLSearchParams(new TextDecoder().decode(bytes)).entries()];
  let data: FormData;
  try {
    data = await new Response(bytes, { headers: { "Content-Type": contentType } }).formData();
  } catch {
    throw new ApiError("bad_request", "The multipart body could not be read.");
  }
  const entries: [string, string][] = [];
  // Files are not form input here: only text parts are read.
  data.forEach((value, key) => {
    if (typeof value === "string") entries.push([key, value]);
  });
  return entries;
}

async function parseForm(kind: "urlencoded" | "multipart", bytes: Uint8Array, contentType: string) {
  const controls = new Map<string, string>();
  // A Map, not an object: a posted name such as "constructor" must not meet Object.prototype.
  const collected = new Map<string, FieldValue>();
  for (const [key, value] of await formEntries(kind, bytes, contentType)) {
    // As for JSON bodies (functions/middleware/reject-nul.ts): no input of ours means to hold a NUL.
    if (key.includes("\u0000") || value.includes("\u0000")) throw nulRefused();
    if (FORM_CONTROLS.has(key)) {
      controls.set(key, value);
      continue;
    }
    if (key.length > 200) continue;
    const held = collected.get(key);
    if (held === undefined) {
      if (collected.size >= MAX_FIELDS) throw new ApiError("bad_request", `At most ${MAX_FIELDS} fields.`);
      collected.set(key, value);
    } else {
      // A name repeated (checkboxes of a multi-select) collects its values in order.
      collected.set(key, Array.isArray(held) ? [...held, value].slice(0, 200) : [held, value]);
    }
  }
  const fields: Record<string, FieldValue> = Object.fromEntries(collected);
  const rendered = Number(controls.get("_rendered"));
  return {
    format: "form",
    submissionId: submissionIdOf(controls.get("_sid")),
    visitorId: visitorIdOf(controls.get("_vid")),
    fields,
    consent: controls.get("consent"),
    renderedAt: controls.has("_rendered") && Number.isFinite(rendered) ? rendered : null,
    page: { url: controls.get("_page") || null, referrer: controls.get("_ref") || null },
    honeypot: null,
    turnstileToken: controls.get("cf-turnstile-response") ?? null,
    lang: langOf(controls.get("_lang")),
  } satisfies PostedSubmission;
}

export async function parseSubmission(
  kind: BodyKind,
  bytes: Uint8Array,
  contentType: string,
): Promise<PostedSubmission> {
  return kind === "json" ? parseJson(bytes) : parseForm(kind, bytes, contentType);
}

/** UTM parameters of a page URL; nothing when the URL does not parse. */
export function utmOf(pageUrl: string | null) {
  const utm: Record<string, string> = {};
  if (!pageUrl || !URL.canParse(pageUrl)) return utm;
  const params = new URL(pageUrl).searchParams;
  for (const key of ["source", "medium", "campaign", "term", "content"]) {
    const value = params.get(`utm_${key}`)?.trim();
    if (value) utm[key] = value.slice(0, 200);
  }
  return utm;
}

/** A header's text, cut to a length that fits the submission row. */
export function clip(value: string | null | undefined, max: number = LIMITS.url): string | null {
  return value ? value.slice(0, max) : null;
}
