// POST /f/{formId}: a submission, queue-first. It is read (16 KB, JSON or a plain form post), checked against
// the form when this location knows it (functions/forms/submit-cache.ts; the database is never asked here),
// given an id, and put on the capture queue; the answer (202, or 303 for a plain form) comes once the send
// resolved. If the queue fails the submission is written straight to the database (one statement) and the
// answer is the same; if that fails too, 503 with Retry-After. The consumer re-checks everything against the
// database, so what the edge could not check (a form it did not know yet) is checked there.
import type { Context } from "hono";
import { receivedSubmissionStatement } from "../../db/forms/submissions.ts";
import { newId } from "../../db/ids.ts";
import { type CaptureData, CaptureDataSchema, FORM_SUBMISSION_TYPE } from "../../queues/capture/message.ts";
import type { AppEnv } from "../env.ts";
import { ApiError, ERROR_CODES } from "../errors.ts";
import { checkValues, originAllowed } from "./definition.ts";
import { type ErrorCode, type Lang, localize, MESSAGES } from "./field-rules.ts";
import { renderFormPage } from "./page.ts";
import { spamReasons, verifyTurnstile } from "./spam.ts";
import { type EdgeForm, type Known, knownForm } from "./submit-cache.ts";
import {
  bodyKind,
  clip,
  langOf,
  type PostedSubmission,
  parseSubmission,
  readCappedBody,
  utmOf,
} from "./submit-parse.ts";

const THANKS: Record<Lang, string> = {
  en: "Thank you! We received your submission.",
  vi: "Cảm ơn bạn! Chúng tôi đã nhận được thông tin của bạn.",
};

/** How long a caller is asked to wait when neither the queue nor the database took the submission. */
const RETRY_AFTER_S = "30";

// ---- CORS: only for the form's allowed origins ----

export interface CorsDecision {
  refused: boolean;
  headers: Record<string, string>;
}

/**
 * What to say to a browser posting from `origin`. The CRM's own pages need nothing; a known form answers its
 * allowed origins and refuses the rest; a form this location does not know yet is answered (a browser only
 * posts JSON after a preflight, which asks the database) and the consumer checks the origin against the form.
 */
export function corsFor(origin: string | undefined, selfOrigin: string, known: Known): CorsDecision {
  if (origin === undefined || origin === selfOrigin) return { refused: false, headers: {} };
  if (known && !originAllowed(origin, known.allowedOrigins))
    return { refused: true, headers: { Vary: "Origin" } };
  return {
    refused: false,
    headers: {
      "Access-Control-Allow-Origin": origin,
      // The embed waits as long as a 429 or 503 asks before it tries again.
      "Access-Control-Expose-Headers": "Retry-After",
      Vary: "Origin",
    },
  };
}

function problem(
  c: Context<AppEnv>,
  error: ApiError,
  headers: Record<string, string>,
  extra: object = {},
): Response {
  const { status, title } = ERROR_CODES[error.code];
  const body = {
    type: "about:blank",
    title,
    status,
    detail: error.detail,
    instance: new URL(c.req.url).pathname,
    code: error.code,
    requestId: c.get("requestId") ?? "",
    ...extra,
  };
  return c.body(JSON.stringify(body), status, {
    "Content-Type": "application/problem+json",
    ...error.headers,
    ...headers,
  });
}

// ---- rate limits: cheap, approximate, per location; before anything else is read ----

async function rateLimited(c: Context<AppEnv>, formId: string, ip: string | null): Promise<boolean> {
  const perForm = c.env.FORM_RATE_LIMITER;
  const perAddress = c.env.FORM_IP_RATE_LIMITER;
  if (perAddress && ip && !(await perAddress.limit({ key: `${formId}:${ip}` })).success) return true;
  if (perForm && !(await perForm.limit({ key: formId })).success) return true;
  return false;
}

// ---- the handler ----

