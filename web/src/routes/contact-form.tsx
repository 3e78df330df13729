// Creating or editing a contact. The browser checks email and phone with the rules forms use
// (functions/forms/field-rules.ts through valibot, as the embed does); the API decides and its field errors
// show by the fields.
import { useState } from "preact/hooks";
import { type ErrorCode, MESSAGES, type PublicField } from "../../../functions/forms/field-rules.ts";
import { formChecker } from "../../embed/schema.ts";
import { api, idempotency, ifMatch, ok, type Schemas } from "../api/client.ts";
import { useDirectory } from "../data/directory.ts";
import { LIFECYCLE_STAGES } from "../data/enums.ts";
import { locale, t, tx } from "../i18n/index.ts";
import { useSession } from "../session.ts";
import { SelectField, TextField } from "../ui/controls.tsx";
import { describe, fieldErrors } from "../ui/problem.ts";

type Contact = Schemas["Contact"];

const CHECKED: PublicField[] = [
  { key: "email", type: "email", label: { en: "Email" }, required: false },
  { key: "phone", type: "phone", label: { en: "Phone" }, required: false },
];
const check = formChecker({ fields: CHECKED, consent: null });
// The shared rules' own words for their codes, in the app's language.
const ruleMessage = (code: ErrorCode) => MESSAGES[locale()][code];

export function ContactForm(props: {
  contact?: Contact;
  onSaved: (contact: Contact) => void;
  onCancel: () => void;
}) {
  const { me } = useSession();
  const people = useDirectory();
  const existing = props.contact;
  const [name, setName] = useState(existing?.name ?? "");
  const [email, setEmail] = useState(existing?.email ?? "");
  const [phone, setPhone] = useState(existing?.phone ?? "");
  const [jobTitle, setJobTitle] = useState(existing?.jobTitle ?? "");
  const [lifecycle, setLifecycle] = useState(existing?.lifecycleStage ?? "lead");
  const [owner, setOwner] = useState(existing?.ownerId ?? me.id);
  const [tags, setTags] = useState(existing?.tags.join(", ") ?? "");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState("");
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const local: Record<string, string> = {};
    if (!name.trim()) local.name = ruleMessage("required");
    const checked = check({ email, phone }, undefined);
    if (!checked.ok) for (const [key, code] of checked.errors) local[key] = ruleMessage(code);
    setErrors(local);
    setProblem("");
    if (Object.keys(local).length) return;
    const body = {
      name: name.trim(),
      emails: email.trim() ? [email.trim()] : [],
      phones: phone.trim() ? [phone.trim()] : [],
      jobTitle: jobTitle.trim() || null,
      lifecycleStage: lifecycle as Contact["lifecycleStage"] as never,
      ownerId: owner,
      tags: tags
        .split(",")
        .map((tag) => tag.trim())
        .filter(Boolean),
    };
    setBusy(true);
    try {
      const saved = existing
        ? await ok(
            api.PATCH("/api/v1/contacts/{id}", {
              params: { path: { id: existing.id }, header: ifMatch(existing.version) as never },
              body,
            }),
          )
        : await ok(api.POST("/api/v1/contacts", { params: { header: idempotency() }, body }));
      props.onSaved(saved);
    } catch (failure) {
      const byField = fieldErrors(failure);
      setErrors({
        name: byField.name ?? "",
        email: byField["emails.0"] ?? byField.emails ?? "",
        phone: byField["phones.0"] ?? byField.phones ?? "",
      });
      setProblem(describe(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} noValidate class="stack">
      <TextField
        label={t("contact.name")}
        required
        value={name}
        onValue={setName}
        error={errors.name || undefined}
      />
      <TextField
        label={t("contact.email")}
        type="email"
        value={email}
        onValue={setEmail}
        error={errors.email || undefined}
      />
      <TextField
        label={t("contact.phone")}
        type="tel"
        value={phone}
        onValue={setPhone}
        error={errors.phone || undefined}
      />
      <TextField label={t("contact.jobTitle")} value={jobTitle} onValue={setJobTitle} />
      <SelectField
        label={t("contact.lifecycle")}
        value={lifecycle}
        options={LIFECYCLE_STAGES.map((value) => ({ value, label: tx("lifecycle", value) }))}
        onValue={setLifecycle}
      />
      <SelectField
        label={t("common.owner")}
        value={owner}
        options={(people?.users ?? [{ id: me.id, name: me.name, active: true }])
          .filter((user) => user.active)
          .map((user) => ({ value: user.id, label: user.name }))}
        onValue={setOwner}
      />
      <TextField label={t("contact.tags")} hint={t("contact.tagsHint")} value={tags} onValue={setTags} />
      {problem && (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>
          {existing ? t("common.save") : t("contact.create")}
        </button>
        <button type="button" onClick={props.onCancel}>
          {t("common.cancel")}
        </button>
      </div>
    </form>
  );
}
