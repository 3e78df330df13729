// What can be done to the selected rows of a list at once: assign an owner, add a tag, delete.
import { useState } from "preact/hooks";
import { useDirectory } from "../data/directory.ts";
import { t } from "../i18n/index.ts";
import { toast } from "../ui/toast.tsx";
import { runBulk } from "./bulk.ts";

export interface BulkActions<T> {
  assign?: (row: T, userId: string) => Promise<unknown>;
  tag?: (row: T, tag: string) => Promise<unknown>;
  remove?: (row: T) => Promise<unknown>;
  complete?: (row: T) => Promise<unknown>;
}

export function BulkBar<T extends { id: string }>(props: {
  rows: T[];
  actions: BulkActions<T>;
  onDone: () => void;
}) {
  const { rows, actions } = props;
  const people = useDirectory();
  const [owner, setOwner] = useState("");
  const [tag, setTag] = useState("");
  const [busy, setBusy] = useState(false);

  const run = async (
    action: (row: T) => Promise<unknown>,
    doneKey: "bulk.assigned" | "bulk.tagged" | "bulk.deleted" | "bulk.completed",
  ) => {
    setBusy(true);
    const result = await runBulk(rows, action);
    setBusy(false);
    if (result.done) toast(t(doneKey, { n: result.done }));
    if (result.failed.length) {
      toast(t("bulk.failed", { n: result.failed.length, reason: result.failed[0]?.reason ?? "" }), "error");
    }
    props.onDone();
  };

  return (
    <section class="bulk-bar" aria-label={t("bulk.title")}>
      <p>
        <strong>{t("bulk.selected", { n: rows.length })}</strong>
      </p>
      {actions.assign && (
        <form
          class="inline"
          onSubmit={(e) => {
            e.preventDefault();
            const assign = actions.assign;
            if (owner && assign) void run((row) => assign(row, owner), "bulk.assigned");
          }}
        >
          <label for="bulk-owner">{t("bulk.assignTo")}</label>
          <select id="bulk-owner" value={owner} onChange={(e) => setOwner(e.currentTarget.value)}>
            <option value="">{t("common.choose")}</option>
            {people?.users
              .filter((user) => user.active)
              .map((user) => (
                <option key={user.id} value={user.id}>
                  {user.name}
                </option>
              ))}
          </select>
          <button type="submit" disabled={busy || !owner}>
            {t("bulk.assign")}
          </button>
        </form>
      )}
      {actions.tag && (
        <form
          class="inline"
          onSubmit={(e) => {
            e.preventDefault();
            const addTag = actions.tag;
            const value = tag.trim();
            if (value && addTag) void run((row) => addTag(row, value), "bulk.tagged");
          }}
        >
          <label for="bulk-tag">{t("bulk.addTag")}</label>
          <input id="bulk-tag" value={tag} onInput={(e) => setTag(e.currentTarget.value)} />
          <button type="submit" disabled={busy || !tag.trim()}>
            {t("bulk.tag")}
          </button>
        </form>
      )}
      {actions.complete && (
        <button
          type="button"
          disabled={busy}
          onClick={() => actions.complete && run(actions.complete, "bulk.completed")}
        >
          {t("bulk.complete")}
        </button>
      )}
      {actions.remove && (
        <button
          type="button"
          class="danger"
          disabled={busy}
          onClick={() => {
            const remove = actions.remove;
            if (remove && confirm(t("bulk.confirmDelete", { n: rows.length })))
              void run(remove, "bulk.deleted");
          }}
        >
          {t("bulk.delete")}
        </button>
      )}
    </section>
  );
}