export async function submitForm(c: Context<AppEnv>, formId: string): Promise<Response> {
  const receivedAt = Date.now();
  const selfOrigin = new URL(c.req.url).origin;
  const origin = c.req.header("Origin");
  const known = await knownForm(c.get("config").LIBSQL_URL, selfOrigin, formId);
  const cors = corsFor(origin, selfOrigin, known);
  try {
    if (known === null || known?.archived)
      throw new ApiError("not_found", "No such form, or it no longer takes submissions.");
    if (cors.refused) throw new ApiError("forbidden", `This form may not be posted from ${origin}.`);
    const ip = clip(c.req.header("CF-Connecting-IP"), 100);
    if (await rateLimited(c, formId, ip)) {
      throw new ApiError("rate_limited", "Too many submissions. Wait a minute and try again.", {
        headers: { "Retry-After": "60" },
      });
    }
    const contentType = c.req.header("Content-Type") ?? "";
    const kind = bodyKind(contentType);
    const posted = await parseSubmission(kind, await readCappedBody(c.req), contentType);
    const lang = posted.lang ?? langOf(c.req.query("lang")) ?? known?.form.languages[0] ?? "en";
    const data = captureData(c, formId, posted, { receivedAt, selfOrigin, ip, origin: origin ?? null });

    if (known) {
      const invalid = await checkAtTheEdge(known, posted, data);
      if (invalid) return answerInvalid(c, known, posted, data, lang, invalid, cors.headers);
    }
    // Whatever is accepted must be readable by the consumer, or it would end as a dead letter after a 2xx.
    if (!CaptureDataSchema.safeParse(data).success) {
      throw new ApiError("bad_request", "The submission could not be read; send the form again.");
    }
    return await enqueue(c, data, known, lang, cors.headers);
  } catch (error) {
    if (error instanceof ApiError) return problem(c, error, cors.headers);
    throw error;
  }
}

function captureData(
  c: Context<AppEnv>,
  formId: string,
  posted: PostedSubmission,
  meta: { receivedAt: number; selfOrigin: string; ip: string | null; origin: string | null },
): CaptureData {
  const pageUrl = clip(posted.page.url ?? c.req.header("Referer"), 4096);
  return {
    v: 1,
    formId,
    submissionId: posted.submissionId ?? newId(),
    receivedAt: meta.receivedAt,
    format: posted.format,
    lang: posted.lang,
    fields: posted.fields,
    ...(posted.consent !== undefined ? { consent: posted.consent } : {}),
    visitorId: posted.visitorId,
    renderedAt: posted.renderedAt,
    honeypot: posted.honeypot,
    page: { url: pageUrl, referrer: clip(posted.page.referrer, 4096) },
    utm: utmOf(pageUrl),
    userAgent: clip(c.req.header("User-Agent"), 1000),
    ip: meta.ip,
    origin: clip(meta.origin, 1000),
    selfOrigin: meta.selfOrigin,
    // A token is a few hundred characters; a longer one cannot be valid, and is kept cut, to fail verification.
    turnstile: { token: clip(posted.turnstileToken, 4096), verdict: null, codes: [] },
    replay: false,
  };
}

/**
 * With the form known: Turnstile is verified now, while its token is fresh (the verdict travels with the
 * submission), and the values are checked, unless the submission already looks like spam: spam is accepted
 * and kept (marked) rather than told what to fix. Returns the field errors, or null.
 */
async function checkAtTheEdge(known: EdgeForm, posted: PostedSubmission, data: CaptureData) {
  const { [known.form.honeypotName]: trap, ...fields } = posted.fields;
  const honeypot = [posted.honeypot, typeof trap === "string" ? trap : null].filter(Boolean).join("") || null;
  if (known.turnstileSecret) {
    const verdict = await verifyTurnstile(known.turnstileSecret, posted.turnstileToken, {
      ip: data.ip,
      idempotencyKey: data.submissionId,
    });
    data.turnstile = { token: null, verdict: verdict.verdict, codes: verdict.codes };
  }
  const suspect = spamReasons({
    honeypot,
    renderedAt: data.renderedAt,
    receivedAt: data.receivedAt,
    minFillMs: known.form.minFillMs,
    origin: null,
    selfOrigin: data.selfOrigin,
    allowedOrigins: known.allowedOrigins,
    turnstile: data.turnstile.verdict
      ? { verdict: data.turnstile.verdict, codes: data.turnstile.codes }
      : null,
  });
  if (suspect.length > 0) return null;
  const { errors } = checkValues(known.form, fields, posted.consent);
  return errors.length > 0 ? errors : null;
}

