// Scoring, assignment and speed-to-lead rules: each a JSON rule set, replaced whole (with If-Match where the
// API takes it, so two admins do not overwrite each other). Managers read them; admins change them.
import { useState } from "preact/hooks";
import { api, ifMatch, ok, type Schemas } from "../../api/client.ts";
import { number, percent, t } from "../../i18n/index.ts";
import { can, useSession } from "../../session.ts";
import { ErrorNote, Loading, Tabs } from "../../ui/controls.tsx";
import { useQuery } from "../../ui/hooks.ts";
import { JsonEditor } from "./json-editor.tsx";

type Which = "scoring" | "assignment" | "sla";

export default function Rules() {
  const [which, setWhich] = useState<Which>("scoring");
  return (
    <section>
      <Tabs
        label={t("settings.rules")}
        value={which}
        onChange={setWhich}
        tabs={[
          { value: "scoring", label: t("rules.scoring") },
          { value: "assignment", label: t("rules.assignment") },
          { value: "sla", label: t("rules.sla") },
        ]}
      />
      <div role="tabpanel">
        {which === "scoring" ? <Scoring /> : which === "assignment" ? <Assignment /> : <Sla />}
      </div>
    </section>
  );
}

function Scoring() {
  const { me } = useSession();
  const rules = useQuery(() => ok(api.GET("/api/v1/scoring/rules")), []);
  if (rules.error) return <ErrorNote error={rules.error} retry={rules.reload} />;
  if (!rules.data) return <Loading />;
  return (
    <JsonEditor
      label={t("rules.scoringLabel", { version: rules.data.version })}
      hint={t("rules.scoringHint")}
      value={rules.data.rules}
      readOnly={!can.admin(me)}
      onSave={async (parsed) => {
        await ok(api.PUT("/api/v1/scoring/rules", { body: parsed as never }));
        await rules.reload();
      }}
    />
  );
}

function Assignment() {
  const { me } = useSession();
  const rules = useQuery(() => ok(api.GET("/api/v1/assignment/rules")), []);
  if (rules.error) return <ErrorNote error={rules.error} retry={rules.reload} />;
  if (!rules.data) return <Loading />;
  const version = rules.data.version;
  return (
    <JsonEditor
      label={t("rules.assignmentLabel", { version })}
      hint={t("rules.assignmentHint")}
      value={rules.data.rules}
      readOnly={!can.admin(me)}
      onSave={async (parsed) => {
        await ok(
          api.PUT("/api/v1/assignment/rules", {
            params: { header: ifMatch(version) },
            body: parsed as never,
          }),
        );
        await rules.reload();
      }}
    />
  );
}

function Sla() {
  const { me } = useSession();
  const rules = useQuery(() => ok(api.GET("/api/v1/sla/rules")), []);
  const reps = useQuery(() => ok(api.GET("/api/v1/sla/reps")), []);
  if (rules.error) return <ErrorNote error={rules.error} retry={rules.reload} />;
  if (!rules.data) return <Loading />;
  const version = rules.data.version;
  return (
    <>
      <JsonEditor
        label={t("rules.slaLabel", { version })}
        hint={t("rules.slaHint")}
        value={rules.data.rules}
        readOnly={!can.admin(me)}
        onSave={async (parsed) => {
          await ok(
            api.PUT("/api/v1/sla/rules", { params: { header: ifMatch(version) }, body: parsed as never }),
          );
          await rules.reload();
        }}
      />
      {reps.data && <SlaReps reps={reps.data.reps} />}
    </>
  );
}

/** Each rep's speed to lead: responses, share within the SLA, median and mean time to first response. */
export function SlaReps({ reps }: { reps: Schemas["SlaRepFigures"]["reps"] }) {
  const minutes = (ms: number | null) =>
    ms === null ? "–" : t("timeline.minutes", { n: number(Math.round(ms / 60_000)) });
  return (
    <div class="table-wrap">
      <table class="compact">
        <caption>{t("rules.slaReps")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("common.name")}</th>
            <th scope="col">{t("rules.responses")}</th>
            <th scope="col">{t("rules.withinSla")}</th>
            <th scope="col">{t("rules.breaches")}</th>
            <th scope="col">{t("rules.median")}</th>
          </tr>
        </thead>
        <tbody>
          {reps.map((rep) => (
            <tr key={rep.userId}>
              <th scope="row">{rep.name}</th>
              <td>{number(rep.responses)}</td>
              <td>{rep.shareWithinSla === null ? "–" : percent(rep.shareWithinSla)}</td>
              <td>{number(rep.breaches)}</td>
              <td>{minutes(rep.medianResponseMs)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
