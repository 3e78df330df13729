// Webhooks: incoming sources (their endpoint, secrets and the inbox of deliveries, replayable) and outgoing
// subscriptions (their events, state and the delivery log, replayable).
import { useState } from "preact/hooks";
import { api, idempotency, ifMatch, ok, type Schemas } from "../../api/client.ts";
import { dateTime, t } from "../../i18n/index.ts";
import { can, useSession } from "../../session.ts";
import { Checkbox, copyText, ErrorNote, Loading, SecretOnce, Tabs, TextField } from "../../ui/controls.tsx";
import { useQuery } from "../../ui/hooks.ts";
import { describe, fieldErrors } from "../../ui/problem.ts";
import { toast } from "../../ui/toast.tsx";
import { JsonEditor } from "./json-editor.tsx";

export default function Webhooks() {
  const [tab, setTab] = useState<"in" | "out">("in");
  return (
    <section>
      <Tabs
        label={t("settings.webhooks")}
        value={tab}
        onChange={setTab}
        tabs={[
          { value: "in", label: t("webhooks.sources") },
          { value: "out", label: t("webhooks.subscriptions") },
        ]}
      />
      <div role="tabpanel">{tab === "in" ? <Sources /> : <Subscriptions />}</div>
    </section>
  );
}

type Source = Schemas["WebhookSource"];

function Sources() {
  const { me } = useSession();
  const writable = can.manage(me);
  const list = useQuery(
    () => ok(api.GET("/api/v1/webhook-sources", { params: { query: { limit: 100 } } })),
    [],
  );
  const presets = useQuery(() => ok(api.GET("/api/v1/webhook-presets")), []);
  const [open, setOpen] = useState<Source | null>(null);
  const [name, setName] = useState("");
  const [preset, setPreset] = useState("");
  const [secret, setSecret] = useState("");
  const [problem, setProblem] = useState("");

  const create = async (e: Event) => {
    e.preventDefault();
    setProblem("");
    try {
      const created = await ok(
        api.POST("/api/v1/webhook-sources", {
          params: { header: idempotency() } as never,
          body: { name: name.trim(), ...(preset ? { preset: preset as never } : {}) },
        }),
      );
      setSecret(created.secret);
      setName("");
      void list.reload();
    } catch (failure) {
      setProblem(describe(failure));
    }
  };

  if (list.error) return <ErrorNote error={list.error} retry={list.reload} />;
  if (!list.data) return <Loading />;
  return (
    <>
      <ul class="plain">
        {list.data.items.map((source) => (
          <li key={source.id}>
            <button
              type="button"
              class="link"
              onClick={() => setOpen(open?.id === source.id ? null : source)}
              aria-expanded={open?.id === source.id}
            >
              {source.name}
            </button>{" "}
            <code>{source.endpoint}</code>{" "}
            <button
              type="button"
              class="link"
              onClick={async () =>
                toast((await copyText(source.endpoint)) ? t("common.copied") : t("common.copyFailed"))
              }
            >
              {t("common.copy")}
            </button>
          </li>
        ))}
      </ul>
      {open && (
        <div class="card">
          <JsonEditor
            label={t("webhooks.mapping", { name: open.name })}
            readOnly={!writable}
            value={{ verification: open.verification, mapping: open.mapping }}
            onSave={async (parsed) => {
              await ok(
                api.PATCH("/api/v1/webhook-sources/{id}", {
                  params: { path: { id: open.id }, header: ifMatch(open.version) } as never,
                  body: parsed as never,
                }),
              );
              await list.reload();
            }}
          />
          <Inbox sourceId={open.id} />
        </div>
      )}
      {secret && (
        <SecretOnce secret={secret} message={t("webhooks.secretOnce")} onDone={() => setSecret("")} />
      )}
      {writable && (
        <form class="card stack" onSubmit={create} aria-labelledby="source-new">
          <h3 id="source-new">{t("webhooks.newSource")}</h3>
          <TextField label={t("common.name")} value={name} onValue={setName} required />
          <div class="field">
            <label for="source-preset">{t("webhooks.preset")}</label>
            <select id="source-preset" value={preset} onChange={(e) => setPreset(e.currentTarget.value)}>
              <option value="">{t("common.choose")}</option>
              {presets.data?.items.map((item) => (
                <option key={item.id} value={item.id}>
                  {item.name ?? item.id}
                </option>
              ))}
            </select>
          </div>
          {problem && (
            <p class="error" role="alert">
              {problem}
            </p>
          )}
          <button type="submit" class="primary">
            {t("common.add")}
          </button>
        </form>
      )}
    </>
  );
}

function Inbox({ sourceId }: { sourceId: string }) {
  const inbox = useQuery(
    () => ok(api.GET("/api/v1/webhook-inbox", { params: { query: { sourceId, limit: 25 } } })),
    [sourceId],
  );
  const replay = (id: string) =>
    ok(api.POST("/api/v1/webhook-inbox/{id}/replay", { params: { path: { id } } })).then(
      () => void inbox.reload(),
    );
  if (inbox.error) return <ErrorNote error={inbox.error} retry={inbox.reload} />;
  if (!inbox.data) return <Loading />;
  return (
    <DeliveryTable
      caption={t("webhooks.inbox")}
      rows={inbox.data.items.map((item) => ({
        ...item,
        at: item.receivedAt,
        type: item.eventType ?? "",
        erased: item.erasedAt !== null,
      }))}
      onReplay={replay}
    />
  );
}

