// Pipelines and their stages: name, probability, forecast category and outcome; add, archive, reorder.
import { useState } from "preact/hooks";
import { api, idempotency, ok, type Schemas } from "../../api/client.ts";
import { forget } from "../../data/directory.ts";
import { FORECAST_CATEGORIES } from "../../data/enums.ts";
import { t, tx } from "../../i18n/index.ts";
import { can, useSession } from "../../session.ts";
import { ErrorNote, Loading } from "../../ui/controls.tsx";
import { useQuery } from "../../ui/hooks.ts";
import { describe } from "../../ui/problem.ts";
import { toast } from "../../ui/toast.tsx";

type Pipeline = Schemas["Pipeline"];
type Stage = Schemas["Stage"];

export default function Pipelines() {
  const { me } = useSession();
  const admin = can.admin(me);
  const list = useQuery(
    () => ok(api.GET("/api/v1/pipelines", { params: { query: { includeArchived: "true" } } })),
    [],
  );
  const [name, setName] = useState("");
  const run = async (work: () => Promise<unknown>) => {
    try {
      await work();
      toast(t("common.saved"));
      forget();
      await list.reload();
    } catch (error) {
      toast(describe(error), "error");
    }
  };
  if (list.error) return <ErrorNote error={list.error} retry={list.reload} />;
  if (!list.data) return <Loading />;
  return (
    <section aria-labelledby="pipelines-title">
      <h2 id="pipelines-title">{t("settings.pipelines")}</h2>
      {list.data.items.map((pipeline) => (
        <PipelineEditor key={pipeline.id} pipeline={pipeline} admin={admin} run={run} />
      ))}
      {admin && (
        <form
          class="inline"
          onSubmit={(e) => {
            e.preventDefault();
            if (!name.trim()) return;
            void run(() =>
              ok(
                api.POST("/api/v1/pipelines", {
                  params: { header: idempotency() } as never,
                  body: {
                    name: name.trim(),
                    stages: [
                      { name: t("pipelines.defaultOpen"), probability: 20, forecastCategory: "pipeline" },
                      {
                        name: t("pipelines.defaultWon"),
                        probability: 100,
                        forecastCategory: "closed_won",
                        outcome: "won",
                      },
                      {
                        name: t("pipelines.defaultLost"),
                        probability: 0,
                        forecastCategory: "omitted",
                        outcome: "lost",
                      },
                    ],
                  },
                }),
              ).then(() => setName("")),
            );
          }}
        >
          <label for="new-pipeline">{t("pipelines.new")}</label>
          <input id="new-pipeline" value={name} onInput={(e) => setName(e.currentTarget.value)} />
          <button type="submit">{t("common.add")}</button>
        </form>
      )}
    </section>
  );
}

function PipelineEditor({
  pipeline,
  admin,
  run,
}: {
  pipeline: Pipeline;
  admin: boolean;
  run: (work: () => Promise<unknown>) => Promise<void>;
}) {
  const [stageName, setStageName] = useState("");
  const patchStage = (stage: Stage, body: Schemas["StagePatch"]) =>
    run(() => ok(api.PATCH("/api/v1/stages/{id}", { params: { path: { id: stage.id } }, body })));
  return (
    <div class="card">
      <h3>
        {pipeline.name} {pipeline.archivedAt && <span class="badge">{t("pipelines.archived")}</span>}
      </h3>
      <div class="table-wrap">
        <table class="compact">
          <caption class="sr-only">{pipeline.name}</caption>
          <thead>
            <tr>
              <th scope="col">{t("deal.stage")}</th>
              <th scope="col">{t("deal.probability")}</th>
              <th scope="col">{t("deal.forecast")}</th>
              <th scope="col">{t("pipelines.outcome")}</th>
              {admin && <th scope="col">{t("pipelines.actions")}</th>}
            </tr>
          </thead>
          <tbody>
            {pipeline.stages.map((stage) => (
              <tr key={stage.id} class={stage.archivedAt ? "muted" : undefined}>
                <th scope="row">
                  {admin ? (
                    <input
                      aria-label={t("pipelines.stageName")}
                      value={stage.name}
                      onChange={(e) => patchStage(stage, { name: e.currentTarget.value })}
                    />
                  ) : (
                    stage.name
                  )}
                </th>
                <td>
                  {admin ? (
                    <input
                      aria-label={t("pipelines.probabilityOf", { stage: stage.name })}
                      type="number"
                      min="0"
                      max="100"
                      value={stage.probability}
                      onChange={(e) => patchStage(stage, { probability: Number(e.currentTarget.value) })}
                    />
                  ) : (
                    `${stage.probability}%`
                  )}
                </td>
                <td>
                  {admin ? (
                    <select
                      aria-label={t("pipelines.forecastOf", { stage: stage.name })}
                      value={stage.forecastCategory}
                      onChange={(e) =>
                        patchStage(stage, {
                          forecastCategory: e.currentTarget.value as Stage["forecastCategory"],
                        })
                      }
                    >
                      {FORECAST_CATEGORIES.map((category) => (
                        <option key={category} value={category}>
                          {tx("forecast", category)}
                        </option>
                      ))}
                    </select>
                  ) : (
                    tx("forecast", stage.forecastCategory)
                  )}
                </td>
                <td>{stage.outcome ? tx("dealStatus", stage.outcome) : t("dealStatus.open")}</td>
                {admin && (
                  <td>
                    <button
                      type="button"
                      class="link"
                      onClick={() => patchStage(stage, { archived: !stage.archivedAt })}
                    >
                      {stage.archivedAt ? t("pipelines.restore") : t("pipelines.archive")}
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {admin && (
        <form
          class="inline"
          onSubmit={(e) => {
            e.preventDefault();
            if (!stageName.trim()) return;
            void run(() =>
              ok(
                api.POST("/api/v1/pipelines/{id}/stages", {
                  params: { path: { id: pipeline.id }, header: idempotency() } as never,
                  body: { name: stageName.trim(), probability: 50, forecastCategory: "pipeline" },
                }),
              ).then(() => setStageName("")),
            );
          }}
        >
          <label for={`stage-${pipeline.id}`}>{t("pipelines.addStage")}</label>
          <input
            id={`stage-${pipeline.id}`}
            value={stageName}
            onInput={(e) => setStageName(e.currentTarget.value)}
          />
          <button type="submit">{t("common.add")}</button>
          <button
            type="button"
            onClick={() =>
              run(() =>
                ok(
                  api.PATCH("/api/v1/pipelines/{id}", {
                    params: { path: { id: pipeline.id } },
                    body: { archived: !pipeline.archivedAt },
                  }),
                ),
              )
            }
          >
            {pipeline.archivedAt ? t("pipelines.restore") : t("pipelines.archive")}
          </button>
        </form>
      )}
    </div>
  );
}
