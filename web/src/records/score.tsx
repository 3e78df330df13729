// A contact's score: grade, fit and engagement, and on request the rules that gave them.
import { useState } from "preact/hooks";
import { api, ok, type Schemas } from "../api/client.ts";
import { dateTime, number, t } from "../i18n/index.ts";
import { describe } from "../ui/problem.ts";

type Explanation = NonNullable<Schemas["ScoreExplanation"]>;

export function ScoreCard(props: {
  contactId: string;
  grade: string | null;
  fit: number | null;
  engagement: number | null;
}) {
  const [explanation, setExplanation] = useState<Explanation | null | undefined>(undefined);
  const [error, setError] = useState("");

  const explain = async (e: Event) => {
    if (!(e.currentTarget as HTMLDetailsElement).open || explanation !== undefined) return;
    try {
      const score = await ok(
        api.GET("/api/v1/scoring/contacts/{id}", { params: { path: { id: props.contactId } } }),
      );
      setExplanation(score.explanation);
    } catch (failure) {
      setError(describe(failure));
    }
  };

  return (
    <section class="card" aria-labelledby="score-title">
      <h2 id="score-title">{t("score.title")}</h2>
      <dl class="figures">
        <div>
          <dt>{t("score.grade")}</dt>
          <dd class="grade">{props.grade ?? "–"}</dd>
        </div>
        <div>
          <dt>{t("score.fit")}</dt>
          <dd>{props.fit === null ? "–" : number(props.fit)}</dd>
        </div>
        <div>
          <dt>{t("score.engagement")}</dt>
          <dd>{props.engagement === null ? "–" : number(props.engagement)}</dd>
        </div>
      </dl>
      <details onToggle={explain}>
        <summary>{t("score.why")}</summary>
        {error && <p role="alert">{error}</p>}
        {explanation === null && <p>{t("score.notScored")}</p>}
        {explanation && (
          <>
            {(["fit", "engagement"] as const).map((part) => (
              <table key={part} class="compact">
                <caption>
                  {t(part === "fit" ? "score.fit" : "score.engagement")}: {number(explanation[part].score)}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">{t("score.rule")}</th>
                    <th scope="col">{t("score.points")}</th>
                  </tr>
                </thead>
                <tbody>
                  {explanation[part].rules.map((rule) => (
                    <tr key={rule.id}>
                      <th scope="row">
                        {rule.label}
                        {rule.events ? ` (${t("score.events", { n: rule.events })})` : ""}
                      </th>
                      <td>{number(rule.points)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ))}
            <p class="muted">{t("score.asOf", { when: dateTime(explanation.asOf) })}</p>
          </>
        )}
      </details>
    </section>
  );
}
