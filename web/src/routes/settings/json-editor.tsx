// A JSON editor for rule sets and automation definitions, where a visual editor would be more than they
// need: the text, a check that it is JSON (saying where it is not), and the API's verdict in plain words,
// each problem by its path.
import { useEffect, useState } from "preact/hooks";
import { ApiProblem } from "../../api/client.ts";
import { t } from "../../i18n/index.ts";
import { describe } from "../../ui/problem.ts";
import { toast } from "../../ui/toast.tsx";

/** Where JSON.parse stopped, as line and column, from the position engines put in their messages. */
function jsonProblem(text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const position = Number(/position (\d+)/.exec(message)?.[1]);
  if (Number.isFinite(position)) {
    const before = text.slice(0, position).split("\n");
    return t("json.invalidAt", { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 });
  }
  return t("json.invalid");
}

export function JsonEditor(props: {
  label: string;
  value: unknown;
  readOnly?: boolean;
  onSave: (parsed: unknown) => Promise<void>;
  hint?: string;
}) {
  const [text, setText] = useState(() => JSON.stringify(props.value, null, 2));
  const [problems, setProblems] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  useEffect(() => setText(JSON.stringify(props.value, null, 2)), [props.value]);

  const save = async (e: Event) => {
    e.preventDefault();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      setProblems([jsonProblem(text, error)]);
      return;
    }
    setBusy(true);
    try {
      await props.onSave(parsed);
      setProblems([]);
      toast(t("common.saved"));
    } catch (error) {
      const listed =
        error instanceof ApiProblem
          ? (error.problem.errors ?? []).map((item) =>
              item.path ? t("json.at", { path: item.path, message: item.message }) : item.message,
            )
          : [];
      setProblems([describe(error), ...listed]);
    } finally {
      setBusy(false);
    }
  };

  const id = `json-${props.label.replace(/\W+/g, "-")}`;
  return (
    <form class="stack" onSubmit={save}>
      <label for={id}>{props.label}</label>
      {props.hint && <p class="hint">{props.hint}</p>}
      <textarea
        id={id}
        class="json-editor"
        spellcheck={false}
        readOnly={props.readOnly}
        aria-invalid={problems.length > 0}
        aria-describedby={problems.length ? `${id}-problems` : undefined}
        value={text}
        onInput={(e) => setText(e.currentTarget.value)}
        rows={18}
      />
      {problems.length > 0 && (
        <ul class="error" id={`${id}-problems`} role="alert">
          {problems.map((problem) => (
            <li key={problem}>{problem}</li>
          ))}
        </ul>
      )}
      {!props.readOnly && (
        <button type="submit" class="primary" disabled={busy}>
          {t("common.save")}
        </button>
      )}
    </form>
  );
}
