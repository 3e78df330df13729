// The hosted form page and its thank-you page: complete HTML documents, in English and Vietnamese, that work
// as a plain form post with no JavaScript. The embed script shows the same form from this same page, so
// there is one rendering of a form. Pure functions; the /f routes load the form and send what they return.
import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import {
  BODY_ID,
  CONSENT_ID,
  chooseLang,
  DATA_ID,
  errorId,
  FORM_CSS,
  fieldId,
  inputAttributes,
  type PageData,
  UI,
} from "../../web/embed/view.ts";
import {
  type ErrorCode,
  isConsentGiven,
  type Lang,
  localize,
  MESSAGES,
  maxLengthOf,
  type PublicField,
  type PublicForm,
} from "./field-rules.ts";

export interface FormPageInput {
  form: PublicForm;
  lang: Lang;
  /** Where the form posts: the submit endpoint, POST /f/{formId}. */
  action: string;
  /** What the visitor sent, kept when the page comes back with errors. */
  values?: Record<string, unknown>;
  /** Errors by field key; the consent box's is under "consent", any other key shows in the summary only. */
  errors?: Record<string, ErrorCode>;
  /**
   * Where the visitor found the form, when known: a page rendered again after a plain post that did not pass
   * keeps the first page's URL (with its UTM) and referrer, which the post's own Referer no longer has.
   */
  page?: { url?: string | null; referrer?: string | null };
  submissionId: string;
  renderedAt: number;
  /** The CSP nonce of this response, put on the page's one style and on its scripts. */
  nonce?: string;
}

export const TURNSTILE_SCRIPT = "https://challenges.cloudflare.com/turnstile/v0/api.js";

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;
type Fragment = Html | "";

const PAGE_CSS = `body{margin:0;background:#f4f5f7}
.page{max-width:40rem;margin:0 auto;padding:1.25rem 1rem 2rem;background:#fff;min-height:100vh}
.page h1{margin:0 0 1rem;font-size:1.5rem;line-height:1.25}
.page nav{text-align:right}
.page nav a,.page .back{display:inline-block;padding:.5rem 0;color:#1d4ed8}
@media (min-width:42rem){.page{margin:2rem auto;min-height:0;padding:2rem;border-radius:8px;box-shadow:0 1px 3px #0003}}
`;

// Progressive enhancement when scripts run: the page URL, referrer and a visitor id for the lead, hidden
// fields from the page's query, no double submit, and focus on the error summary. The form works without it.
const ENHANCE = `(()=>{const f=document.getElementById("crm-form");if(!f)return;
const e=f.elements,b=f.querySelector("button[type=submit]"),s=document.getElementById("crm-st"),q=new URLSearchParams(location.search);
if(!e._page.value){e._page.value=location.href;e._ref.value=document.referrer}
for(const i of f.querySelectorAll("input[data-q]"))if(!i.value)i.value=q.get(i.name)||"";
try{let v=localStorage.getItem("crm_vid");if(!v){v=crypto.randomUUID();localStorage.setItem("crm_vid",v)}e._vid.value=v}catch{}
let busy=false;
f.addEventListener("submit",(ev)=>{if(busy){ev.preventDefault();return}busy=true;b.setAttribute("aria-disabled","true");s.textContent=f.dataset.sending});
addEventListener("pageshow",(ev)=>{if(!ev.persisted)return;busy=false;b.removeAttribute("aria-disabled");s.textContent="";if(crypto.randomUUID)e._sid.value=crypto.randomUUID()});
document.getElementById("crm-sum")?.focus();})();`;

/** A rendered fragment as the string it is; nothing here is asynchronous. */
function toText(fragment: Html): string {
  if (fragment instanceof Promise) throw new Error("A form page fragment turned out asynchronous");
  return fragment.toString();
}

const nonceAttribute = (nonce: string | undefined): Fragment => (nonce ? html` nonce="${nonce}"` : "");

/**
 * JSON inside a <script> element: `<` escaped so no `</script>` or `<!--` can end or bend the element;
 * U+2028 and U+2029 escaped for older parsers.
 */
function scriptJson(value: unknown): HtmlEscapedString {
  const json = JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
  return raw(json);
}

/** Only the public fields of a form, however much the caller's object carries. */
function publicForm(form: PublicForm): PublicForm {
  return {
    id: form.id,
    name: form.name,
    languages: form.languages,
    fields: form.fields.map((f) => ({
      key: f.key,
      type: f.type,
      label: f.label,
      placeholder: f.placeholder,
      required: f.required,
      options: f.options?.map((o) => ({ value: o.value, label: o.label })),
      min: f.min,
      max: f.max,
      maxLength: f.maxLength,
    })),
    consent: form.consent && { text: form.consent.text, required: form.consent.required },
    submitLabel: form.submitLabel,
    thankYou: { message: form.thankYou.message, redirectUrl: form.thankYou.redirectUrl },
    turnstileSiteKey: form.turnstileSiteKey,
    minFillMs: form.minFillMs,
    honeypotName: form.honeypotName,
  };
}

