// The audit log: who did what and when, newest first, filtered by action, paged by cursor.
import { useState } from "preact/hooks";
import { api, ok, type QueryOf, type Schemas } from "../../api/client.ts";
import { useDirectory } from "../../data/directory.ts";
import { dateTime, t } from "../../i18n/index.ts";
import { ErrorNote, Loading } from "../../ui/controls.tsx";
import { useQuery } from "../../ui/hooks.ts";
import { describe } from "../../ui/problem.ts";
import { toast } from "../../ui/toast.tsx";

type Page = Schemas["AuditPage"];
type Action = NonNullable<QueryOf<"/api/v1/audit-log">["action"]>;

export default function Audit() {
  const people = useDirectory();
  const [action, setAction] = useState("");
  const log = useQuery(
    () =>
      ok(
        api.GET("/api/v1/audit-log", {
          params: { query: { limit: 50, ...(action ? { action: action as Action } : {}) } },
        }),
      ),
    [action],
  );
  const more = async (page: Page) => {
    try {
      const next = await ok(
        api.GET("/api/v1/audit-log", {
          params: {
            query: {
              limit: 50,
              cursor: page.nextCursor ?? undefined,
              ...(action ? { action: action as Action } : {}),
            },
          },
        }),
      );
      log.setData((current) => (current ? { ...next, items: [...current.items, ...next.items] } : next));
    } catch (error) {
      toast(describe(error), "error");
    }
  };
  return (
    <section aria-labelledby="audit-title">
      <h2 id="audit-title">{t("settings.audit")}</h2>
      <div class="field inline">
        <label for="audit-action">{t("audit.action")}</label>
        <input
          id="audit-action"
          list="audit-actions"
          value={action}
          onChange={(e) => setAction(e.currentTarget.value.trim())}
        />
        <datalist id="audit-actions">
          {[...new Set(log.data?.items.map((item) => item.action) ?? [])].map((name) => (
            <option key={name} value={name} />
          ))}
        </datalist>
      </div>
      {log.error ? <ErrorNote error={log.error} retry={log.reload} /> : null}
      {!log.data ? (
        <Loading />
      ) : (
        <div class="table-wrap">
          <table>
            <caption class="sr-only">{t("settings.audit")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("common.when")}</th>
                <th scope="col">{t("audit.action")}</th>
                <th scope="col">{t("audit.actor")}</th>
                <th scope="col">{t("audit.target")}</th>
                <th scope="col">{t("audit.from")}</th>
                <th scope="col">{t("common.details")}</th>
              </tr>
            </thead>
            <tbody>
              {log.data.items.map((entry) => (
                <tr key={entry.id}>
                  <th scope="row">{dateTime(entry.at)}</th>
                  <td>
                    <code>{entry.action}</code>
                  </td>
                  <td>
                    {entry.actorUserId
                      ? people?.userName(entry.actorUserId) || entry.actorUserId
                      : entry.actorApiKeyId
                        ? t("audit.apiKey")
                        : "–"}
                  </td>
                  <td>{[entry.targetType, entry.targetId].filter(Boolean).join(" ")}</td>
                  <td>{entry.ip ?? ""}</td>
                  <td>{entry.changes ? <code>{JSON.stringify(entry.changes)}</code> : ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {log.data?.nextCursor && (
        <button type="button" onClick={() => log.data && more(log.data)}>
          {t("list.loadMore")}
        </button>
      )}
    </section>
  );
}
