// The embed script. `<script src="https://crm.example/embed.js" data-form="FORM_ID" async></script>` shows the
// form in a shadow root after its tag (or in the element `data-target` selects), in `data-lang` or the
// browser's language. The form is the hosted page's own (GET /f/{id}: its markup, its stylesheet and, as JSON,
// the public definition and texts), so there is one rendering of a form; this script checks it in the
// browser with the shared rules and posts it to the CRM it came from, retrying until it lands.
import { type ErrorCode, localize } from "../../functions/forms/field-rules.ts";
import { formChecker } from "./schema.ts";
import { postJson } from "./send.ts";
import { BODY_ID, DATA_ID, type PageData } from "./view.ts";

declare global {
  interface Window {
    turnstile?: {
      render(element: HTMLElement, options: Record<string, unknown>): string | undefined;
      getResponse(id?: string): string | undefined;
      reset(id?: string): void;
    };
  }
}

const TURNSTILE = "https://challenges.cloudflare.com/turnstile/v0/api.js";
// The page's inherited styles stop at the host; the form's own never leave the shadow root.
const HOST_CSS = ":host{all:initial!important;display:block!important}slot{display:block;margin:0 0 1.25rem}";

function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string>,
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

/** A version 4 UUID, also where crypto.randomUUID is missing (pages on plain http): a blob URL ends in one. */
function uuid(): string {
  if (crypto.randomUUID) return crypto.randomUUID();
  const url = URL.createObjectURL(new Blob());
  URL.revokeObjectURL(url);
  return url.slice(-36);
}

/** The visitor's id, kept across visits where storage is available (it may throw, e.g. in private modes). */
function visitorId(): string {
  try {
    const id = localStorage.getItem("crm_vid") ?? uuid();
    localStorage.setItem("crm_vid", id);
    return id;
  } catch {
    return uuid();
  }
}

