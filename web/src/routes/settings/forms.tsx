// Forms: the list, and the builder with its live preview and the embed snippet to copy.
import { useState } from "preact/hooks";
import { api, ok, type Schemas } from "../../api/client.ts";
import { date, t } from "../../i18n/index.ts";
import { ErrorNote, Loading } from "../../ui/controls.tsx";
import { useQuery } from "../../ui/hooks.ts";
import { FormBuilder } from "./form-builder.tsx";

type Form = Schemas["Form"];

export default function Forms() {
  const forms = useQuery(() => ok(api.GET("/api/v1/forms", { params: { query: { limit: 100 } } })), []);
  const [editing, setEditing] = useState<Form | "new" | null>(null);

  if (editing) {
    return (
      <FormBuilder
        form={editing === "new" ? null : editing}
        onClose={() => {
          setEditing(null);
          void forms.reload();
        }}
      />
    );
  }
  return (
    <section aria-labelledby="forms-title">
      <h2 id="forms-title">{t("settings.forms")}</h2>
      <button type="button" class="primary" onClick={() => setEditing("new")}>
        {t("forms.new")}
      </button>
      {forms.error ? <ErrorNote error={forms.error} retry={forms.reload} /> : null}
      {!forms.data ? (
        <Loading />
      ) : (
        <div class="table-wrap">
          <table>
            <caption class="sr-only">{t("settings.forms")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("common.name")}</th>
                <th scope="col">{t("forms.fields")}</th>
                <th scope="col">{t("common.updated")}</th>
                <th scope="col">{t("forms.hosted")}</th>
              </tr>
            </thead>
            <tbody>
              {forms.data.items.map((form) => (
                <tr key={form.id}>
                  <th scope="row">
                    <button type="button" class="link" onClick={() => setEditing(form)}>
                      {form.name}
                    </button>
                  </th>
                  <td>{form.fields.length}</td>
                  <td>{date(form.updatedAt)}</td>
                  <td>
                    <a href={form.links.hosted} target="_blank" rel="noopener">
                      {t("forms.open")}
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
