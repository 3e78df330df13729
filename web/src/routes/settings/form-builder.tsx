// The form builder: fields with their types, labels (English and Vietnamese), mapping and options; consent,
// thank-you text and the sites that may embed it; a live preview drawn by the hosted page's own renderer; and,
// once saved, the embed snippet to copy. The browser checks what the shared rules say (valibot over
// functions/forms/field-rules.ts); the API checks the rest and its errors show by the fields they name.
import { useMemo, useState } from "preact/hooks";
import * as v from "valibot";
import {
  FIELD_KEY_PATTERN,
  FIELD_TYPES,
  type FieldType,
  type Lang,
  LIMITS,
  type PublicForm,
} from "../../../../functions/forms/field-rules.ts";
import { api, idempotency, ok, type Schemas } from "../../api/client.ts";
import { useDirectory } from "../../data/directory.ts";
import { t, tx } from "../../i18n/index.ts";
import { Checkbox, copyText, SelectField, TextArea, TextField } from "../../ui/controls.tsx";
import { describe, fieldErrors } from "../../ui/problem.ts";
import { toast } from "../../ui/toast.tsx";
import { previewDocument } from "./form-preview.ts";

type Form = Schemas["Form"];
type FormInput = Schemas["FormInput"];

interface DraftField {
  key: string;
  type: FieldType;
  en: string;
  vi: string;
  required: boolean;
  mapTo: string;
  /** One option a line: value | English | Vietnamese. */
  options: string;
}

const CONTACT_TARGETS = ["email", "phone", "firstName", "lastName", "name", "jobTitle", "address"];
const COMPANY_TARGETS = ["name", "domain", "industry", "size", "country"];

// The shared rules' limits and key pattern, as a valibot schema of one field.
const FieldSchema = v.object({
  key: v.pipe(v.string(), v.regex(FIELD_KEY_PATTERN, "forms.keyRule")),
  en: v.pipe(
    v.string(),
    v.trim(),
    v.minLength(1, "forms.labelNeeded"),
    v.maxLength(LIMITS.label, "forms.tooLong"),
  ),
  vi: v.pipe(v.string(), v.maxLength(LIMITS.label, "forms.tooLong")),
});

function toDraft(form: Form | null): DraftField[] {
  if (!form) {
    return [
      {
        key: "name",
        type: "text",
        en: "Name",
        vi: "Họ tên",
        required: true,
        mapTo: "contact.name",
        options: "",
      },
      {
        key: "email",
        type: "email",
        en: "Email",
        vi: "Email",
        required: true,
        mapTo: "contact.email",
        options: "",
      },
    ];
  }
  return form.fields.map((field) => ({
    key: field.key,
    type: field.type,
    en: field.label.en,
    vi: field.label.vi ?? "",
    required: field.required ?? false,
    mapTo: field.mapTo ?? "",
    options: (field.options ?? []).map((o) => [o.value, o.label.en, o.label.vi ?? ""].join(" | ")).join("\n"),
  }));
}

function parseOptions(text: string) {
  return text
    .split("\n")
    .map((line) => line.split("|").map((part) => part.trim()))
    .filter(([value]) => value)
    .map(([value = "", en, vi]) => ({ value, label: { en: en || value, ...(vi ? { vi } : {}) } }));
}

const isChoice = (type: FieldType) => type === "select" || type === "multiselect";

