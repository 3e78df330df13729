// The companies list, and a new company.

import { useMemo, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { api, idempotency, ok, type QueryOf, type Schemas } from "../api/client.ts";
import { useDirectory } from "../data/directory.ts";
import { date, t } from "../i18n/index.ts";
import { type ListSpec, ListView, toQuery } from "../lists/list-view.tsx";
import { can, useSession } from "../session.ts";
import { Dialog, TextField } from "../ui/controls.tsx";
import { describe, fieldErrors } from "../ui/problem.ts";
import { toast } from "../ui/toast.tsx";

type Company = Schemas["Company"];
type Query = QueryOf<"/api/v1/companies">;

export default function Companies() {
  const { me } = useSession();
  const people = useDirectory();
  const [creating, setCreating] = useState(false);

  const spec = useMemo<ListSpec<Company>>(
    () => ({
      name: "companies",
      title: t("nav.companies"),
      search: true,
      exportName: "companies",
      toQuery,
      defaultView: {
        columns: ["name", "domain", "industry", "country", "owner", "updated"],
        filters: {},
        sort: "",
        q: "",
      },
      columns: [
        {
          key: "name",
          label: t("company.name"),
          sort: "name",
          cell: (c) => <a href={`/companies/${c.id}`}>{c.name}</a>,
          text: (c) => c.name,
        },
        {
          key: "domain",
          label: t("company.domain"),
          cell: (c) => c.domain ?? "",
          text: (c) => c.domain ?? "",
        },
        {
          key: "industry",
          label: t("company.industry"),
          cell: (c) => c.industry ?? "",
          text: (c) => c.industry ?? "",
        },
        { key: "size", label: t("company.size"), cell: (c) => c.size ?? "", text: (c) => c.size ?? "" },
        {
          key: "country",
          label: t("company.country"),
          cell: (c) => c.country ?? "",
          text: (c) => c.country ?? "",
        },
        {
          key: "owner",
          label: t("common.owner"),
          cell: (c) => people?.userName(c.ownerId) ?? "",
          text: (c) => people?.userName(c.ownerId) ?? "",
        },
        {
          key: "created",
          label: t("common.created"),
          sort: "createdAt",
          cell: (c) => date(c.createdAt),
          text: (c) => new Date(c.createdAt).toISOString(),
        },
        {
          key: "updated",
          label: t("common.updated"),
          sort: "updatedAt",
          cell: (c) => date(c.updatedAt),
          text: (c) => new Date(c.updatedAt).toISOString(),
        },
      ],
      filters: [
        {
          key: "owner",
          label: t("common.owner"),
          options: people?.users.map((u) => ({ value: u.id, label: u.name })) ?? [],
        },
        {
          key: "team",
          label: t("common.team"),
          options: people?.teams.map((team) => ({ value: team.id, label: team.name })) ?? [],
        },
        { key: "industry", label: t("company.industry") },
        { key: "country", label: t("company.country") },
        { key: "domain", label: t("company.domain") },
      ],
      load: (view, cursor) =>
        ok(
          api.GET("/api/v1/companies", {
            params: { query: { limit: 50, cursor, ...toQuery(view) } as Query },
          }),
        ),
      bulk: can.write(me)
        ? {
            assign: (c, ownerId) =>
              ok(api.PATCH("/api/v1/companies/{id}", { params: { path: { id: c.id } }, body: { ownerId } })),
            remove: (c) => ok(api.DELETE("/api/v1/companies/{id}", { params: { path: { id: c.id } } })),
          }
        : undefined,
      actions: can.write(me) ? (
        <button type="button" class="primary" onClick={() => setCreating(true)}>
          {t("company.new")}
        </button>
      ) : undefined,
    }),
    [people, me],
  );

  return (
    <>
      <ListView spec={spec} />
      <Dialog title={t("company.new")} open={creating} onClose={() => setCreating(false)}>
        <CompanyForm onDone={() => setCreating(false)} />
      </Dialog>
    </>
  );
}

function CompanyForm({ onDone }: { onDone: () => void }) {
  const { route } = useLocation();
  const [values, setValues] = useState({ name: "", domain: "", industry: "", country: "" });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState("");
  const set = (key: keyof typeof values) => (value: string) => setValues({ ...values, [key]: value });

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!values.name.trim()) {
      setErrors({ name: t("common.required") });
      return;
    }
    try {
      const company = await ok(
        api.POST("/api/v1/companies", {
          params: { header: idempotency() },
          body: {
            name: values.name.trim(),
            domain: values.domain.trim() || null,
            industry: values.industry.trim() || null,
            country: values.country.trim() || null,
          },
        }),
      );
      toast(t("company.created", { name: company.name }));
      onDone();
      route(`/companies/${company.id}`);
    } catch (failure) {
      setErrors(fieldErrors(failure));
      setProblem(describe(failure));
    }
  };

  return (
    <form onSubmit={submit} noValidate class="stack">
      <TextField
        label={t("company.name")}
        required
        value={values.name}
        onValue={set("name")}
        error={errors.name}
      />
      <TextField
        label={t("company.domain")}
        value={values.domain}
        onValue={set("domain")}
        error={errors.domain}
      />
      <TextField label={t("company.industry")} value={values.industry} onValue={set("industry")} />
      <TextField label={t("company.country")} value={values.country} onValue={set("country")} />
      {problem && (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
      <div class="actions">
        <button type="submit" class="primary">
          {t("company.create")}
        </button>
        <button type="button" onClick={onDone}>
          {t("common.cancel")}
        </button>
      </div>
    </form>
  );
}
