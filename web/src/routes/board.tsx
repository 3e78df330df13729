// The pipeline board: a column per stage with its count, totals and weighted totals (per currency); deals move
// by drag and drop or, from the keyboard, with a card's Move button and the arrow keys. A move shows at once
// and is undone, with the API's reason, when the server refuses it.

import { useEffect, useState } from "preact/hooks";
import { useLocation, useRoute } from "preact-iso";
import { api, ifMatch, ok, type Schemas } from "../api/client.ts";
import { useDirectory } from "../data/directory.ts";
import { calendarDate, money, t } from "../i18n/index.ts";
import { can, useSession } from "../session.ts";
import { Dialog, ErrorNote, Loading, PageTitle } from "../ui/controls.tsx";
import { useQuery, useStored } from "../ui/hooks.ts";
import { describe } from "../ui/problem.ts";
import { toast } from "../ui/toast.tsx";
import { applyMove, type Board, type Column, sumTotals } from "./board-model.ts";
import { DealForm } from "./deal-form.tsx";

type Deal = Schemas["Deal"];

export default function BoardPage() {
  const { me } = useSession();
  const people = useDirectory();
  const { params } = useRoute();
  const { route } = useLocation();
  const [lastPipeline, setLastPipeline] = useStored<string>("crm.board.pipeline", "");
  const [filters, setFilters] = useState<{ ownerId?: string; teamId?: string }>({});
  const pipelines = people?.pipelines.filter((p) => !p.archivedAt) ?? [];
  const pipelineId = params.pipelineId || lastPipeline || pipelines[0]?.id || "";
  const board = useQuery<Board | null>(
    () =>
      pipelineId
        ? ok(
            api.GET("/api/v1/pipelines/{id}/board", {
              params: { path: { id: pipelineId }, query: { limit: 50, ...filters } },
            }),
          )
        : Promise.resolve(null),
    [pipelineId, filters.ownerId, filters.teamId],
  );
  const [moving, setMoving] = useState<{ deal: Deal; target: number } | null>(null);
  const [dragging, setDragging] = useState<string | null>(null);
  const [lostAsk, setLostAsk] = useState<{ deal: Deal; stageId: string } | null>(null);
  const [creating, setCreating] = useState(false);
  const [announcement, setAnnouncement] = useState("");

  useEffect(() => {
    if (pipelineId && pipelineId !== lastPipeline) setLastPipeline(pipelineId);
  }, [pipelineId]);

  const move = async (deal: Deal, stageId: string, closeReason?: string) => {
    const current = board.data;
    if (!current || deal.stageId === stageId) return;
    const target = current.stages.find((column) => column.stage.id === stageId);
    if (!target) return;
    if (target.stage.outcome === "lost" && closeReason === undefined) {
      setLostAsk({ deal, stageId });
      return;
    }
    // A card moved from the keyboard keeps the focus, in its new column (or its old one, when refused).
    const hadFocus = Boolean(document.activeElement?.closest(`[data-deal="${deal.id}"]`));
    const refocus = () =>
      hadFocus &&
      requestAnimationFrame(() =>
        document.querySelector<HTMLElement>(`[data-deal="${deal.id}"] button.move`)?.focus(),
      );
    board.setData((data) => (data ? applyMove(data, deal, target.stage) : data));
    refocus();
    setAnnouncement(t("board.moved", { deal: deal.name, stage: target.stage.name }));
    try {
      await ok(
        api.POST("/api/v1/deals/{id}/move", {
          params: { path: { id: deal.id }, header: ifMatch(deal.version) as never },
          body: { stageId, ...(closeReason ? { closeReason } : {}) },
        }),
      );
      // The figures come from the server's rollup: read them again, quietly.
      const fresh = await ok(
        api.GET("/api/v1/pipelines/{id}/board", {
          params: { path: { id: pipelineId }, query: { limit: 50, ...filters } },
        }),
      );
      board.setData(() => fresh);
    } catch (error) {
      board.setData(() => current);
      refocus();
      const message = t("board.refused", { deal: deal.name, reason: describe(error) });
      setAnnouncement(message);
      toast(message, "error");
    }
  };

  const loadMore = async (column: Column) => {
    if (!column.nextCursor) return;
    try {
      const page = await ok(
        api.GET("/api/v1/deals", {
          params: {
            query: {
              pipelineId,
              stageId: column.stage.id,
              sort: "-created",
              cursor: column.nextCursor,
              limit: 50,
              ...filters,
            },
          },
        }),
      );
      board.setData((data) =>
        data
          ? {
              ...data,
              stages: data.stages.map((c) =>
                c.stage.id === column.stage.id
                  ? { ...c, deals: [...c.deals, ...page.items], nextCursor: page.nextCursor }
                  : c,
              ),
            }
          : data,
      );
    } catch (error) {
      toast(describe(error), "error");
    }
  };

  const onMoveKey = (e: KeyboardEvent) => {
    if (!moving || !board.data) return;
    const count = board.data.stages.length;
    if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
      e.preventDefault();
      const target = (moving.target + (e.key === "ArrowRight" ? 1 : -1) + count) % count;
      setMoving({ ...moving, target });
      setAnnouncement(t("board.over", { stage: board.data.stages[target]?.stage.name ?? "" }));
    } else if (e.key === "Escape") {
      e.preventDefault();
      setMoving(null);
      setAnnouncement(t("board.cancelled"));
    }
  };

  const data = board.data;
  const writable = can.write(me);
  return (
    <section class="board-page">
      <PageTitle
        actions={
          writable && (
            <button type="button" class="primary" onClick={() => setCreating(true)}>
              {t("deal.new")}
            </button>
          )
        }
      >
        {t("nav.board")}
      </PageTitle>
      <div class="board-tools">
        <label>
          {t("board.pipeline")}{" "}
          <select
            value={pipelineId}
            onChange={(e) => {
              setLastPipeline(e.currentTarget.value);
              route(`/board/${e.currentTarget.value}`);
            }}
          >
            {pipelines.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("common.owner")}{" "}
          <select
            value={filters.ownerId ?? ""}
            onChange={(e) => setFilters({ ...filters, ownerId: e.currentTarget.value || undefined })}
          >
            <option value="">{t("list.any")}</option>
            {people?.users.map((u) => (
              <option key={u.id} value={u.id}>
                {u.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("common.team")}{" "}
          <select
            value={filters.teamId ?? ""}
            onChange={(e) => setFilters({ ...filters, teamId: e.currentTarget.value || undefined })}
          >
            <option value="">{t("list.any")}</option>
            {people?.teams.map((team) => (
              <option key={team.id} value={team.id}>
                {team.name}
              </option>
            ))}
          </select>
        </label>
      </div>
      <p class="sr-only" role="status" aria-live="assertive">
        {announcement}
      </p>
      {board.error ? <ErrorNote error={board.error} retry={board.reload} /> : null}
      {!data && !board.error ? board.loading || !people ? <Loading /> : <p>{t("board.noPipeline")}</p> : null}
      {data && (
        <>
          <BoardSummary board={data} />
          <p class="hint">{writable ? t("board.help") : ""}</p>
          <div class="columns">
            {data.stages.map((column, index) => (
              <section
                key={column.stage.id}
                class={`column${moving?.target === index ? " target" : ""}${dragging ? " droppable" : ""}`}
                aria-labelledby={`stage-${column.stage.id}`}
                data-stage={column.stage.id}
                onDragOver={(e) => {
                  if (dragging) e.preventDefault();
                }}
                onDrop={(e) => {
                  e.preventDefault();
                  const id = e.dataTransfer?.getData("text/plain") || dragging;
                  const deal = data.stages.flatMap((c) => c.deals).find((d) => d.id === id);
                  setDragging(null);
                  if (deal) void move(deal, column.stage.id);
                }}
              >
                <header>
                  <h2 id={`stage-${column.stage.id}`}>{column.stage.name}</h2>
                  <p class="stage-figures">
                    <span class="count">{t("board.deals", { n: column.count })}</span>
                    {column.totals.map((total) => (
                      <span key={total.currency} class="total" data-currency={total.currency}>
                        <span class="amount">{money(total.amount, total.currency)}</span>{" "}
                        <span class="weighted">
                          {t("board.weighted", { amount: money(total.weightedAmount, total.currency) })}
                        </span>
                      </span>
                    ))}
                  </p>
                </header>
                <ul>
                  {column.deals.map((deal) => (
                    <li
                      key={deal.id}
                      class={`card${moving?.deal.id === deal.id ? " lifted" : ""}`}
                      draggable={writable}
                      data-deal={deal.id}
                      onDragStart={(e) => {
                        e.dataTransfer?.setData("text/plain", deal.id);
                        setDragging(deal.id);
                      }}
                      onDragEnd={() => setDragging(null)}
                    >
                      <a href={`/deals/${deal.id}`}>{deal.name}</a>
                      <span class="money">{money(deal.amount, deal.currency)}</span>
                      <span class="muted">
                        {people?.userName(deal.ownerId)}
                        {deal.expectedCloseDate ? ` · ${calendarDate(deal.expectedCloseDate)}` : ""}
                      </span>
                      {writable && (
                        <button
                          type="button"
                          class="link move"
                          aria-pressed={moving?.deal.id === deal.id}
                          onKeyDown={onMoveKey}
                          aria-label={t("board.moveDeal", { deal: deal.name })}
                          onClick={() => {
                            // Enter or Space on the lifted card's button drops it where the arrows took it.
                            if (moving?.deal.id === deal.id) {
                              const stage = data.stages[moving.target]?.stage;
                              setMoving(null);
                              if (stage) void move(deal, stage.id);
                              return;
                            }
                            setMoving({ deal, target: index });
                            setAnnouncement(
                              t("board.pickedUp", { deal: deal.name, stage: column.stage.name }),
                            );
                          }}
                        >
                          {t("board.move")}
                        </button>
                      )}
                    </li>
                  ))}
                </ul>
                {column.nextCursor && (
                  <button type="button" onClick={() => loadMore(column)}>
                    {t("list.loadMore")}
                  </button>
                )}
              </section>
            ))}
          </div>
        </>
      )}
      <Dialog title={t("deal.new")} open={creating} onClose={() => setCreating(false)}>
        <DealForm
          pipelineId={pipelineId}
          onCancel={() => setCreating(false)}
          onSaved={(deal) => {
            setCreating(false);
            toast(t("deal.created", { name: deal.name }));
            void board.reload();
          }}
        />
      </Dialog>
      <LostReason
        ask={lostAsk}
        onClose={() => setLostAsk(null)}
        onReason={(reason) => {
          if (lostAsk) void move(lostAsk.deal, lostAsk.stageId, reason);
          setLostAsk(null);
        }}
      />
    </section>
  );
}

function BoardSummary({ board }: { board: Board }) {
  const totals = sumTotals(board.stages.filter((column) => column.stage.outcome === null));
  const count = board.stages.filter((c) => c.stage.outcome === null).reduce((sum, c) => sum + c.count, 0);
  return (
    <dl class="board-summary" aria-label={t("board.summary")}>
      <div>
        <dt>{t("board.openDeals")}</dt>
        <dd>{t("board.deals", { n: count })}</dd>
      </div>
      {totals.map((total) => (
        <div key={total.currency}>
          <dt>{t("board.openValue", { currency: total.currency })}</dt>
          <dd>
            {money(total.amount, total.currency)}{" "}
            <span class="muted">
              {t("board.weighted", { amount: money(total.weightedAmount, total.currency) })}
            </span>
          </dd>
        </div>
      ))}
    </dl>
  );
}

function LostReason(props: {
  ask: { deal: Deal } | null;
  onClose: () => void;
  onReason: (reason: string) => void;
}) {
  const [reason, setReason] = useState("");
  return (
    <Dialog title={t("board.lostTitle")} open={Boolean(props.ask)} onClose={props.onClose}>
      <form
        class="stack"
        onSubmit={(e) => {
          e.preventDefault();
          if (reason.trim()) props.onReason(reason.trim());
        }}
      >
        <label for="lost-reason">{t("board.lostReason", { deal: props.ask?.deal.name ?? "" })}</label>
        <input id="lost-reason" required value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
        <div class="actions">
          <button type="submit" class="primary">
            {t("board.markLost")}
          </button>
          <button type="button" onClick={props.onClose}>
            {t("common.cancel")}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