function DeliveryTable(props: {
  caption: string;
  rows: {
    id: string;
    at: number;
    type: string;
    status: string;
    attempts: number;
    error: string | null;
    responseStatus?: number | null;
    /** The payload was blanked on an erasure request: nothing to replay. */
    erased?: boolean;
  }[];
  /** Sends the row again and reloads the list; the table says how it went. */
  onReplay: (id: string) => Promise<unknown>;
}) {
  const replay = async (id: string) => {
    try {
      await props.onReplay(id);
      toast(t("webhooks.replayed"));
    } catch (error) {
      toast(describe(error), "error");
    }
  };
  return (
    <div class="table-wrap">
      <table class="compact">
        <caption>{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col">{t("common.when")}</th>
            <th scope="col">{t("automation.event")}</th>
            <th scope="col">{t("common.status")}</th>
            <th scope="col">{t("webhooks.attempts")}</th>
            <th scope="col">{t("common.details")}</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row) => (
            <tr key={row.id}>
              <th scope="row">{dateTime(row.at)}</th>
              <td>{row.type}</td>
              <td>
                {row.status}
                {row.responseStatus ? ` (${row.responseStatus})` : ""}
              </td>
              <td>{row.attempts}</td>
              <td>
                {row.error ?? ""}{" "}
                {row.erased ? (
                  t("webhooks.erased")
                ) : (
                  <button type="button" class="link" onClick={() => replay(row.id)}>
                    {t("webhooks.replay")}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {props.rows.length === 0 && <p class="empty">{t("webhooks.noDeliveries")}</p>}
    </div>
  );
}

function Subscriptions() {
  const { me } = useSession();
  const writable = can.admin(me);
  const list = useQuery(
    () => ok(api.GET("/api/v1/webhook-subscriptions", { params: { query: { limit: 100 } as never } })),
    [],
  );
  const types = useQuery(() => ok(api.GET("/api/v1/webhook-event-types")), []);
  const [open, setOpen] = useState<string | null>(null);
  const [url, setUrl] = useState("");
  const [events, setEvents] = useState<string[]>([]);
  const [secret, setSecret] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState("");

  const create = async (e: Event) => {
    e.preventDefault();
    setProblem("");
    try {
      const created = await ok(
        api.POST("/api/v1/webhook-subscriptions", {
          params: { header: idempotency() } as never,
          body: { url: url.trim(), events, enabled: true },
        }),
      );
      const withSecret = created as { secret?: string };
      if (withSecret.secret) setSecret(withSecret.secret);
      setUrl("");
      setEvents([]);
      void list.reload();
    } catch (failure) {
      setErrors(fieldErrors(failure));
      setProblem(describe(failure));
    }
  };
  const test = async (id: string) => {
    try {
      await ok(api.POST("/api/v1/webhook-subscriptions/{id}/test", { params: { path: { id } } }));
      toast(t("webhooks.testSent"));
    } catch (error) {
      toast(describe(error), "error");
    }
  };

  if (list.error) return <ErrorNote error={list.error} retry={list.reload} />;
  if (!list.data) return <Loading />;
  return (
    <>
      <ul class="plain">
        {list.data.items.map((sub) => (
          <li key={sub.id}>
            <button
              type="button"
              class="link"
              aria-expanded={open === sub.id}
              onClick={() => setOpen(open === sub.id ? null : sub.id)}
            >
              {sub.url}
            </button>{" "}
            <span class="badge">
              {sub.enabled
                ? t("common.active")
                : t("webhooks.disabled", { reason: sub.disabledReason ?? "" })}
            </span>{" "}
            <span class="muted">{sub.events.join(", ")}</span>{" "}
            {writable && (
              <button type="button" class="link" onClick={() => test(sub.id)}>
                {t("webhooks.test")}
              </button>
            )}
            {open === sub.id && <Deliveries subscriptionId={sub.id} />}
          </li>
        ))}
      </ul>
      {secret && (
        <SecretOnce secret={secret} message={t("webhooks.secretOnce")} onDone={() => setSecret("")} />
      )}
      {writable && (
        <form class="card stack" onSubmit={create} noValidate aria-labelledby="sub-new">
          <h3 id="sub-new">{t("webhooks.newSubscription")}</h3>
          <TextField
            label={t("webhooks.url")}
            type="url"
            value={url}
            onValue={setUrl}
            error={errors.url}
            required
          />
          <fieldset>
            <legend>{t("webhooks.events")}</legend>
            {types.data?.types.map((type) => (
              <Checkbox
                key={type.type}
                label={type.type}
                checked={events.includes(type.type)}
                onChange={(on) =>
                  setEvents(on ? [...events, type.type] : events.filter((e) => e !== type.type))
                }
              />
            ))}
          </fieldset>
          {errors.events && <p class="error">{errors.events}</p>}
          {problem && (
            <p class="error" role="alert">
              {problem}
            </p>
          )}
          <button type="submit" class="primary">
            {t("common.add")}
          </button>
        </form>
      )}
    </>
  );
}

function Deliveries({ subscriptionId }: { subscriptionId: string }) {
  const log = useQuery(
    () => ok(api.GET("/api/v1/webhook-deliveries", { params: { query: { subscriptionId, limit: 25 } } })),
    [subscriptionId],
  );
  const replay = (id: string) =>
    ok(api.POST("/api/v1/webhook-deliveries/{id}/replay", { params: { path: { id } } })).then(
      () => void log.reload(),
    );
  if (log.error) return <ErrorNote error={log.error} retry={log.reload} />;
  if (!log.data) return <Loading />;
  const items = log.data.items as unknown as {
    id: string;
    eventType: string;
    status: string;
    attempts: number;
    error: string | null;
    responseStatus: number | null;
    lastAttemptAt: number | null;
    createdAt?: number;
  }[];
  return (
    <DeliveryTable
      caption={t("webhooks.deliveries")}
      rows={items.map((item) => ({
        ...item,
        at: item.lastAttemptAt ?? item.createdAt ?? 0,
        type: item.eventType,
      }))}
      onReplay={replay}
    />
  );
}
