// How a form looks, for the hosted page (functions/forms/page.ts renders it) and so for the embed script,
// which shows that same markup in a shadow root: the interface text in both languages, each field's input
// attributes, the ids that tie labels and errors to controls, the stylesheet, and the data the page hands
// the script. Pure and dependency-free.
import type {
  ErrorCode,
  FieldType,
  Lang,
  PublicField,
  PublicForm,
} from "../../functions/forms/field-rules.ts";

const en = {
  requiredNote: "Fields marked * are required.",
  problem: "There is a problem",
  error: "Error:",
  sending: "Sending…",
  retrying: "Connection problem. Trying again…",
  failed: "The form could not be sent. Please check your connection and try again.",
  choose: "Choose…",
  thanks: "Thank you",
  another: "Send another response",
  other: "Tiếng Việt",
  robot: "This form checks for spam with a challenge that needs JavaScript.",
  trap: "Leave this field empty",
};

export type UiText = typeof en;

export const UI: Record<Lang, UiText> = {
  en,
  vi: {
    requiredNote: "Các trường có dấu * là bắt buộc.",
    problem: "Có lỗi cần sửa",
    error: "Lỗi:",
    sending: "Đang gửi…",
    retrying: "Lỗi kết nối. Đang thử lại…",
    failed: "Không gửi được biểu mẫu. Vui lòng kiểm tra kết nối và thử lại.",
    choose: "Chọn…",
    thanks: "Cảm ơn bạn",
    another: "Gửi thêm một câu trả lời",
    other: "English",
    robot: "Biểu mẫu này kiểm tra chống thư rác bằng một thử thách cần JavaScript.",
    trap: "Để trống trường này",
  },
};

/**
 * What the hosted page hands the embed script, as JSON in `<script type="application/json" id="crm-data">`:
 * the public form, the language the page is in, and the texts the script shows in it.
 */
export interface PageData {
  form: PublicForm;
  lang: Lang;
  messages: Record<ErrorCode, string>;
  text: Pick<UiText, "problem" | "error" | "sending" | "retrying" | "failed">;
}
export const DATA_ID = "crm-data";
/** The element holding the note, the summary, the form and its status line: what the embed shows. */
export const BODY_ID = "crm";

/** The language to show: the one asked for when the form has it, else the form's first. */
export function chooseLang(wanted: string | null | undefined, languages: readonly Lang[]): Lang {
  const lang = wanted?.toLowerCase().startsWith("vi") ? "vi" : wanted ? "en" : undefined;
  return lang && languages.includes(lang) ? lang : (languages[0] ?? "en");
}

export const fieldId = (key: string) => `f-${key}`;
export const errorId = (key: string) => `f-${key}-error`;
/** The consent box has an id no field key can take (keys start with a letter and have no dash). */
export const CONSENT_ID = "f--consent";

// Autofill hints for the keys forms commonly use, so phones offer the visitor's own details.
const AUTOCOMPLETE: Record<string, string> = {
  name: "name",
  full_name: "name",
  first_name: "given-name",
  given_name: "given-name",
  last_name: "family-name",
  family_name: "family-name",
  email: "email",
  phone: "tel",
  mobile: "tel",
  company: "organization",
  company_name: "organization",
  job_title: "organization-title",
  address: "street-address",
  city: "address-level2",
  province: "address-level1",
  country: "country-name",
  postal_code: "postal-code",
  website: "url",
};

const BY_TYPE: Partial<Record<FieldType, [type: string, inputmode?: string, autocomplete?: string]>> = {
  email: ["email", "email", "email"],
  phone: ["tel", "tel", "tel"],
  url: ["url", "url", "url"],
  // Not type=number: it drops what it cannot parse (such as "1,5") and changes on scroll.
  number: ["text", "decimal"],
  date: ["date"],
};

/** The attributes of a text-like input (or textarea) for a field: type, keyboard and autofill. */
export function inputAttributes(field: PublicField): Record<string, string> {
  const [type = "text", inputmode, autocomplete] = BY_TYPE[field.type] ?? [];
  const attributes: Record<string, string> = {};
  if (field.type !== "textarea") attributes.type = type;
  if (inputmode) attributes.inputmode = inputmode;
  const hint = AUTOCOMPLETE[field.key] ?? autocomplete;
  if (hint) attributes.autocomplete = hint;
  return attributes;
}

/**
 * The form's stylesheet, in the page and in the embed's shadow root (each its own scope, so the selectors can
 * be plain). Large tap targets, 16px text (no zoom on focus in mobile Safari), colours at WCAG AA contrast or
 * better on white, and a focus ring on everything that takes focus.
 */
export const FORM_CSS = `.crm{max-width:36rem;color:#1a1a1a;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
*,*::before,*::after{box-sizing:border-box}
form{margin:0}
.fd{margin:0 0 1.25rem;padding:0;border:0;min-width:0}
label,legend{display:block;font-weight:600;margin:0 0 .25rem;padding:0}
.note{margin:0 0 1rem;color:#4a4a4a}
input,select,textarea{display:block;width:100%;min-height:2.75rem;margin:0;padding:.5rem .75rem;border:2px solid #555;border-radius:4px;background:#fff;color:inherit;font:inherit}
textarea{min-height:7rem;resize:vertical}
.ck{display:flex;gap:.6rem;align-items:flex-start;margin-top:.5rem}
.ck label{font-weight:400;margin:0;padding-top:.1rem}
[type=checkbox]{flex:none;width:1.5rem;height:1.5rem;min-height:0;padding:0;accent-color:#1d4ed8}
.rq,.err,.sum a{color:#b00020}
.err{margin:0 0 .25rem;font-weight:600}
.err:empty{display:none}
.bad input:not([type=checkbox]),.bad select,.bad textarea{border-color:#b00020}
.sum{margin:0 0 1.5rem;padding:1rem;border:3px solid #b00020;border-radius:4px}
.sum h2{margin:0 0 .5rem;font-size:1.125rem}
.sum ul{margin:0;padding-left:1.25rem}
.sum a{font-weight:600}
button{min-height:3rem;min-width:8rem;padding:.6rem 1.5rem;border:0;border-radius:4px;background:#1d4ed8;color:#fff;font:inherit;font-weight:600;cursor:pointer}
button[aria-disabled=true]{background:#4b5563;cursor:progress}
:focus-visible,.sum:focus,.ty:focus{outline:3px solid #1d4ed8;outline-offset:2px}
.st{margin:1rem 0 0}
.ty{margin:0;padding:1rem;border-left:4px solid #137333;background:#eef7f0}
.sr,.hp{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip-path:inset(50%);white-space:nowrap;border:0}
`;
