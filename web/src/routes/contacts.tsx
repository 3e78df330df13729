// The contacts list, and a new contact.

import { useMemo, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { api, ok, type QueryOf, type Schemas } from "../api/client.ts";
import { useDirectory } from "../data/directory.ts";
import { LEAD_STATUSES, LIFECYCLE_STAGES } from "../data/enums.ts";
import { date, t, tx } from "../i18n/index.ts";
import { type ListSpec, ListView, toQuery } from "../lists/list-view.tsx";
import { can, useSession } from "../session.ts";
import { Dialog } from "../ui/controls.tsx";
import { toast } from "../ui/toast.tsx";
import { ContactForm } from "./contact-form.tsx";

type Contact = Schemas["Contact"];
type Query = QueryOf<"/api/v1/contacts">;

export default function Contacts() {
  const { me } = useSession();
  const people = useDirectory();
  const { route } = useLocation();
  const [creating, setCreating] = useState(false);
  const [version, setVersion] = useState(0);

  const spec = useMemo<ListSpec<Contact>>(
    () => ({
      name: "contacts",
      title: t("nav.contacts"),
      search: true,
      exportName: "contacts",
      toQuery,
      version,
      defaultView: {
        columns: ["name", "email", "company", "lifecycle", "owner", "updated"],
        filters: {},
        sort: "",
        q: "",
      },
      columns: [
        {
          key: "name",
          label: t("contact.name"),
          sort: "name",
          cell: (c) => <a href={`/contacts/${c.id}`}>{c.name}</a>,
          text: (c) => c.name,
        },
        { key: "email", label: t("contact.email"), cell: (c) => c.email ?? "", text: (c) => c.email ?? "" },
        { key: "phone", label: t("contact.phone"), cell: (c) => c.phone ?? "", text: (c) => c.phone ?? "" },
        {
          key: "company",
          label: t("contact.company"),
          cell: (c) =>
            c.companyId ? <a href={`/companies/${c.companyId}`}>{t("contact.openCompany")}</a> : "",
          text: (c) => c.companyId ?? "",
        },
        {
          key: "lifecycle",
          label: t("contact.lifecycle"),
          cell: (c) => tx("lifecycle", c.lifecycleStage),
          text: (c) => c.lifecycleStage,
        },
        {
          key: "status",
          label: t("contact.leadStatus"),
          cell: (c) => tx("leadStatus", c.leadStatus),
          text: (c) => c.leadStatus ?? "",
        },
        {
          key: "grade",
          label: t("contact.grade"),
          cell: (c) => c.scores.grade ?? "",
          text: (c) => c.scores.grade ?? "",
        },
        {
          key: "owner",
          label: t("common.owner"),
          cell: (c) => people?.userName(c.ownerId) ?? "",
          text: (c) => people?.userName(c.ownerId) ?? "",
        },
        {
          key: "tags",
          label: t("contact.tags"),
          cell: (c) => c.tags.join(", "),
          text: (c) => c.tags.join(", "),
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
        {
          key: "lifecycleStage",
          label: t("contact.lifecycle"),
          options: LIFECYCLE_STAGES.map((v) => ({ value: v, label: tx("lifecycle", v) })),
        },
        {
          key: "leadStatus",
          label: t("contact.leadStatus"),
          options: LEAD_STATUSES.map((v) => ({ value: v, label: tx("leadStatus", v) })),
        },
        { key: "tag", label: t("contact.tag") },
        { key: "createdFrom", label: t("list.createdFrom"), type: "date" },
        { key: "createdTo", label: t("list.createdTo"), type: "date" },
      ],
      load: (view, cursor) =>
        ok(
          api.GET("/api/v1/contacts", {
            params: { query: { limit: 50, cursor, ...toQuery(view) } as Query },
          }),
        ),
      bulk: can.write(me)
        ? {
            assign: (c, ownerId) =>
              ok(api.PATCH("/api/v1/contacts/{id}", { params: { path: { id: c.id } }, body: { ownerId } })),
            tag: (c, tag) =>
              ok(
                api.PATCH("/api/v1/contacts/{id}", {
                  params: { path: { id: c.id } },
                  body: { tags: [...new Set([...c.tags, tag])] },
                }),
              ),
            remove: (c) => ok(api.DELETE("/api/v1/contacts/{id}", { params: { path: { id: c.id } } })),
          }
        : undefined,
      actions: can.write(me) ? (
        <button type="button" class="primary" onClick={() => setCreating(true)}>
          {t("contact.new")}
        </button>
      ) : undefined,
    }),
    [people, version, me],
  );

  return (
    <>
      <ListView spec={spec} />
      <Dialog title={t("contact.new")} open={creating} onClose={() => setCreating(false)}>
        <ContactForm
          onCancel={() => setCreating(false)}
          onSaved={(contact) => {
            setCreating(false);
            setVersion(version + 1);
            toast(t("contact.created", { name: contact.name }));
            route(`/contacts/${contact.id}`);
          }}
        />
      </Dialog>
    </>
  );
}