function mount(script: HTMLScriptElement, host: HTMLElement, root: ShadowRoot, api: string, page: Document) {
  const data = JSON.parse(page.getElementById(DATA_ID)?.textContent ?? "") as PageData;
  const body = page.getElementById(BODY_ID);
  const form = body?.querySelector("form");
  if (!body || !form) throw new Error("not a form page");
  const { lang, text, messages } = data;
  const definition = data.form;

  const sheet = new CSSStyleSheet();
  sheet.replaceSync(`${page.querySelector("style")?.textContent}${HOST_CSS}`);
  root.adoptedStyleSheets = [sheet];
  for (const fallback of body.querySelectorAll("noscript")) fallback.remove();
  body.className = "crm";
  root.append(body);

  const button = form.querySelector("button") as HTMLButtonElement;
  const status = form.querySelector(".st") as HTMLElement;
  const say = (message: string) => {
    status.textContent = message;
  };
  // The server's clock: the minimum fill time is measured on one clock, whatever the visitor's says.
  const renderedAt = Number(new FormData(form).get("_rendered")) || Date.now();
  const query = new URLSearchParams(location.search);
  // A hidden field takes data-<key> from the script tag, else the same name from this page's query string.
  for (const input of form.querySelectorAll<HTMLInputElement>("input[data-q]")) {
    input.value = script.getAttribute(`data-${input.name}`) ?? query.get(input.name) ?? "";
  }

  // Turnstile renders into page content slotted into the form: its script cannot reach into a shadow root.
  const box = form.querySelector<HTMLElement>(".cf-turnstile");
  let widget: string | undefined;
  if (box) {
    const render = () => {
      if (!box.firstChild)
        widget = window.turnstile?.render(box, { sitekey: box.dataset.sitekey, language: lang });
    };
    box.replaceWith(h("slot", { name: "ts" }));
    // In the page, the box must not wear the form's class names for the page's own rules to catch.
    box.removeAttribute("class");
    box.slot = "ts";
    host.append(box);
    if (window.turnstile) render();
    else {
      const tag =
        document.querySelector(`script[src^="${TURNSTILE}"]`) ??
        document.head.appendChild(h("script", { src: `${TURNSTILE}?render=explicit` }));
      tag.addEventListener("load", render);
    }
  }

  /** Errors as the hosted page shows them: by each field, marked invalid, and a summary of links, focused. */
  const showErrors = (errors: [string, ErrorCode][]) => {
    const codes = new Map(errors);
    const links: HTMLElement[] = [];
    for (const wrapper of body.querySelectorAll<HTMLElement>(".fd[data-key]")) {
      const key = wrapper.dataset.key ?? "";
      const code = codes.get(key);
      const message = code && (messages[code] ?? code);
      wrapper.classList.toggle("bad", !!message);
      wrapper
        .querySelector(".err")
        ?.replaceChildren(...(message ? [h("span", { class: "sr" }, `${text.error} `), message] : []));
      const controls = wrapper.querySelectorAll("input,select,textarea");
      for (const control of controls) control.setAttribute("aria-invalid", String(!!message));
      if (message) {
        const field = definition.fields.find((f) => f.key === key);
        const label = field ? `${localize(field.label, lang)}: ${message}` : message;
        links.push(h("li", {}, h("a", { href: `#${controls[0]?.id}` }, label)));
      }
    }
    // What has no field to show it by (a hidden field's error) is in the summary alone.
    for (const [key, code] of errors) {
      if (!body.querySelector(`.fd[data-key="${CSS.escape(key)}"]`))
        links.push(h("li", {}, messages[code] ?? code));
    }
    body.querySelector(".sum")?.remove();
    if (links.length === 0) return;
    const summary = h(
      "div",
      { class: "sum", tabindex: "-1", role: "alert", "aria-labelledby": "crm-sum-title" },
      h("h2", { id: "crm-sum-title" }, text.problem),
      h("ul", {}, ...links),
    );
    // In a shadow root a #fragment link cannot reach the field: move the focus by hand.
    summary.addEventListener("click", (event) => {
      const link = (event.target as Element).closest("a");
      if (link) {
        event.preventDefault();
        root.querySelector<HTMLElement>(link.hash)?.focus();
      }
    });
    body.prepend(summary);
    summary.focus();
  };

  const check = formChecker(definition);
  let submissionId = "";
  let lastSent = "";
  let busy = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (busy) return;
    const entries = new FormData(form);
    const values: Record<string, unknown> = {};
    for (const f of definition.fields)
      values[f.key] = f.type === "multiselect" ? entries.getAll(f.key) : entries.get(f.key);
    const checked = check(values, entries.get("consent"));
    showErrors(checked.ok ? [] : checked.errors);
    if (!checked.ok) return say("");
    // One id per submission: the same values sent again (a retry, a second click after a failure) keep it.
    const sent = JSON.stringify(checked.fields);
    if (sent !== lastSent) [submissionId, lastSent] = [uuid(), sent];
    busy = true;
    button.setAttribute("aria-disabled", "true");
    say(text.sending);
    let accepted = false;
    try {
      const response = await postJson(
        `${api}/f/${encodeURIComponent(definition.id)}`,
        JSON.stringify({
          submissionId,
          visitorId: visitorId(),
          fields: checked.fields,
          consent: checked.consent,
          renderedAt,
          page: { url: location.href, referrer: document.referrer },
          honeypot: entries.get(definition.honeypotName) ?? "",
          turnstileToken: widget === undefined ? undefined : window.turnstile?.getResponse(widget),
          lang,
        }),
        { onRetry: () => say(text.retrying) },
      );
      const answer = await response.json().catch(() => ({}));
      accepted = response.ok;
      if (accepted) {
        const redirect = answer.redirectUrl ?? definition.thankYou.redirectUrl;
        if (/^https?:\/\//i.test(redirect)) return location.assign(redirect);
        const thanks = h(
          "p",
          { class: "ty", role: "status", tabindex: "-1" },
          localize(definition.thankYou.message, lang) || answer.message,
        );
        body.replaceChildren(thanks);
        thanks.focus();
      } else if (Array.isArray(answer.errors)) {
        // The server's verdict (422): the same codes, shown the same way.
        say("");
        showErrors(answer.errors.map((e: { field: string; code: ErrorCode }) => [e.field, e.code]));
      } else say(text.failed);
    } catch {
      say(text.failed);
    } finally {
      busy = false;
      button.removeAttribute("aria-disabled");
      // A Turnstile token is good for one check: a refused or failed attempt needs a fresh one.
      if (!accepted && widget !== undefined) window.turnstile?.reset(widget);
    }
  });
}

function boot(script: HTMLScriptElement): void {
  const id = script.dataset.form;
  if (!id || script.dataset.crmReady) return;
  script.dataset.crmReady = "1";
  const api = new URL(script.src, location.href).origin;
  const host = document.createElement("div");
  let target: Element | null = null;
  try {
    if (script.dataset.target) target = document.querySelector(script.dataset.target);
  } catch {
    // Not a valid selector: the form goes after the script tag.
  }
  if (target) target.append(host);
  else script.after(host);
  const root = host.attachShadow({ mode: "open" });
  const lang = /^vi/i.test(script.dataset.lang || navigator.language) ? "vi" : "en";
  fetch(`${api}/f/${encodeURIComponent(id)}?lang=${lang}`)
    .then((response) =>
      response.ok ? response.text() : Promise.reject(new Error(`HTTP ${response.status}`)),
    )
    .then((html) => mount(script, host, root, api, new DOMParser().parseFromString(html, "text/html")))
    .catch((error) => {
      host.remove();
      console.warn(`The form ${id} could not be shown:`, error);
    });
}

// document.currentScript is the tag running this file, async ones included; it is null only where this runs
// as a module, and then every tag with data-form not yet handled gets its form.
const current = document.currentScript;
for (const tag of current ? [current] : document.querySelectorAll("script[data-form]")) {
  if (tag instanceof HTMLScriptElement) boot(tag);
}