function answerInvalid(
  c: Context<AppEnv>,
  known: EdgeForm,
  posted: PostedSubmission,
  data: CaptureData,
  lang: Lang,
  errors: { field: string; code: ErrorCode }[],
  corsHeaders: Record<string, string>,
): Response {
  if (posted.format === "form") {
    const nonce = newNonce();
    const html = renderFormPage({
      form: known.form,
      lang,
      action: `/f/${encodeURIComponent(known.id)}`,
      values: { ...posted.fields, ...(posted.consent !== undefined ? { consent: posted.consent } : {}) },
      errors: Object.fromEntries(errors.map((e) => [e.field, e.code])),
      submissionId: data.submissionId,
      renderedAt: data.renderedAt ?? data.receivedAt,
      // The page the visitor came from (and its UTM) travels on to the corrected post.
      page: data.page,
      nonce,
    });
    return c.body(html, 422, pageHeaders(nonce, known.form.thankYou.redirectUrl));
  }
  const detailed = errors.map((e) => ({
    field: e.field,
    path: `fields.${e.field}`,
    code: e.code,
    message: MESSAGES[lang][e.code],
  }));
  return problem(
    c,
    new ApiError("validation_failed", detailed.map((e) => `${e.field}: ${e.message}`).join("; ")),
    corsHeaders,
    { errors: detailed },
  );
}

async function enqueue(
  c: Context<AppEnv>,
  data: CaptureData,
  known: Known,
  lang: Lang,
  corsHeaders: Record<string, string>,
): Promise<Response> {
  try {
    await c.env.CAPTURE_QUEUE.send({
      id: data.submissionId,
      type: FORM_SUBMISSION_TYPE,
      createdAt: data.receivedAt,
      data,
    });
  } catch (queueError) {
    try {
      await receivedSubmissionStatement(c.get("db"), data);
      log(c, "warn", "capture queue refused a submission; written to the database instead", queueError, data);
    } catch (dbError) {
      log(c, "error", "neither the capture queue nor the database took a submission", dbError, data);
      throw new ApiError(
        "unavailable",
        "The submission could not be stored just now. Retry shortly: nothing was kept.",
        {
          headers: { "Retry-After": RETRY_AFTER_S },
        },
      );
    }
  }
  const redirectUrl = known?.form.thankYou.redirectUrl ?? null;
  if (data.format === "form") {
    const thanks = `${data.selfOrigin}/f/${encodeURIComponent(data.formId)}/thanks?lang=${lang}`;
    return c.body(null, 303, { Location: redirectUrl ?? thanks, ...corsHeaders });
  }
  return c.json(
    {
      submissionId: data.submissionId,
      status: "accepted" as const,
      message: known ? localize(known.form.thankYou.message, lang) : THANKS[lang],
      redirectUrl,
    },
    202,
    corsHeaders,
  );
}

function log(
  c: Context<AppEnv>,
  level: "warn" | "error",
  message: string,
  error: unknown,
  data: CaptureData,
) {
  console[level](
    JSON.stringify({
      level,
      requestId: c.get("requestId"),
      message,
      formId: data.formId,
      submissionId: data.submissionId,
      error: rootCause(error),
    }),
  );
}

/** The innermost cause, briefly: a failed query's message carries its parameters (the visitor's data). */
function rootCause(error: unknown): string {
  let e = error;
  for (let depth = 0; e instanceof Error && e.cause !== undefined && depth < 6; depth++) e = e.cause;
  return e instanceof Error ? `${e.name}: ${e.message.slice(0, 200)}` : String(e).slice(0, 200);
}

// ---- pages ----

export function newNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes));
}

/**
 * Headers of the hosted pages: no caching (each page carries its own submission id), and a policy that lets
 * in only the page's own style and scripts, and Turnstile. A plain form may post here and be sent on to the
 * form's redirect URL, which form-action must therefore allow.
 */
export function pageHeaders(nonce: string, redirectUrl: string | null = null): Record<string, string> {
  const redirect = redirectUrl && URL.canParse(redirectUrl) ? ` ${new URL(redirectUrl).origin}` : "";
  const turnstile = "https://challenges.cloudflare.com";
  return {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Content-Security-Policy": [
      "default-src 'none'",
      `style-src 'nonce-${nonce}'`,
      `script-src 'nonce-${nonce}' ${turnstile}`,
      `frame-src ${turnstile}`,
      `connect-src 'self' ${turnstile}`,
      "img-src 'self' data:",
      `form-action 'self'${redirect}`,
      "base-uri 'none'",
    ].join("; "),
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
  };
}
