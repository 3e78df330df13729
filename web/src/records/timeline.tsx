// A record's timeline: newest first, filtered by type, paged by cursor; and the composer that logs a note,
// a call or a meeting on it.
import { useEffect, useState } from "preact/hooks";
import { api, idempotency, ok, type Schemas } from "../api/client.ts";
import { useDirectory } from "../data/directory.ts";
import { ACTIVITY_TYPES, type ActivityType, CALL_OUTCOMES, type CallOutcome } from "../data/enums.ts";
import { dateTime, number, t, tx } from "../i18n/index.ts";
import { SelectField, Tabs, TextArea, TextField } from "../ui/controls.tsx";
import { describe } from "../ui/problem.ts";
import { toast } from "../ui/toast.tsx";

type Activity = Schemas["Activity"];
type Page = Schemas["ActivityPage"];
export type Subject = { contactId: string } | { companyId: string } | { dealId: string };

export function Timeline(props: {
  subject: Subject;
  first?: Page;
  canWrite: boolean;
  onLogged?: () => void;
}) {
  const [type, setType] = useState<ActivityType | "">("");
  const [page, setPage] = useState<Page | null>(props.first ?? null);
  const [error, setError] = useState<unknown>(null);
  const [version, setVersion] = useState(0);
  const people = useDirectory();

  useEffect(() => {
    if (version === 0 && !type && props.first) return;
    let live = true;
    ok(
      api.GET("/api/v1/activities", {
        params: { query: { ...props.subject, limit: 25, ...(type ? { type } : {}) } },
      }),
    )
      .then((answer) => live && setPage(answer))
      .catch((failure) => live && setError(failure));
    return () => {
      live = false;
    };
  }, [type, version]);

  const more = async () => {
    if (!page?.nextCursor) return;
    try {
      const next = await ok(
        api.GET("/api/v1/activities", {
          params: {
            query: { ...props.subject, limit: 25, cursor: page.nextCursor, ...(type ? { type } : {}) },
          },
        }),
      );
      setPage({ items: [...page.items, ...next.items], nextCursor: next.nextCursor });
    } catch (failure) {
      toast(describe(failure), "error");
    }
  };

  return (
    <section class="timeline" aria-labelledby="timeline-title">
      <h2 id="timeline-title">{t("timeline.title")}</h2>
      {props.canWrite && (
        <Composer
          subject={props.subject}
          onLogged={() => {
            setVersion(version + 1);
            props.onLogged?.();
          }}
        />
      )}
      <div class="field inline">
        <label for="timeline-type">{t("timeline.show")}</label>
        <select
          id="timeline-type"
          value={type}
          onChange={(e) => setType(e.currentTarget.value as ActivityType | "")}
        >
          <option value="">{t("timeline.all")}</option>
          {ACTIVITY_TYPES.map((value) => (
            <option key={value} value={value}>
              {tx("activity", value)}
            </option>
          ))}
        </select>
      </div>
      {error ? <p role="alert">{describe(error)}</p> : null}
      <ol class="entries" aria-live="polite">
        {page?.items.map((item) => (
          <li key={item.id} class={`entry ${item.type}`}>
            <p class="entry-head">
              <span class="badge">{tx("activity", item.type)}</span>{" "}
              <strong>{item.subject ?? summary(item)}</strong>
            </p>
            {item.subject && summary(item) && <p>{summary(item)}</p>}
            {item.body && <p class="entry-body">{item.body}</p>}
            <p class="muted">
              <time dateTime={new Date(item.occurredAt).toISOString()}>{dateTime(item.occurredAt)}</time>
              {item.actorUserId ? ` · ${people?.userName(item.actorUserId) ?? ""}` : ""}
            </p>
          </li>
        ))}
      </ol>
      {page && page.items.length === 0 && <p class="empty">{t("timeline.empty")}</p>}
      {page?.nextCursor && (
        <button type="button" onClick={more}>
          {t("list.loadMore")}
        </button>
      )}
    </section>
  );
}