export function FormBuilder({ form, onClose }: { form: Form | null; onClose: () => void }) {
  const people = useDirectory();
  const [name, setName] = useState(form?.name ?? "");
  const [languages, setLanguages] = useState<Lang[]>((form?.languages as Lang[] | undefined) ?? ["en", "vi"]);
  const [fields, setFields] = useState<DraftField[]>(() => toDraft(form));
  const [consent, setConsent] = useState(form?.consent?.text.en ?? "");
  const [consentVi, setConsentVi] = useState(form?.consent?.text.vi ?? "");
  const [thanks, setThanks] = useState(form?.thankYou?.message.en ?? "");
  const [origins, setOrigins] = useState((form?.allowedOrigins ?? []).join("\n"));
  const [owner, setOwner] = useState(form?.defaultOwnerId ?? "");
  const [previewLang, setPreviewLang] = useState<Lang>("en");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState("");
  const [saved, setSaved] = useState<Form | null>(form);
  const [busy, setBusy] = useState(false);

  const input = (): FormInput => ({
    name: name.trim(),
    languages,
    fields: fields.map((field) => ({
      key: field.key.trim(),
      type: field.type,
      label: { en: field.en.trim(), ...(field.vi.trim() ? { vi: field.vi.trim() } : {}) },
      required: field.required,
      mapTo: field.mapTo || null,
      ...(isChoice(field.type) ? { options: parseOptions(field.options) } : {}),
    })),
    consent: consent.trim()
      ? {
          text: { en: consent.trim(), ...(consentVi.trim() ? { vi: consentVi.trim() } : {}) },
          required: true,
        }
      : null,
    ...(thanks.trim() ? { thankYou: { message: { en: thanks.trim() }, redirectUrl: null } } : {}),
    allowedOrigins: origins
      .split(/\s+/)
      .map((origin) => origin.trim())
      .filter(Boolean),
    defaultOwnerId: owner || null,
  });

  const preview = useMemo(() => {
    const draft = input();
    const publicForm: PublicForm = {
      id: "preview",
      name: draft.name || t("forms.untitled"),
      languages: draft.languages?.length ? draft.languages : ["en"],
      fields: (draft.fields ?? []).map((field) => ({ ...field, required: field.required ?? false })),
      consent: draft.consent ? { text: draft.consent.text, required: true } : null,
      submitLabel: { en: "Submit", vi: "Gửi" },
      thankYou: { message: { en: thanks || "Thank you!" }, redirectUrl: null },
      turnstileSiteKey: null,
      minFillMs: 0,
      honeypotName: "website_url",
    };
    return previewDocument(publicForm, languages.includes(previewLang) ? previewLang : "en");
  }, [name, languages, fields, consent, consentVi, thanks, previewLang]);

  const check = (): Record<string, string> => {
    const found: Record<string, string> = {};
    if (!name.trim()) found.name = t("common.required");
    const keys = new Set<string>();
    fields.forEach((field, index) => {
      const result = v.safeParse(FieldSchema, field);
      for (const issue of result.issues ?? []) {
        const path = issue.path?.[0]?.key === "key" ? "key" : "label";
        found[`fields.${index}.${path}`] = t(issue.message as "forms.keyRule");
      }
      if (keys.has(field.key)) found[`fields.${index}.key`] = t("forms.keyTaken");
      keys.add(field.key);
    });
    if (fields.length > LIMITS.fields) found.fields = t("forms.tooMany", { n: LIMITS.fields });
    return found;
  };

  const save = async (e: Event) => {
    e.preventDefault();
    const found = check();
    setErrors(found);
    setProblem("");
    if (Object.keys(found).length) {
      setProblem(t("problem.invalid"));
      return;
    }
    setBusy(true);
    try {
      const body = input();
      const result = saved
        ? await ok(api.PUT("/api/v1/forms/{id}", { params: { path: { id: saved.id } }, body }))
        : await ok(api.POST("/api/v1/forms", { params: { header: idempotency() }, body }));
      setSaved(result);
      toast(t("forms.saved", { name: result.name }));
    } catch (failure) {
      setErrors(fieldErrors(failure));
      setProblem(describe(failure));
    } finally {
      setBusy(false);
    }
  };

  const update = (index: number, change: Partial<DraftField>) =>
    setFields(fields.map((field, i) => (i === index ? { ...field, ...change } : field)));
  const moveField = (index: number, step: number) => {
    const next = [...fields];
    const [item] = next.splice(index, 1);
    if (item) next.splice(index + step, 0, item);
    setFields(next);
  };

  const targets = [
    { value: "", label: t("forms.noMapping") },
    ...CONTACT_TARGETS.map((p) => ({ value: `contact.${p}`, label: `${t("record.contact")}: ${p}` })),
    ...COMPANY_TARGETS.map((p) => ({ value: `company.${p}`, label: `${t("record.company")}: ${p}` })),
    ...(people?.customFields ?? [])
      .filter((f) => f.object === "contact")
      .map((f) => ({ value: `contact.custom.${f.key}`, label: `${t("record.contact")}: ${f.label}` })),
  ];

  return (
    <section aria-labelledby="builder-title">
      <h2 id="builder-title">{saved ? t("forms.edit", { name: saved.name }) : t("forms.new")}</h2>
      <div class="builder">
        <form class="stack" onSubmit={save} noValidate>
          <TextField label={t("forms.name")} value={name} onValue={setName} error={errors.name} required />
          <fieldset>
            <legend>{t("forms.languages")}</legend>
            {(["en", "vi"] as const).map((lang) => (
              <Checkbox
                key={lang}
                label={lang === "en" ? "English" : "Tiếng Việt"}
                checked={languages.includes(lang)}
                onChange={(on) =>
                  setLanguages(on ? [...languages, lang] : languages.filter((l) => l !== lang))
                }
              />
            ))}
          </fieldset>
          {errors.fields && <p class="error">{errors.fields}</p>}
          {fields.map((field, index) => (
            <fieldset key={index} class="form-field">
              <legend>{t("forms.fieldN", { n: index + 1 })}</legend>
              <div class="row">
                <TextField
                  label={t("forms.label")}
                  value={field.en}
                  onValue={(en) => update(index, { en })}
                  error={errors[`fields.${index}.label`]}
                />
                <TextField
                  label={t("forms.labelVi")}
                  value={field.vi}
                  onValue={(vi) => update(index, { vi })}
                />
              </div>
              <div class="row">
                <TextField
                  label={t("forms.key")}
                  value={field.key}
                  onValue={(key) => update(index, { key })}
                  error={errors[`fields.${index}.key`]}
                  hint={t("forms.keyHint")}
                />
                <SelectField
                  label={t("forms.type")}
                  value={field.type}
                  options={FIELD_TYPES.map((type) => ({ value: type, label: tx("fieldType", type) }))}
                  onValue={(type) => update(index, { type })}
                />
              </div>
              <SelectField
                label={t("forms.mapTo")}
                value={field.mapTo}
                options={targets}
                onValue={(mapTo) => update(index, { mapTo })}
                error={errors[`fields.${index}.mapTo`]}
              />
              {isChoice(field.type) && (
                <TextArea
                  label={t("forms.options")}
                  value={field.options}
                  onValue={(options) => update(index, { options })}
                  error={errors[`fields.${index}.options`]}
                />
              )}
              <Checkbox
                label={t("forms.required")}
                checked={field.required}
                onChange={(required) => update(index, { required })}
              />
              <p class="actions">
                <button type="button" disabled={index === 0} onClick={() => moveField(index, -1)}>
                  {t("forms.up")}
                </button>
                <button
                  type="button"
                  disabled={index === fields.length - 1}
                  onClick={() => moveField(index, 1)}
                >
                  {t("forms.down")}
                </button>
                <button
                  type="button"
                  class="danger"
                  onClick={() => setFields(fields.filter((_, i) => i !== index))}
                >
                  {t("forms.removeField")}
                </button>
              </p>
            </fieldset>
          ))}
          <button
            type="button"
            onClick={() =>
              setFields([
                ...fields,
                {
                  key: `field_${fields.length + 1}`,
                  type: "text",
                  en: "",
                  vi: "",
                  required: false,
                  mapTo: "",
                  options: "",
                },
              ])
            }
          >
            {t("forms.addField")}
          </button>
          <TextField
            label={t("forms.consent")}
            value={consent}
            onValue={setConsent}
            hint={t("forms.consentHint")}
          />
          <TextField label={t("forms.consentVi")} value={consentVi} onValue={setConsentVi} />
          <TextField label={t("forms.thanks")} value={thanks} onValue={setThanks} />
          <TextArea
            label={t("forms.origins")}
            value={origins}
            onValue={setOrigins}
            error={errors.allowedOrigins}
          />
          <p class="hint">{t("forms.originsHint")}</p>
          <SelectField
            label={t("forms.owner")}
            value={owner}
            options={[
              { value: "", label: t("forms.ownerMe") },
              ...(people?.users ?? []).filter((u) => u.active).map((u) => ({ value: u.id, label: u.name })),
            ]}
            onValue={setOwner}
          />
          {problem && (
            <p class="error" role="alert">
              {problem}
            </p>
          )}
          <p class="actions">
            <button type="submit" class="primary" disabled={busy}>
              {t("forms.save")}
            </button>
            <button type="button" onClick={onClose}>
              {t("forms.back")}
            </button>
          </p>
        </form>
        <div class="stack">
          {saved && <Snippet form={saved} />}
          <div class="field inline">
            <label for="preview-lang">{t("forms.previewIn")}</label>
            <select
              id="preview-lang"
              value={previewLang}
              onChange={(e) => setPreviewLang(e.currentTarget.value as Lang)}
            >
              <option value="en">English</option>
              <option value="vi">Tiếng Việt</option>
            </select>
          </div>
          <iframe title={t("forms.preview")} sandbox="" srcDoc={preview} />
        </div>
      </div>
    </section>
  );
}

function Snippet({ form }: { form: Form }) {
  const copy = async () => {
    toast((await copyText(form.links.embed)) ? t("forms.snippetCopied") : t("common.copyFailed"));
  };
  return (
    <section class="card" aria-labelledby="snippet-title">
      <h3 id="snippet-title">{t("forms.embed")}</h3>
      <p class="hint">{t("forms.embedHint")}</p>
      <pre class="snippet" id="embed-snippet">
        <code>{form.links.embed}</code>
      </pre>
      <p class="actions">
        <button type="button" class="primary" onClick={copy}>
          {t("forms.copySnippet")}
        </button>
        <a href={form.links.hosted} target="_blank" rel="noopener">
          {t("forms.hosted")}
        </a>
      </p>
    </section>
  );
}
