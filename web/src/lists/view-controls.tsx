// A list's search box, filters, column chooser and saved views.
import { useState } from "preact/hooks";
import { t } from "../i18n/index.ts";
import { useStored } from "../ui/hooks.ts";
import { toast } from "../ui/toast.tsx";
import type { ListSpec, View } from "./list-view.tsx";

interface SavedView {
  name: string;
  view: View;
}

export function ViewControls<T extends { id: string }>(props: {
  spec: ListSpec<T>;
  view: View;
  onView: (view: View) => void;
}) {
  const { spec, view, onView } = props;
  const [saved, setSaved] = useStored<SavedView[]>(`crm.views.${spec.name}`, []);
  const [q, setQ] = useState(view.q);
  const [name, setName] = useState("");

  const setFilter = (key: string, value: string) => {
    const filters = { ...view.filters };
    if (value) filters[key] = value;
    else delete filters[key];
    onView({ ...view, filters });
  };

  const save = (e: Event) => {
    e.preventDefault();
    const label = name.trim();
    if (!label) return;
    setSaved([...saved.filter((item) => item.name !== label), { name: label, view }]);
    setName("");
    toast(t("views.saved", { name: label }));
  };

  return (
    <div class="view-controls">
      {spec.search && (
        // biome-ignore lint/a11y/useSemanticElements: a search landmark on the form itself (no <search> in Preact's JSX types)
        <form
          role="search"
          onSubmit={(e) => {
            e.preventDefault();
            onView({ ...view, q: q.trim() });
          }}
        >
          <label for={`${spec.name}-q`} class="sr-only">
            {t("list.search")}
          </label>
          <input
            id={`${spec.name}-q`}
            type="search"
            placeholder={t("list.search")}
            value={q}
            onInput={(e) => setQ(e.currentTarget.value)}
          />
          <button type="submit">{t("list.searchButton")}</button>
        </form>
      )}
      <details class="filters">
        <summary>
          {t("list.filters")}
          {Object.keys(view.filters).length > 0 && ` (${Object.keys(view.filters).length})`}
        </summary>
        <div class="filter-grid">
          {spec.filters.map((filter) => {
            const id = `${spec.name}-f-${filter.key}`;
            const value = view.filters[filter.key] ?? "";
            return (
              <div class="field" key={filter.key}>
                <label for={id}>{filter.label}</label>
                {filter.options ? (
                  <select
                    id={id}
                    value={value}
                    onChange={(e) => setFilter(filter.key, e.currentTarget.value)}
                  >
                    <option value="">{t("list.any")}</option>
                    {filter.options.map((option) => (
                      <option key={option.value} value={option.value}>
                        {option.label}
                      </option>
                    ))}
                  </select>
                ) : (
                  <input
                    id={id}
                    type={(filter.type === "date" ? "date" : "text") as "text"}
                    value={value}
                    onChange={(e) => setFilter(filter.key, e.currentTarget.value)}
                  />
                )}
              </div>
            );
          })}
          {Object.keys(view.filters).length > 0 && (
            <button type="button" onClick={() => onView({ ...view, filters: {} })}>
              {t("list.clearFilters")}
            </button>
          )}
        </div>
      </details>
      <details class="columns">
        <summary>{t("list.columns")}</summary>
        <fieldset>
          <legend class="sr-only">{t("list.columns")}</legend>
          {spec.columns.map((column, index) => (
            <label class="check" key={column.key}>
              <input
                type="checkbox"
                disabled={index === 0}
                checked={view.columns.includes(column.key)}
                onChange={(e) => {
                  const on = e.currentTarget.checked;
                  const columns = spec.columns
                    .map((c) => c.key)
                    .filter((key) => (key === column.key ? on : view.columns.includes(key)));
                  onView({ ...view, columns });
                }}
              />
              {column.label}
            </label>
          ))}
        </fieldset>
      </details>
      <details class="saved-views">
        <summary>{t("views.title")}</summary>
        {saved.length > 0 ? (
          <ul>
            {saved.map((item) => (
              <li key={item.name}>
                <button type="button" class="link" onClick={() => onView(item.view)}>
                  {item.name}
                </button>{" "}
                <button
                  type="button"
                  class="link danger"
                  aria-label={t("views.delete", { name: item.name })}
                  onClick={() => setSaved(saved.filter((other) => other.name !== item.name))}
                >
                  ×
                </button>
              </li>
            ))}
          </ul>
        ) : (
          <p class="muted">{t("views.none")}</p>
        )}
        <form onSubmit={save} class="inline">
          <label for={`${spec.name}-view-name`}>{t("views.name")}</label>
          <input id={`${spec.name}-view-name`} value={name} onInput={(e) => setName(e.currentTarget.value)} />
          <button type="submit">{t("views.save")}</button>
          <button type="button" onClick={() => onView(spec.defaultView)}>
            {t("views.reset")}
          </button>
        </form>
      </details>
    </div>
  );
}