/** What an entry's metadata says in a line: a call's outcome and length, a stage change, a score change. */
function summary(item: Activity): string {
  const meta = item.metadata as Record<string, unknown>;
  if (item.type === "call") {
    const outcome = typeof meta.outcome === "string" ? tx("callOutcome", meta.outcome) : "";
    const seconds = typeof meta.durationSeconds === "number" ? meta.durationSeconds : null;
    return [outcome, seconds ? t("timeline.minutes", { n: number(Math.round(seconds / 60)) }) : ""]
      .filter(Boolean)
      .join(" · ");
  }
  if (item.type === "meeting" && typeof meta.startsAt === "number") return dateTime(meta.startsAt);
  return "";
}

type Kind = "note" | "call" | "meeting";

function Composer({ subject, onLogged }: { subject: Subject; onLogged: () => void }) {
  const [kind, setKind] = useState<Kind>("note");
  const [body, setBody] = useState("");
  const [title, setTitle] = useState("");
  const [outcome, setOutcome] = useState<CallOutcome>("connected");
  const [minutes, setMinutes] = useState("");
  const [startsAt, setStartsAt] = useState("");
  const [length, setLength] = useState("30");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setError("");
    let activity: Schemas["ActivityCreate"];
    if (kind === "note") {
      if (!body.trim()) return setError(t("composer.noteNeeded"));
      activity = { type: "note", ...subject, body: body.trim() };
    } else if (kind === "call") {
      const seconds = minutes ? Math.round(Number(minutes.replace(",", ".")) * 60) : undefined;
      if (seconds !== undefined && !Number.isFinite(seconds)) return setError(t("composer.minutesInvalid"));
      activity = {
        type: "call",
        ...subject,
        outcome,
        ...(seconds !== undefined ? { durationSeconds: seconds } : {}),
        ...(title.trim() ? { subject: title.trim() } : {}),
        ...(body.trim() ? { body: body.trim() } : {}),
      };
    } else {
      const start = startsAt ? new Date(startsAt).getTime() : Date.now();
      if (Number.isNaN(start)) return setError(t("composer.whenInvalid"));
      activity = {
        type: "meeting",
        ...subject,
        startsAt: start,
        endsAt: start + Math.max(1, Number(length) || 30) * 60_000,
        subject: title.trim() || t("composer.meeting"),
        ...(body.trim() ? { body: body.trim() } : {}),
      };
    }
    setBusy(true);
    try {
      await ok(api.POST("/api/v1/activities", { params: { header: idempotency() }, body: activity }));
      setBody("");
      setTitle("");
      setMinutes("");
      toast(
        t(
          kind === "note"
            ? "composer.noteLogged"
            : kind === "call"
              ? "composer.callLogged"
              : "composer.meetingLogged",
        ),
      );
      onLogged();
    } catch (failure) {
      setError(describe(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="composer" onSubmit={submit} noValidate aria-label={t("composer.title")}>
      <Tabs
        label={t("composer.title")}
        value={kind}
        onChange={(value) => {
          setKind(value);
          setError("");
        }}
        tabs={[
          { value: "note", label: t("composer.note") },
          { value: "call", label: t("composer.call") },
          { value: "meeting", label: t("composer.meeting") },
        ]}
      />
      <div role="tabpanel" class="stack">
        {kind === "call" && (
          <div class="row">
            <SelectField
              label={t("composer.outcome")}
              value={outcome}
              options={CALL_OUTCOMES.map((value) => ({ value, label: tx("callOutcome", value) }))}
              onValue={setOutcome}
            />
            <TextField
              label={t("composer.minutes")}
              inputMode="decimal"
              value={minutes}
              onValue={setMinutes}
            />
          </div>
        )}
        {kind === "meeting" && (
          <div class="row">
            <TextField
              label={t("composer.when")}
              type="datetime-local"
              value={startsAt}
              onValue={setStartsAt}
            />
            <TextField label={t("composer.length")} inputMode="numeric" value={length} onValue={setLength} />
          </div>
        )}
        {kind !== "note" && <TextField label={t("composer.subject")} value={title} onValue={setTitle} />}
        <TextArea
          label={kind === "note" ? t("composer.noteText") : t("composer.notes")}
          value={body}
          onValue={setBody}
        />
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {t(
            kind === "note"
              ? "composer.saveNote"
              : kind === "call"
                ? "composer.logCall"
                : "composer.logMeeting",
          )}
        </button>
      </div>
    </form>
  );
}
