// Custom fields of contacts, companies and deals: define (key, type, options, required), relabel, archive.
import { useState } from "preact/hooks";
import { api, idempotency, ok, type Schemas } from "../../api/client.ts";
import { forget } from "../../data/directory.ts";
import { CUSTOM_FIELD_TYPES, type CustomFieldType } from "../../data/enums.ts";
import { t, tx } from "../../i18n/index.ts";
import { can, useSession } from "../../session.ts";
import { Checkbox, ErrorNote, Loading, SelectField, TextArea, TextField } from "../../ui/controls.tsx";
import { useQuery } from "../../ui/hooks.ts";
import { describe, fieldErrors } from "../../ui/problem.ts";
import { toast } from "../../ui/toast.tsx";

type Field = Schemas["CustomField"];
type ObjectKind = Field["object"];

export default function CustomFields() {
  const { me } = useSession();
  const admin = can.admin(me);
  const list = useQuery(() => ok(api.GET("/api/v1/custom-fields")), []);
  const changed = () => {
    forget();
    void list.reload();
  };
  if (list.error) return <ErrorNote error={list.error} retry={list.reload} />;
  if (!list.data) return <Loading />;
  return (
    <section aria-labelledby="cf-title">
      <h2 id="cf-title">{t("settings.customFields")}</h2>
      <div class="table-wrap">
        <table>
          <caption class="sr-only">{t("settings.customFields")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("cf.label")}</th>
              <th scope="col">{t("cf.object")}</th>
              <th scope="col">{t("cf.key")}</th>
              <th scope="col">{t("cf.type")}</th>
              <th scope="col">{t("cf.required")}</th>
              {admin && <th scope="col">{t("pipelines.actions")}</th>}
            </tr>
          </thead>
          <tbody>
            {list.data.items.map((field) => (
              <tr key={field.id} class={field.archivedAt ? "muted" : undefined}>
                <th scope="row">
                  {field.label}
                  {field.archivedAt ? ` (${t("pipelines.archived")})` : ""}
                </th>
                <td>{tx("record", field.object)}</td>
                <td>
                  <code>{field.key}</code>
                </td>
                <td>
                  {tx("cfType", field.type)}
                  {field.options.length ? `: ${field.options.join(", ")}` : ""}
                </td>
                <td>{field.required ? t("common.yes") : t("common.no")}</td>
                {admin && (
                  <td>
                    {!field.archivedAt && (
                      <button
                        type="button"
                        class="link danger"
                        onClick={async () => {
                          try {
                            await ok(
                              api.DELETE("/api/v1/custom-fields/{id}", {
                                params: { path: { id: field.id } },
                              }),
                            );
                            toast(t("cf.archived", { label: field.label }));
                            changed();
                          } catch (error) {
                            toast(describe(error), "error");
                          }
                        }}
                      >
                        {t("pipelines.archive")}
                      </button>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {admin && <NewField onDone={changed} />}
    </section>
  );
}

function NewField({ onDone }: { onDone: () => void }) {
  const [object, setObject] = useState<ObjectKind>("contact");
  const [label, setLabel] = useState("");
  const [key, setKey] = useState("");
  const [type, setType] = useState<CustomFieldType>("text");
  const [options, setOptions] = useState("");
  const [required, setRequired] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState("");
  const submit = async (e: Event) => {
    e.preventDefault();
    setProblem("");
    try {
      await ok(
        api.POST("/api/v1/custom-fields", {
          params: { header: idempotency() } as never,
          body: {
            object,
            label: label.trim(),
            key: key.trim(),
            type,
            required,
            ...(type === "select" || type === "multi_select"
              ? {
                  options: options
                    .split("\n")
                    .map((o) => o.trim())
                    .filter(Boolean),
                }
              : {}),
          },
        }),
      );
      toast(t("cf.created", { label }));
      setLabel("");
      setKey("");
      setOptions("");
      onDone();
    } catch (failure) {
      setErrors(fieldErrors(failure));
      setProblem(describe(failure));
    }
  };
  return (
    <form class="card stack" onSubmit={submit} noValidate aria-labelledby="cf-new">
      <h3 id="cf-new">{t("cf.new")}</h3>
      <SelectField
        label={t("cf.object")}
        value={object}
        options={(["contact", "company", "deal"] as const).map((value) => ({
          value,
          label: tx("record", value),
        }))}
        onValue={setObject}
      />
      <TextField label={t("cf.label")} value={label} onValue={setLabel} error={errors.label} required />
      <TextField
        label={t("cf.key")}
        value={key}
        onValue={setKey}
        error={errors.key}
        hint={t("cf.keyHint")}
        required
      />
      <SelectField
        label={t("cf.type")}
        value={type}
        options={CUSTOM_FIELD_TYPES.map((value) => ({ value, label: tx("cfType", value) }))}
        onValue={setType}
      />
      {(type === "select" || type === "multi_select") && (
        <TextArea label={t("cf.options")} value={options} onValue={setOptions} error={errors.options} />
      )}
      <Checkbox label={t("cf.required")} checked={required} onChange={setRequired} />
      {problem && (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
      <button type="submit" class="primary">
        {t("common.add")}
      </button>
    </form>
  );
}
