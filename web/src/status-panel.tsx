// The system's status from GET /health: whether the Worker, its database and its scheduler are up.
import { useEffect, useState } from "preact/hooks";
import { dateTime, t } from "./i18n/index.ts";

interface Health {
  status: "ok" | "unavailable";
  db: string;
  version: string;
  cron?: { lastRunAt: number | null };
}

type Row = [label: string, value: string, ok?: boolean];

export function StatusPanel() {
  const [rows, setRows] = useState<Row[] | null>(null);
  useEffect(() => {
    const refresh = async () => {
      try {
        const response = await fetch("/health", { headers: { Accept: "application/json" } });
        const health = (await response.json()) as Health;
        const lastRun = health.cron?.lastRunAt;
        setRows([
          [t("status.worker"), t("status.up", { version: health.version }), true],
          [t("status.database"), health.db, health.db === "ok"],
          [
            t("status.scheduler"),
            lastRun ? t("status.lastRan", { at: dateTime(lastRun) }) : t("status.notRun"),
            Boolean(lastRun),
          ],
        ]);
      } catch {
        setRows([[t("status.worker"), t("status.unreachable"), false]]);
      }
    };
    void refresh();
    const timer = setInterval(refresh, 15_000);
    return () => clearInterval(timer);
  }, []);
  return (
    <section class="status" aria-labelledby="status-heading">
      <h2 id="status-heading">{t("status.title")}</h2>
      <dl id="status" aria-live="polite" aria-busy={rows ? "false" : "true"}>
        {rows ? (
          rows.flatMap(([label, value, good]) => [
            <dt key={`${label}-t`}>{label}</dt>,
            <dd key={`${label}-d`} class={good === undefined ? undefined : good ? "ok" : "bad"}>
              {value}
            </dd>,
          ])
        ) : (
          <dt>{t("status.checking")}</dt>
        )}
      </dl>
    </section>
  );
}
