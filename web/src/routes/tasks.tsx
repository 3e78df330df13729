// The rep's tasks: today, overdue, upcoming (in their own time zone, as the API counts them) and all; each
// completes or snoozes in place. Managers can look at someone else's.
import { useEffect, useState } from "preact/hooks";
import { api, ok } from "../api/client.ts";
import { useDirectory } from "../data/directory.ts";
import { t } from "../i18n/index.ts";
import { type Task, TaskForm, TaskItems } from "../records/tasks.tsx";
import { can, useSession } from "../session.ts";
import { Dialog, ErrorNote, Loading, PageTitle, Tabs } from "../ui/controls.tsx";
import { useStored } from "../ui/hooks.ts";

type TaskView = "today" | "overdue" | "upcoming" | "all";

export default function TasksPage() {
  const { me } = useSession();
  const people = useDirectory();
  const [view, setView] = useStored<TaskView>("crm.tasks.view", "today");
  const [assignee, setAssignee] = useState(me.id);
  const [status, setStatus] = useState<"open" | "done" | "">("open");
  const [tasks, setTasks] = useState<Task[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [creating, setCreating] = useState(false);
  const [version, setVersion] = useState(0);

  const load = async (after?: string) => {
    try {
      const page = await ok(
        api.GET("/api/v1/tasks", {
          params: {
            query: {
              view,
              assigneeId: assignee,
              limit: 50,
              cursor: after,
              ...(view === "all" && status ? { status } : {}),
            },
          },
        }),
      );
      setTasks((current) => (after ? [...(current ?? []), ...page.items] : page.items));
      setCursor(page.nextCursor);
      setError(null);
    } catch (failure) {
      setError(failure);
    }
  };
  useEffect(() => {
    setTasks(null);
    void load();
  }, [view, assignee, status, version]);

  const onChanged = (task: Task) => {
    // A completed or snoozed task leaves views it no longer belongs to on the next read; show it at once.
    setTasks((list) => list?.map((item) => (item.id === task.id ? task : item)) ?? null);
    setTimeout(() => setVersion((n) => n + 1), 600);
  };

  return (
    <section>
      <PageTitle
        actions={
          can.write(me) && (
            <button type="button" class="primary" onClick={() => setCreating(true)}>
              {t("task.new")}
            </button>
          )
        }
      >
        {t("nav.tasks")}
      </PageTitle>
      <Tabs
        label={t("task.views")}
        value={view}
        onChange={setView}
        tabs={[
          { value: "today", label: t("task.today") },
          { value: "overdue", label: t("task.overdue") },
          { value: "upcoming", label: t("task.upcoming") },
          { value: "all", label: t("task.all") },
        ]}
      />
      <div class="board-tools" role="tabpanel">
        {can.manage(me) && (
          <label>
            {t("task.assignee")}{" "}
            <select value={assignee} onChange={(e) => setAssignee(e.currentTarget.value)}>
              {(people?.users ?? [{ id: me.id, name: me.name }]).map((user) => (
                <option key={user.id} value={user.id}>
                  {user.name}
                </option>
              ))}
            </select>
          </label>
        )}
        {view === "all" && (
          <label>
            {t("task.status")}{" "}
            <select value={status} onChange={(e) => setStatus(e.currentTarget.value as "open" | "done" | "")}>
              <option value="">{t("list.any")}</option>
              <option value="open">{t("task.open")}</option>
              <option value="done">{t("task.done")}</option>
            </select>
          </label>
        )}
      </div>
      {error ? <ErrorNote error={error} retry={() => load()} /> : null}
      {tasks === null ? (
        <Loading />
      ) : (
        <TaskItems tasks={tasks} canWrite={can.write(me)} onChanged={onChanged} showRecord />
      )}
      {cursor && (
        <button type="button" onClick={() => load(cursor)}>
          {t("list.loadMore")}
        </button>
      )}
      <Dialog title={t("task.new")} open={creating} onClose={() => setCreating(false)}>
        <TaskForm
          onCancel={() => setCreating(false)}
          onSaved={() => {
            setCreating(false);
            setVersion(version + 1);
          }}
        />
      </Dialog>
    </section>
  );
}