function htmlDocument(options: {
  lang: Lang;
  title: string;
  nonce: string | undefined;
  body: Html;
  head?: Fragment;
}): string {
  return toText(html`<!doctype html>
<html lang="${options.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<meta name="color-scheme" content="light">
<title>${options.title}</title>
<style${nonceAttribute(options.nonce)}>${raw(FORM_CSS + PAGE_CSS)}</style>
${options.head ?? ""}</head>
<body>
<main class="crm page">
${options.body}
</main>
</body>
</html>
`);
}

/** Text for an input's value attribute: scalars as they are, the first of a list. */
function valueText(value: unknown): string {
  const single = Array.isArray(value) ? value[0] : value;
  return typeof single === "string" || typeof single === "number" ? String(single) : "";
}

function chosenValues(value: unknown): string[] {
  const list = Array.isArray(value) ? value : [value];
  return list.filter((item): item is string => typeof item === "string");
}

const message = (lang: Lang, code: ErrorCode): string => MESSAGES[lang][code] ?? MESSAGES[lang].required;

/** A field's error line: always there (empty when all is well) so the embed can fill it in place. */
function errorLine(key: string, lang: Lang, code: ErrorCode | undefined): Html {
  return html`<p class="err" id="${errorId(key)}">${code ? html`<span class="sr">${UI[lang].error} </span>${message(lang, code)}` : ""}</p>`;
}

const requiredMark = (required: boolean): Fragment =>
  required ? html`<span class="rq" aria-hidden="true"> *</span>` : "";
const flag = (on: boolean, name: string): Fragment => (on ? html` ${name}` : "");
const invalid = (code: ErrorCode | undefined): Fragment => (code ? html` aria-invalid="true"` : "");

function checkboxRow(options: {
  id: string;
  name: string;
  label: string;
  checked: boolean;
  required: boolean;
  value?: string;
  describedBy?: string;
  code?: ErrorCode | undefined;
}): Html {
  const o = options;
  return html`<div class="ck"><input type="checkbox" id="${o.id}" name="${o.name}"${o.value === undefined ? "" : html` value="${o.value}"`}${flag(o.checked, "checked")}${flag(o.required, "required")}${invalid(o.code)}${o.describedBy ? html` aria-describedby="${o.describedBy}"` : ""}><label for="${o.id}">${o.label}${requiredMark(o.required)}</label></div>`;
}

function renderField(field: PublicField, lang: Lang, value: unknown, code: ErrorCode | undefined): Html {
  const { key, type, required } = field;
  const id = fieldId(key);
  const label = localize(field.label, lang);
  const bad = code ? " bad" : "";
  if (type === "hidden") {
    return html`<input type="hidden" name="${key}" value="${valueText(value)}" data-q>`;
  }
  if (type === "checkbox") {
    const row = checkboxRow({
      id,
      name: key,
      label,
      checked: isConsentGiven(value),
      required,
      describedBy: errorId(key),
      code,
    });
    return html`<div class="fd${bad}" data-key="${key}">${errorLine(key, lang, code)}${row}</div>`;
  }
  if (type === "multiselect") {
    const chosen = chosenValues(value);
    const rows = (field.options ?? []).map((option, index) =>
      checkboxRow({
        id: index === 0 ? id : `${id}-${index}`,
        name: key,
        label: localize(option.label, lang),
        checked: chosen.includes(option.value),
        required: false,
        value: option.value,
        code,
      }),
    );
    return html`<fieldset class="fd${bad}" data-key="${key}" aria-describedby="${errorId(key)}"><legend>${label}${requiredMark(required)}</legend>${errorLine(key, lang, code)}${rows}</fieldset>`;
  }
  const common = html` id="${id}" name="${key}"${flag(required, "required")}${invalid(code)} aria-describedby="${errorId(key)}"`;
  let control: Html;
  if (type === "select") {
    const selected = valueText(value);
    const options = (field.options ?? []).map(
      (o) =>
        html`<option value="${o.value}"${flag(o.value === selected, "selected")}>${localize(o.label, lang)}</option>`,
    );
    control = html`<select${common}><option value="">${UI[lang].choose}</option>${options}</select>`;
  } else {
    const attributes = Object.entries(inputAttributes(field)).map(([name, v]) => html` ${name}="${v}"`);
    const extra = html`${attributes}${type === "date" ? "" : html` maxlength="${maxLengthOf(field)}"`}${field.placeholder ? html` placeholder="${localize(field.placeholder, lang)}"` : ""}`;
    control =
      type === "textarea"
        ? html`<textarea${common}${extra} rows="5">${valueText(value)}</textarea>`
        : html`<input${common}${extra} value="${valueText(value)}">`;
  }
  return html`<div class="fd${bad}" data-key="${key}"><label for="${id}">${label}${requiredMark(required)}</label>${errorLine(key, lang, code)}${control}</div>`;
}

