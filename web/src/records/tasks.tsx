// Tasks as a list with their actions (complete, snooze), and the form for a new one; used on the tasks
// screen and on each record's page.
import { useState } from "preact/hooks";
import { api, idempotency, ifMatch, ok, type Schemas } from "../api/client.ts";
import { useDirectory } from "../data/directory.ts";
import { dateTime, relative, t, tx } from "../i18n/index.ts";
import { useSession } from "../session.ts";
import { SelectField, TextField } from "../ui/controls.tsx";
import { describe, fieldErrors } from "../ui/problem.ts";
import { toast } from "../ui/toast.tsx";

export type Task = Schemas["Task"];

const HOUR = 3_600_000;
/** Snooze choices: later today, tomorrow at the same time, next week. */
const SNOOZES = [
  { key: "task.snoozeHour", ms: HOUR },
  { key: "task.snoozeDay", ms: 24 * HOUR },
  { key: "task.snoozeWeek", ms: 7 * 24 * HOUR },
] as const;

export async function completeTask(task: Task): Promise<Task> {
  return ok(
    api.PATCH("/api/v1/tasks/{id}", {
      params: { path: { id: task.id }, header: ifMatch(task.version) as never },
      body: { status: "done" },
    }),
  );
}

export function TaskItems(props: {
  tasks: Task[];
  onChanged: (task: Task) => void;
  canWrite: boolean;
  showRecord?: boolean;
}) {
  const people = useDirectory();
  const [busy, setBusy] = useState<string | null>(null);
  const now = Date.now();

  const act = async (task: Task, change: () => Promise<Task>, done: string) => {
    setBusy(task.id);
    try {
      const updated = await change();
      toast(done);
      props.onChanged(updated);
    } catch (error) {
      toast(describe(error), "error");
    } finally {
      setBusy(null);
    }
  };

  const snooze = (task: Task, ms: number) => {
    const from = Math.max(task.dueAt ?? now, now);
    return ok(
      api.PATCH("/api/v1/tasks/{id}", {
        params: { path: { id: task.id }, header: ifMatch(task.version) as never },
        body: { dueAt: from + ms },
      }),
    );
  };

  if (props.tasks.length === 0) return <p class="empty">{t("task.none")}</p>;
  return (
    <ul class="tasks">
      {props.tasks.map((task) => {
        const overdue = task.status === "open" && task.dueAt !== null && task.dueAt < now;
        return (
          <li
            key={task.id}
            class={`task${task.status === "done" ? " done" : ""}${overdue ? " overdue" : ""}`}
          >
            <div>
              <strong>{task.title}</strong>
              {task.priority === "high" && <span class="badge high">{tx("priority", task.priority)}</span>}
              <p class="muted">
                {task.dueAt ? (
                  <time dateTime={new Date(task.dueAt).toISOString()} title={dateTime(task.dueAt)}>
                    {overdue
                      ? t("task.overdueSince", { when: relative(task.dueAt) })
                      : t("task.due", { when: dateTime(task.dueAt) })}
                  </time>
                ) : (
                  t("task.noDue")
                )}
                {task.assigneeId ? ` · ${people?.userName(task.assigneeId) ?? ""}` : ""}
                {props.showRecord && task.contactId && (
                  <>
                    {" · "}
                    <a href={`/contacts/${task.contactId}`}>{t("task.openContact")}</a>
                  </>
                )}
                {props.showRecord && task.dealId && (
                  <>
                    {" · "}
                    <a href={`/deals/${task.dealId}`}>{t("task.openDeal")}</a>
                  </>
                )}
              </p>
              {task.notes && <p>{task.notes}</p>}
            </div>
            {props.canWrite && task.status === "open" && (
              <div class="task-actions">
                <button
                  type="button"
                  disabled={busy === task.id}
                  aria-label={t("task.completeNamed", { title: task.title })}
                  onClick={() =>
                    act(task, () => completeTask(task), t("task.completed", { title: task.title }))
                  }
                >
                  {t("task.complete")}
                </button>
                <label class="sr-only" for={`snooze-${task.id}`}>
                  {t("task.snoozeNamed", { title: task.title })}
                </label>
                <select
                  id={`snooze-${task.id}`}
                  value=""
                  disabled={busy === task.id}
                  onChange={(e) => {
                    const choice = SNOOZES[Number(e.currentTarget.value)];
                    e.currentTarget.value = "";
                    if (choice)
                      void act(task, () => snooze(task, choice.ms), t("task.snoozed", { title: task.title }));
                  }}
                >
                  <option value="">{t("task.snooze")}</option>
                  {SNOOZES.map((choice, index) => (
                    <option key={choice.key} value={String(index)}>
                      {t(choice.key)}
                    </option>
                  ))}
                </select>
              </div>
            )}
          </li>
        );
      })}
    </ul>
  );
}

export function TaskForm(props: {
  record?: { contactId?: string; companyId?: string; dealId?: string };
  onSaved: (task: Task) => void;
  onCancel: () => void;
}) {
  const { me } = useSession();
  const people = useDirectory();
  const [title, setTitle] = useState("");
  const [due, setDue] = useState("");
  const [priority, setPriority] = useState<Task["priority"]>("normal");
  const [assignee, setAssignee] = useState(me.id);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState("");

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!title.trim()) return setErrors({ title: t("common.required") });
    try {
      const task = await ok(
        api.POST("/api/v1/tasks", {
          params: { header: idempotency() },
          body: {
            title: title.trim(),
            priority,
            assigneeId: assignee,
            ...(due ? { dueAt: new Date(due).getTime() } : {}),
            ...props.record,
          },
        }),
      );
      toast(t("task.created", { title: task.title }));
      props.onSaved(task);
    } catch (failure) {
      setErrors(fieldErrors(failure));
      setProblem(describe(failure));
    }
  };

  return (
    <form class="stack" onSubmit={submit} noValidate>
      <TextField label={t("task.title")} required value={title} onValue={setTitle} error={errors.title} />
      <TextField
        label={t("task.dueAt")}
        type="datetime-local"
        value={due}
        onValue={setDue}
        error={errors.dueAt}
      />
      <SelectField
        label={t("task.priority")}
        value={priority}
        options={(["low", "normal", "high"] as const).map((value) => ({
          value,
          label: tx("priority", value),
        }))}
        onValue={setPriority}
      />
      <SelectField
        label={t("task.assignee")}
        value={assignee}
        options={(people?.users ?? [{ id: me.id, name: me.name, active: true }])
          .filter((user) => user.active)
          .map((user) => ({ value: user.id, label: user.name }))}
        onValue={setAssignee}
      />
      {problem && (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
      <div class="actions">
        <button type="submit" class="primary">
          {t("task.create")}
        </button>
        <button type="button" onClick={props.onCancel}>
          {t("common.cancel")}
        </button>
      </div>
    </form>
  );
}
