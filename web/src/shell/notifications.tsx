// The header's notifications: the unread count on the button (checked every minute), and a panel with the
// latest ones, each marked read when opened.

import { useEffect, useRef, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { api, ok, type Schemas } from "../api/client.ts";
import { relative, t } from "../i18n/index.ts";
import { describe } from "../ui/problem.ts";
import { toast } from "../ui/toast.tsx";

type Notification = Schemas["Notification"];

export function NotificationsButton() {
  const { route } = useLocation();
  const [unread, setUnread] = useState(0);
  const [open, setOpen] = useState(false);
  const [items, setItems] = useState<Notification[] | null>(null);
  const panel = useRef<HTMLDivElement>(null);

  const refreshCount = async () => {
    try {
      const answer = await ok(api.GET("/api/v1/notifications/unread-count"));
      setUnread(answer.count);
    } catch {
      // The count is a hint; the next minute tries again.
    }
  };

  useEffect(() => {
    void refreshCount();
    const timer = setInterval(refreshCount, 60_000);
    return () => clearInterval(timer);
  }, []);

  useEffect(() => {
    if (!open) return;
    setItems(null);
    api
      .GET("/api/v1/notifications", { params: { query: { limit: 10 } } })
      .then((answer) => {
        setItems(answer.data?.items ?? []);
        if (answer.data) setUnread(answer.data.unreadCount);
      })
      .catch(() => setItems([]));
    const close = (e: MouseEvent | KeyboardEvent) => {
      if (e instanceof KeyboardEvent ? e.key === "Escape" : !panel.current?.contains(e.target as Node)) {
        setOpen(false);
      }
    };
    document.addEventListener("click", close);
    document.addEventListener("keydown", close);
    return () => {
      document.removeEventListener("click", close);
      document.removeEventListener("keydown", close);
    };
  }, [open]);

  const openOne = async (item: Notification) => {
    setOpen(false);
    if (!item.readAt) {
      await api
        .POST("/api/v1/notifications/{id}/read", { params: { path: { id: item.id } } })
        .catch(() => undefined);
      void refreshCount();
    }
    if (item.link) route(item.link.startsWith("/") ? item.link : new URL(item.link).pathname);
    else if (item.contactId) route(`/contacts/${item.contactId}`);
  };

  const readAll = async () => {
    try {
      await ok(api.POST("/api/v1/notifications/read-all"));
      setUnread(0);
      setItems((list) => list?.map((item) => ({ ...item, readAt: item.readAt ?? Date.now() })) ?? null);
    } catch (error) {
      toast(describe(error), "error");
    }
  };

  return (
    <div class="notifications" ref={panel}>
      <button
        type="button"
        aria-expanded={open}
        aria-controls="notification-panel"
        onClick={(e) => {
          e.stopPropagation();
          setOpen(!open);
        }}
      >
        {t("notifications.title")}
        {unread > 0 && (
          <span class="count">
            <span aria-hidden="true">{unread}</span>
            <span class="sr-only">{t("notifications.unread", { n: unread })}</span>
          </span>
        )}
      </button>
      {open && (
        <section id="notification-panel" class="popover" aria-label={t("notifications.title")}>
          {items === null ? (
            <p role="status">{t("common.loading")}</p>
          ) : items.length === 0 ? (
            <p>{t("notifications.none")}</p>
          ) : (
            <ul>
              {items.map((item) => (
                <li key={item.id} class={item.readAt ? "read" : "unread"}>
                  <button type="button" class="link" onClick={() => openOne(item)}>
                    <strong>{item.title}</strong>
                    {!item.readAt && <span class="sr-only"> ({t("notifications.new")})</span>}
                  </button>
                  <span class="muted">{relative(item.createdAt)}</span>
                  <p>{item.body}</p>
                </li>
              ))}
            </ul>
          )}
          <p class="actions">
            <button type="button" onClick={readAll} disabled={unread === 0}>
              {t("notifications.readAll")}
            </button>
            <a href="/notifications" onClick={() => setOpen(false)}>
              {t("notifications.all")}
            </a>
          </p>
        </section>
      )}
    </div>
  );
}
