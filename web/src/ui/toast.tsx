// Short messages after an action ("Contact created", "The move was refused: …"), read out by screen readers:
// successes politely, failures at once.
import { useEffect, useState } from "preact/hooks";
import { t } from "../i18n/index.ts";

interface Toast {
  id: number;
  text: string;
  kind: "ok" | "error";
}

let toasts: Toast[] = [];
let next = 1;
const listeners = new Set<(list: Toast[]) => void>();
const emit = () => {
  for (const listener of listeners) listener(toasts);
};

export function toast(text: string, kind: Toast["kind"] = "ok"): void {
  const id = next++;
  toasts = [...toasts, { id, text, kind }].slice(-4);
  emit();
  // Failures stay until dismissed: a person may need time to read why.
  if (kind === "ok") setTimeout(() => dismiss(id), 5000);
}

function dismiss(id: number): void {
  toasts = toasts.filter((item) => item.id !== id);
  emit();
}

export function Toasts() {
  const [list, setList] = useState(toasts);
  useEffect(() => {
    listeners.add(setList);
    return () => {
      listeners.delete(setList);
    };
  }, []);
  return (
    <div class="toasts">
      <div role="status" aria-live="polite">
        {list
          .filter((item) => item.kind === "ok")
          .map((item) => (
            <p key={item.id} class="toast ok">
              {item.text}
            </p>
          ))}
      </div>
      <div role="alert">
        {list
          .filter((item) => item.kind === "error")
          .map((item) => (
            <p key={item.id} class="toast error">
              <span>{item.text}</span>
              <button type="button" class="link" onClick={() => dismiss(item.id)}>
                {t("common.dismiss")}
              </button>
            </p>
          ))}
      </div>
    </div>
  );
}
