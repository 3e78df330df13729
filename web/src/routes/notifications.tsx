// Every notification of the caller, newest first, unread ones marked; each can be marked read.
import { useState } from "preact/hooks";
import { api, ok, type Schemas } from "../api/client.ts";
import { dateTime, t } from "../i18n/index.ts";
import { Checkbox, ErrorNote, Loading, PageTitle } from "../ui/controls.tsx";
import { useQuery } from "../ui/hooks.ts";
import { describe } from "../ui/problem.ts";
import { toast } from "../ui/toast.tsx";

type Feed = Schemas["NotificationFeed"];

export default function NotificationsPage() {
  const [unreadOnly, setUnreadOnly] = useState(false);
  const feed = useQuery(
    () =>
      ok(
        api.GET("/api/v1/notifications", {
          params: { query: { limit: 50, ...(unreadOnly ? { unread: "true" } : {}) } },
        }),
      ),
    [unreadOnly],
  );
  const more = async (page: Feed) => {
    if (!page.nextCursor) return;
    try {
      const next = await ok(
        api.GET("/api/v1/notifications", { params: { query: { limit: 50, cursor: page.nextCursor } } }),
      );
      feed.setData((current) => (current ? { ...next, items: [...current.items, ...next.items] } : next));
    } catch (error) {
      toast(describe(error), "error");
    }
  };
  const markRead = async (id: string) => {
    try {
      await ok(api.POST("/api/v1/notifications/{id}/read", { params: { path: { id } } }));
      feed.setData((current) =>
        current
          ? {
              ...current,
              items: current.items.map((item) => (item.id === id ? { ...item, readAt: Date.now() } : item)),
            }
          : current,
      );
    } catch (error) {
      toast(describe(error), "error");
    }
  };
  return (
    <section>
      <PageTitle>{t("notifications.title")}</PageTitle>
      <Checkbox label={t("notifications.unreadOnly")} checked={unreadOnly} onChange={setUnreadOnly} />
      {feed.error ? <ErrorNote error={feed.error} retry={feed.reload} /> : null}
      {!feed.data ? (
        <Loading />
      ) : feed.data.items.length === 0 ? (
        <p class="empty">{t("notifications.none")}</p>
      ) : (
        <ul class="notification-list">
          {feed.data.items.map((item) => (
            <li key={item.id} class={item.readAt ? "read" : "unread"}>
              <p>
                <strong>{item.title}</strong>{" "}
                {!item.readAt && <span class="badge">{t("notifications.new")}</span>}
              </p>
              <p>{item.body}</p>
              <p class="muted">
                {dateTime(item.createdAt)}
                {item.link && (
                  <>
                    {" · "}
                    <a href={item.link.startsWith("/") ? item.link : new URL(item.link).pathname}>
                      {t("notifications.open")}
                    </a>
                  </>
                )}
                {item.contactId && !item.link && (
                  <>
                    {" · "}
                    <a href={`/contacts/${item.contactId}`}>{t("task.openContact")}</a>
                  </>
                )}
              </p>
              {!item.readAt && (
                <button type="button" class="link" onClick={() => markRead(item.id)}>
                  {t("notifications.markRead")}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {feed.data?.nextCursor && (
        <button type="button" onClick={() => feed.data && more(feed.data)}>
          {t("list.loadMore")}
        </button>
      )}
    </section>
  );
}
