// The deals list, and a new deal.

import { useMemo, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { api, ok, type QueryOf, type Schemas } from "../api/client.ts";
import { useDirectory } from "../data/directory.ts";
import { calendarDate, date, money, t, tx } from "../i18n/index.ts";
import { type ListSpec, ListView, toQuery } from "../lists/list-view.tsx";
import { can, useSession } from "../session.ts";
import { Dialog } from "../ui/controls.tsx";
import { toast } from "../ui/toast.tsx";
import { DealForm } from "./deal-form.tsx";

type Deal = Schemas["Deal"];
type Query = QueryOf<"/api/v1/deals">;

export default function Deals() {
  const { me } = useSession();
  const people = useDirectory();
  const { route } = useLocation();
  const [creating, setCreating] = useState(false);
  const pipelineName = (id: string) => people?.pipelines.find((p) => p.id === id)?.name ?? "";

  const spec = useMemo<ListSpec<Deal>>(
    () => ({
      name: "deals",
      title: t("nav.deals"),
      search: true,
      exportName: "deals",
      toQuery,
      defaultView: {
        columns: ["name", "amount", "stage", "status", "owner", "close"],
        filters: { status: "open" },
        sort: "",
        q: "",
      },
      columns: [
        {
          key: "name",
          label: t("deal.name"),
          cell: (d) => <a href={`/deals/${d.id}`}>{d.name}</a>,
          text: (d) => d.name,
        },
        {
          key: "amount",
          label: t("deal.amount"),
          cell: (d) => money(d.amount, d.currency),
          text: (d) => money(d.amount, d.currency),
        },
        {
          key: "pipeline",
          label: t("deal.pipeline"),
          cell: (d) => pipelineName(d.pipelineId),
          text: (d) => pipelineName(d.pipelineId),
        },
        { key: "stage", label: t("deal.stage"), cell: (d) => d.stageName, text: (d) => d.stageName },
        {
          key: "status",
          label: t("deal.status"),
          cell: (d) => tx("dealStatus", d.status),
          text: (d) => d.status,
        },
        {
          key: "probability",
          label: t("deal.probability"),
          cell: (d) => `${d.probability}%`,
          text: (d) => String(d.probability),
        },
        {
          key: "owner",
          label: t("common.owner"),
          cell: (d) => people?.userName(d.ownerId) ?? "",
          text: (d) => people?.userName(d.ownerId) ?? "",
        },
        {
          key: "close",
          label: t("deal.expectedClose"),
          sort: "expectedClose",
          cell: (d) => calendarDate(d.expectedCloseDate),
          text: (d) => d.expectedCloseDate ?? "",
        },
        {
          key: "created",
          label: t("common.created"),
          sort: "created",
          cell: (d) => date(d.createdAt),
          text: (d) => new Date(d.createdAt).toISOString(),
        },
        {
          key: "updated",
          label: t("common.updated"),
          sort: "updated",
          cell: (d) => date(d.updatedAt),
          text: (d) => new Date(d.updatedAt).toISOString(),
        },
      ],
      filters: [
        {
          key: "status",
          label: t("deal.status"),
          options: ["open", "won", "lost"].map((v) => ({ value: v, label: tx("dealStatus", v) })),
        },
        {
          key: "pipelineId",
          label: t("deal.pipeline"),
          options: people?.pipelines.map((p) => ({ value: p.id, label: p.name })) ?? [],
        },
        {
          key: "ownerId",
          label: t("common.owner"),
          options: people?.users.map((u) => ({ value: u.id, label: u.name })) ?? [],
        },
        {
          key: "teamId",
          label: t("common.team"),
          options: people?.teams.map((team) => ({ value: team.id, label: team.name })) ?? [],
        },
        { key: "expectedCloseFrom", label: t("deal.closeFrom"), type: "date" },
        { key: "expectedCloseTo", label: t("deal.closeTo"), type: "date" },
      ],
      load: (view, cursor) =>
        ok(
          api.GET("/api/v1/deals", {
            params: { query: { limit: 50, cursor, ...toQuery(view) } as Query },
          }),
        ),
      bulk: can.write(me)
        ? {
            assign: (d, ownerId) =>
              ok(api.PATCH("/api/v1/deals/{id}", { params: { path: { id: d.id } }, body: { ownerId } })),
            remove: (d) => ok(api.DELETE("/api/v1/deals/{id}", { params: { path: { id: d.id } } })),
          }
        : undefined,
      actions: can.write(me) ? (
        <button type="button" class="primary" onClick={() => setCreating(true)}>
          {t("deal.new")}
        </button>
      ) : undefined,
    }),
    [people, me],
  );

  return (
    <>
      <ListView spec={spec} />
      <Dialog title={t("deal.new")} open={creating} onClose={() => setCreating(false)}>
        <DealForm
          onCancel={() => setCreating(false)}
          onSaved={(deal) => {
            setCreating(false);
            toast(t("deal.created", { name: deal.name }));
            route(`/deals/${deal.id}`);
          }}
        />
      </Dialog>
    </>
  );
}
