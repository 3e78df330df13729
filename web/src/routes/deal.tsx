// A deal: amount, stage (and a way to move it), the stage history, its contacts, and its timeline.

import { useState } from "preact/hooks";
import { useRoute } from "preact-iso";
import { api, ifMatch, ok } from "../api/client.ts";
import { useDirectory } from "../data/directory.ts";
import { calendarDate, dateTime, money, t, tx } from "../i18n/index.ts";
import { TaskForm } from "../records/tasks.tsx";
import { Timeline } from "../records/timeline.tsx";
import { can, useSession } from "../session.ts";
import { Dialog, ErrorNote, Loading, PageTitle } from "../ui/controls.tsx";
import { useQuery } from "../ui/hooks.ts";
import { describe } from "../ui/problem.ts";
import { toast } from "../ui/toast.tsx";

export default function DealPage() {
  const { params } = useRoute();
  const { me } = useSession();
  const people = useDirectory();
  const id = params.id ?? "";
  const [adding, setAdding] = useState(false);
  const [reason, setReason] = useState("");
  const view = useQuery(async () => {
    const deal = await ok(api.GET("/api/v1/deals/{id}", { params: { path: { id } } }));
    const [history, contacts] = await Promise.all([
      ok(
        api.GET("/api/v1/activities", { params: { query: { dealId: id, type: "stage_change", limit: 50 } } }),
      ),
      Promise.all(
        deal.contactIds
          .slice(0, 20)
          .map((contactId) =>
            ok(api.GET("/api/v1/contacts/{id}", { params: { path: { id: contactId } } })).catch(() => null),
          ),
      ),
    ]);
    return { deal, history: history.items, contacts: contacts.filter((c) => c !== null) };
  }, [id]);

  if (view.error) return <ErrorNote error={view.error} retry={view.reload} />;
  if (!view.data) return <Loading />;
  const { deal, history, contacts } = view.data;
  const pipeline = people?.pipelines.find((p) => p.id === deal.pipelineId);
  const writable = can.write(me);

  const moveTo = async (stageId: string) => {
    const stage = pipeline?.stages.find((s) => s.id === stageId);
    if (!stage || stageId === deal.stageId) return;
    if (stage.outcome === "lost" && !reason.trim()) {
      toast(t("deal.reasonNeeded"), "error");
      return;
    }
    try {
      await ok(
        api.POST("/api/v1/deals/{id}/move", {
          params: { path: { id }, header: ifMatch(deal.version) as never },
          body: { stageId, ...(stage.outcome === "lost" ? { closeReason: reason.trim() } : {}) },
        }),
      );
      toast(t("board.moved", { deal: deal.name, stage: stage.name }));
      void view.reload();
    } catch (error) {
      toast(describe(error), "error");
    }
  };

  return (
    <article class="record">
      <PageTitle>{deal.name}</PageTitle>
      <p class="subtitle">
        <strong>{money(deal.amount, deal.currency)}</strong> · {deal.stageName} ·{" "}
        {tx("dealStatus", deal.status)}
      </p>
      <div class="record-grid">
        <div class="side">
          <section class="card" aria-labelledby="deal-details">
            <h2 id="deal-details">{t("deal.details")}</h2>
            <dl class="props">
              <dt>{t("deal.pipeline")}</dt>
              <dd>{pipeline?.name ?? "–"}</dd>
              <dt>{t("deal.probability")}</dt>
              <dd>{deal.probability}%</dd>
              <dt>{t("deal.forecast")}</dt>
              <dd>{tx("forecast", deal.forecastCategory)}</dd>
              <dt>{t("deal.expectedClose")}</dt>
              <dd>{calendarDate(deal.expectedCloseDate) || "–"}</dd>
              <dt>{t("common.owner")}</dt>
              <dd>{people?.userName(deal.ownerId) || "–"}</dd>
              {deal.companyId && (
                <>
                  <dt>{t("contact.company")}</dt>
                  <dd>
                    <a href={`/companies/${deal.companyId}`}>{t("contact.openCompany")}</a>
                  </dd>
                </>
              )}
              {deal.closeReason && (
                <>
                  <dt>{t("deal.closeReason")}</dt>
                  <dd>{deal.closeReason}</dd>
                </>
              )}
            </dl>
            {writable && pipeline && (
              <div class="stack">
                <label for="deal-stage">{t("deal.moveTo")}</label>
                <select id="deal-stage" value={deal.stageId} onChange={(e) => moveTo(e.currentTarget.value)}>
                  {pipeline.stages
                    .filter((s) => !s.archivedAt)
                    .map((s) => (
                      <option key={s.id} value={s.id}>
                        {s.name}
                      </option>
                    ))}
                </select>
                <label for="deal-reason">{t("deal.lostReasonLabel")}</label>
                <input id="deal-reason" value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
              </div>
            )}
          </section>
          <section class="card" aria-labelledby="deal-history">
            <h2 id="deal-history">{t("deal.history")}</h2>
            {history.length ? (
              <ol class="plain">
                {history.map((entry) => (
                  <li key={entry.id}>
                    {entry.subject} ·{" "}
                    <time dateTime={new Date(entry.occurredAt).toISOString()}>
                      {dateTime(entry.occurredAt)}
                    </time>
                  </li>
                ))}
              </ol>
            ) : (
              <p class="muted">{t("deal.noHistory", { when: dateTime(deal.stageEnteredAt) })}</p>
            )}
          </section>
          <section class="card" aria-labelledby="deal-contacts">
            <h2 id="deal-contacts">{t("nav.contacts")}</h2>
            {contacts.length ? (
              <ul class="plain">
                {contacts.map((contact) => (
                  <li key={contact.id}>
                    <a href={`/contacts/${contact.id}`}>{contact.name}</a>
                    {contact.email ? ` · ${contact.email}` : ""}
                  </li>
                ))}
              </ul>
            ) : (
              <p class="muted">{t("deal.noContacts")}</p>
            )}
            {writable && (
              <button type="button" onClick={() => setAdding(true)}>
                {t("task.new")}
              </button>
            )}
          </section>
        </div>
        <Timeline subject={{ dealId: deal.id }} canWrite={writable} onLogged={() => view.reload()} />
      </div>
      <Dialog title={t("task.new")} open={adding} onClose={() => setAdding(false)}>
        <TaskForm
          record={{ dealId: deal.id }}
          onCancel={() => setAdding(false)}
          onSaved={() => setAdding(false)}
        />
      </Dialog>
    </article>
  );
}
