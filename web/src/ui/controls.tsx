// The app's building blocks: labelled fields that show their error beside them, dialogs that hold and
// return focus, page headings that take the focus on navigation, and the loading and error states.
import type { ComponentChildren, InputHTMLAttributes, JSX, LooseInputHTMLAttributes } from "preact";
import { useEffect, useId, useRef } from "preact/hooks";
import { t } from "../i18n/index.ts";
import { describe } from "./problem.ts";
import { toast } from "./toast.tsx";

interface FieldProps {
  label: string;
  error?: string | undefined;
  hint?: string | undefined;
  children: (props: { id: string; "aria-invalid": boolean; "aria-describedby"?: string }) => JSX.Element;
}

/** A label, a control, an optional hint and its error, tied together for screen readers. */
export function Field({ label, error, hint, children }: FieldProps) {
  const id = useId();
  const described = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ");
  return (
    <div class={`field${error ? " invalid" : ""}`}>
      <label for={id}>{label}</label>
      {children({
        id,
        "aria-invalid": Boolean(error),
        ...(described ? { "aria-describedby": described } : {}),
      })}
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p class="error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

type InputProps = Omit<LooseInputHTMLAttributes<HTMLInputElement>, "label" | "onInput" | "value"> & {
  label: string;
  value: string;
  onValue: (value: string) => void;
  error?: string | undefined;
  hint?: string | undefined;
};

export function TextField({ label, value, onValue, error, hint, ...rest }: InputProps) {
  return (
    <Field label={label} error={error} hint={hint}>
      {(a11y) => {
        // Loose on purpose: the type attribute comes from the caller, which Preact's strict input types cannot follow.
        const attributes = { ...rest, ...a11y, value } as InputHTMLAttributes<HTMLInputElement>;
        return <input {...attributes} onInput={(e) => onValue(e.currentTarget.value)} />;
      }}
    </Field>
  );
}

export function TextArea(props: {
  label: string;
  value: string;
  onValue: (value: string) => void;
  error?: string | undefined;
  rows?: number;
  required?: boolean;
  class?: string;
}) {
  return (
    <Field label={props.label} error={props.error}>
      {(a11y) => (
        <textarea
          {...a11y}
          class={props.class}
          rows={props.rows ?? 3}
          required={props.required}
          value={props.value}
          onInput={(e) => props.onValue(e.currentTarget.value)}
        />
      )}
    </Field>
  );
}

export function SelectField<V extends string>(props: {
  label: string;
  value: V;
  options: { value: V; label: string }[];
  onValue: (value: V) => void;
  error?: string | undefined;
  hint?: string | undefined;
}) {
  return (
    <Field label={props.label} error={props.error} hint={props.hint}>
      {(a11y) => (
        <select {...a11y} value={props.value} onChange={(e) => props.onValue(e.currentTarget.value as V)}>
          {props.options.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

export function Checkbox(props: { label: string; checked: boolean; onChange: (checked: boolean) => void }) {
  return (
    <label class="check">
      <input
        type="checkbox"
        checked={props.checked}
        onChange={(e) => props.onChange(e.currentTarget.checked)}
      />
      {props.label}
    </label>
  );
}

/** The page's heading: it takes the focus when the page opens, so a screen reader says where you are. */
export function PageTitle({
  children,
  actions,
}: {
  children: ComponentChildren;
  actions?: ComponentChildren;
}) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    // The tab's title says where you are too (history, tab strips, screen readers' window lists).
    document.title = `${ref.current?.textContent ?? ""} · Edge CRM`;
  });
  useEffect(() => {
    // Not on the first paint of the app (the skip link and the browser keep that focus).
    if (document.activeElement === document.body || document.activeElement?.closest("nav, .search")) {
      ref.current?.focus({ preventScroll: true });
    }
  }, []);
  return (
    <header class="page-head">
      <h1 tabIndex={-1} ref={ref}>
        {children}
      </h1>
      {actions && <div class="actions">{actions}</div>}
    </header>
  );
}

export function Loading({ label }: { label?: string }) {
  return (
    <p class="loading" role="status">
      {label ?? t("common.loading")}
    </p>
  );
}

export function ErrorNote({ error, retry }: { error: unknown; retry?: () => void }) {
  return (
    <div class="error-note" role="alert">
      <p>{describe(error)}</p>
      {retry && (
        <button type="button" onClick={retry}>
          {t("common.retry")}
        </button>
      )}
    </div>
  );
}

/** A modal dialog (the native element: focus trap, Escape to close), focus back where it was on close. */
export function Dialog(props: {
  title: string;
  open: boolean;
  onClose: () => void;
  children: ComponentChildren;
  wide?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (props.open && !dialog.open) {
      const before = document.activeElement as HTMLElement | null;
      dialog.showModal();
      return () => {
        if (dialog.open) dialog.close();
        before?.focus?.();
      };
    }
  }, [props.open]);
  if (!props.open) return null;
  return (
    <dialog
      ref={ref}
      class={props.wide ? "wide" : undefined}
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        props.onClose();
      }}
    >
      <header>
        <h2 id={titleId}>{props.title}</h2>
        <button type="button" class="icon" aria-label={t("common.close")} onClick={props.onClose}>
          ×
        </button>
      </header>
      {props.children}
    </dialog>
  );
}

/** The same screen's tabs: real tab semantics, arrow keys move between them. */
export function Tabs<V extends string>(props: {
  label: string;
  value: V;
  tabs: { value: V; label: string }[];
  onChange: (value: V) => void;
}) {
  const move = (e: KeyboardEvent, index: number) => {
    const step = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
    if (!step) return;
    e.preventDefault();
    const next = props.tabs[(index + step + props.tabs.length) % props.tabs.length];
    if (!next) return;
    props.onChange(next.value);
    const list = (e.currentTarget as HTMLElement).parentElement;
    requestAnimationFrame(() => list?.querySelector<HTMLElement>('[aria-selected="true"]')?.focus());
  };
  return (
    <div role="tablist" aria-label={props.label} class="tabs">
      {props.tabs.map((tab, index) => (
        <button
          type="button"
          role="tab"
          key={tab.value}
          aria-selected={tab.value === props.value}
          tabIndex={tab.value === props.value ? 0 : -1}
          onClick={() => props.onChange(tab.value)}
          onKeyDown={(e) => move(e, index)}
        >
          {tab.label}
        </button>
      ))}
    </div>
  );
}

/** Copies text; says so, or says to copy by hand where the clipboard is not allowed. */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * A secret the API shows once (an API key, a webhook signing secret): the secret, a button to copy it, and one
 * to put it away once it is saved elsewhere.
 */
export function SecretOnce(props: { secret: string; message: string; onDone: () => void }) {
  return (
    <section class="card" aria-label={t("keys.secretTitle")}>
      <p>
        <strong>{props.message}</strong>
      </p>
      <pre class="snippet">
        <code>{props.secret}</code>
      </pre>
      <p class="actions">
        <button
          type="button"
          onClick={async () =>
            toast((await copyText(props.secret)) ? t("common.copied") : t("common.copyFailed"))
          }
        >
          {t("common.copy")}
        </button>
        <button type="button" onClick={props.onDone}>
          {t("twoFactor.savedThem")}
        </button>
      </p>
    </section>
  );
}
