// The public form routes under /f: a form's public definition (for the embed), its hosted page and thank-you
// page (HTML, English and Vietnamese), the CORS preflight, and the submit endpoint (functions/forms/submit.ts).
// The GETs and the preflight read the form at most once (one round trip) and remember it for the submit that
// follows; the submit itself never asks the database.
import type { Context } from "hono";
import { isDatabaseUnavailable } from "../../db/errors.ts";
import { newId } from "../../db/ids.ts";
import { createRouter } from "../app.ts";
import type { AppEnv } from "../env.ts";
import { ApiError, problemResponse } from "../errors.ts";
import { originAllowed } from "./definition.ts";
import { LANGUAGES, type Lang } from "./field-rules.ts";
import { renderFormPage, renderThankYouPage } from "./page.ts";
import { corsFor, newNonce, pageHeaders, submitForm } from "./submit.ts";
import { type EdgeForm, loadEdgeForm } from "./submit-cache.ts";
import { documentPublicForms } from "./submit-docs.ts";
import { langOf } from "./submit-parse.ts";

/** Form ids are UUIDs; anything else is no form, answered without a lookup. */
const FORM_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function notFound(): ApiError {
  return new ApiError("not_found", "No such form, or it no longer takes submissions.");
}

function formId(c: Context<AppEnv>): string {
  const id = c.req.param("id") ?? "";
  if (!FORM_ID.test(id)) throw notFound();
  return id.toLowerCase();
}

async function liveForm(c: Context<AppEnv>, id: string): Promise<EdgeForm> {
  const form = await loadEdgeForm(c.get("db"), c.get("config").LIBSQL_URL, new URL(c.req.url).origin, id);
  if (!form || form.archived) throw notFound();
  return form;
}

/** The page's language: ?lang=, else the browser's preference, among the form's languages; else its first. */
function pageLang(c: Context<AppEnv>, form: EdgeForm): Lang {
  const asked = langOf(c.req.query("lang"));
  if (asked && form.form.languages.includes(asked)) return asked;
  const accepted = (c.req.header("Accept-Language") ?? "")
    .split(",")
    .map((part) => langOf(part.split(";", 1)[0]))
    .find((lang): lang is Lang => lang !== null && form.form.languages.includes(lang));
  return accepted ?? form.form.languages[0] ?? LANGUAGES[0];
}

const PREFLIGHT_MAX_AGE_S = "600";

const router = createRouter();
documentPublicForms(router.openAPIRegistry);

export const publicFormRoutes = router
  .get("/f/:id/definition", async (c) => {
    const id = formId(c);
    const form = await liveForm(c, id);
    const cors = corsFor(c.req.header("Origin"), new URL(c.req.url).origin, form);
    // A definition is public; a page that may not embed the form just cannot read it from script.
    return c.json(form.form, 200, {
      ...(cors.refused ? { Vary: "Origin" } : cors.headers),
      "Cache-Control": "public, max-age=60",
    });
  })
  .options("/f/:id", async (c) => {
    const id = formId(c);
    const origin = c.req.header("Origin");
    const selfOrigin = new URL(c.req.url).origin;
    let allowed: boolean;
    try {
      const form = await liveForm(c, id);
      allowed = origin === undefined || origin === selfOrigin || originAllowed(origin, form.allowedOrigins);
    } catch (error) {
      // With the database away the submit still takes submissions (queue-first), so the preflight lets the
      // browser send: the consumer checks the origin against the form once the database is back.
      if (!isDatabaseUnavailable(error)) throw error;
      allowed = true;
    }
    if (origin === undefined) throw new ApiError("bad_request", "A CORS preflight names its Origin.");
    if (!allowed) throw new ApiError("forbidden", `This form may not be posted from ${origin}.`);
    return c.body(null, 204, {
      "Access-Control-Allow-Origin": origin,
      "Access-Control-Allow-Methods": "POST",
      "Access-Control-Allow-Headers": "Content-Type",
      "Access-Control-Max-Age": PREFLIGHT_MAX_AGE_S,
      Vary: "Origin",
    });
  })
  .get("/f/:id/thanks", async (c) => {
    const form = await liveForm(c, formId(c));
    const redirect = form.form.thankYou.redirectUrl;
    // A plain form post answered before this location knew the form lands here: send it where the form says.
    if (redirect) return c.redirect(redirect, 302);
    const nonce = newNonce();
    return c.body(
      renderThankYouPage({ form: form.form, lang: pageLang(c, form), nonce }),
      200,
      pageHeaders(nonce),
    );
  })
  .get("/f/:id", async (c) => {
    const id = formId(c);
    const form = await liveForm(c, id);
    const nonce = newNonce();
    const html = renderFormPage({
      form: form.form,
      lang: pageLang(c, form),
      action: `/f/${id}`,
      submissionId: newId(),
      renderedAt: Date.now(),
      nonce,
    });
    // The embed draws the form from this page, so an allowed site may read it (functions/forms/submit.ts).
    const cors = corsFor(c.req.header("Origin"), new URL(c.req.url).origin, form);
    return c.body(html, 200, {
      ...pageHeaders(nonce, form.form.thankYou.redirectUrl),
      ...(cors.refused ? { Vary: "Origin" } : cors.headers),
    });
  })
  .post("/f/:id", async (c) => {
    const id = c.req.param("id") ?? "";
    if (!FORM_ID.test(id)) return problemResponse(c, notFound());
    return submitForm(c, id.toLowerCase());
  });