/** The list of errors at the top, each a link to its field, focused when the page loads. */
function errorSummary(form: PublicForm, lang: Lang, errors: Record<string, ErrorCode>): Fragment {
  const entries = Object.entries(errors);
  if (entries.length === 0) return "";
  const items = entries.map(([key, code]) => {
    const field = form.fields.find((f) => f.key === key && f.type !== "hidden");
    if (field) {
      return html`<li><a href="#${fieldId(key)}">${localize(field.label, lang)}: ${message(lang, code)}</a></li>`;
    }
    if (key === "consent" && form.consent) {
      return html`<li><a href="#${CONSENT_ID}">${message(lang, code)}</a></li>`;
    }
    return html`<li>${message(lang, code)}</li>`;
  });
  return html`<div class="sum" id="crm-sum" tabindex="-1" role="alert" aria-labelledby="crm-sum-title" autofocus><h2 id="crm-sum-title">${UI[lang].problem}</h2><ul>${items}</ul></div>`;
}

function languageLink(form: PublicForm, lang: Lang): Fragment {
  const other: Lang = lang === "vi" ? "en" : "vi";
  if (!form.languages.includes(other)) return "";
  return html`<nav><a href="?lang=${other}" hreflang="${other}" lang="${other}">${UI[lang].other}</a></nav>`;
}

/** The form as a complete HTML document. */
export function renderFormPage(input: FormPageInput): string {
  const { nonce } = input;
  const form = publicForm(input.form);
  const lang = chooseLang(input.lang, form.languages);
  const ui = UI[lang];
  const values = input.values ?? {};
  const errors = input.errors ?? {};
  const consentCode = errors.consent;
  const consent = form.consent
    ? html`<div class="fd${consentCode ? " bad" : ""}" data-key="consent">${errorLine("consent", lang, consentCode)}${checkboxRow(
        {
          id: CONSENT_ID,
          name: "consent",
          label: localize(form.consent.text, lang),
          checked: isConsentGiven(values.consent),
          required: form.consent.required,
          describedBy: errorId("consent"),
          code: consentCode,
        },
      )}</div>`
    : "";
  const turnstile = form.turnstileSiteKey
    ? html`<div class="fd cf-turnstile" data-sitekey="${form.turnstileSiteKey}" data-language="${lang}"></div><noscript><p class="note">${ui.robot}</p></noscript>`
    : "";
  const anyRequired = form.fields.some((f) => f.required && f.type !== "hidden") || form.consent?.required;
  const data: PageData = {
    form,
    lang,
    messages: MESSAGES[lang],
    text: {
      problem: ui.problem,
      error: ui.error,
      sending: ui.sending,
      retrying: ui.retrying,
      failed: ui.failed,
    },
  };

  const body = html`${languageLink(form, lang)}<h1>${form.name}</h1>
<div id="${BODY_ID}">
${errorSummary(form, lang, errors)}${anyRequired ? html`<p class="note">${ui.requiredNote}</p>` : ""}
<form id="crm-form" method="post" action="${input.action}" accept-charset="utf-8" novalidate aria-label="${form.name}" data-sending="${ui.sending}">
<input type="hidden" name="_sid" value="${input.submissionId}">
<input type="hidden" name="_rendered" value="${input.renderedAt}">
<input type="hidden" name="_lang" value="${lang}">
<input type="hidden" name="_page" value="${input.page?.url ?? ""}">
<input type="hidden" name="_ref" value="${input.page?.referrer ?? ""}">
<input type="hidden" name="_vid" value="">
<div class="hp" aria-hidden="true"><label for="crm-hp">${ui.trap}</label><input type="text" id="crm-hp" name="${form.honeypotName}" value="" tabindex="-1" autocomplete="off"></div>
${form.fields.map((field) => renderField(field, lang, values[field.key], errors[field.key]))}
${consent}${turnstile}
<button type="submit">${localize(form.submitLabel, lang)}</button>
<p class="st" id="crm-st" role="status"></p>
</form>
</div>
<script type="application/json" id="${DATA_ID}">${scriptJson(data)}</script>
<script${nonceAttribute(nonce)}>${raw(ENHANCE)}</script>`;

  const head = form.turnstileSiteKey
    ? html`<script src="${TURNSTILE_SCRIPT}" async defer${nonceAttribute(nonce)}></script>
`
    : "";
  const hasErrors = Object.keys(errors).length > 0;
  return htmlDocument({ lang, title: hasErrors ? `${ui.error} ${form.name}` : form.name, nonce, head, body });
}

/** What the visitor sees after a plain form post (when the form has no redirect URL). */
export function renderThankYouPage(input: { form: PublicForm; lang: Lang; nonce?: string }): string {
  const { form } = input;
  const lang = chooseLang(input.lang, form.languages);
  const body = html`<h1>${UI[lang].thanks}</h1>
<p class="ty" role="status">${localize(form.thankYou.message, lang)}</p>
<p><a class="back" href="/f/${encodeURIComponent(form.id)}?lang=${lang}">${UI[lang].another}</a></p>`;
  return htmlDocument({ lang, title: `${UI[lang].thanks} · ${form.name}`, nonce: input.nonce, body });
}
