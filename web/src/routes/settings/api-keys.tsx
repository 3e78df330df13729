// API keys for integrations: create one with its scopes (its secret is shown once), and revoke.
import { useState } from "preact/hooks";
import { api, idempotency, ok, type Schemas } from "../../api/client.ts";
import { date, dateTime, t } from "../../i18n/index.ts";
import { Checkbox, ErrorNote, Loading, SecretOnce, TextField } from "../../ui/controls.tsx";
import { useQuery } from "../../ui/hooks.ts";
import { describe, fieldErrors } from "../../ui/problem.ts";
import { toast } from "../../ui/toast.tsx";

type Scope = Schemas["CreateApiKeyRequest"]["scopes"][number];
const RESOURCES = [
  "contacts",
  "companies",
  "deals",
  "forms",
  "templates",
  "webhooks",
  "reports",
  "rules",
  "workflows",
  "users",
  "teams",
  "audit",
  "settings",
];

export default function ApiKeys() {
  const keys = useQuery(() => ok(api.GET("/api/v1/api-keys", { params: { query: { limit: 100 } } })), []);
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<string[]>(["contacts:read"]);
  const [days, setDays] = useState("365");
  const [secret, setSecret] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState("");

  const create = async (e: Event) => {
    e.preventDefault();
    setProblem("");
    try {
      const created = await ok(
        api.POST("/api/v1/api-keys", {
          params: { header: idempotency() } as never,
          body: {
            name: name.trim(),
            scopes: scopes as Scope[],
            ...(days ? { expiresInDays: Number(days) } : {}),
          },
        }),
      );
      setSecret(created.key);
      setName("");
      void keys.reload();
    } catch (failure) {
      setErrors(fieldErrors(failure));
      setProblem(describe(failure));
    }
  };
  const revoke = async (id: string, keyName: string) => {
    if (!confirm(t("keys.confirmRevoke", { name: keyName }))) return;
    try {
      await ok(api.DELETE("/api/v1/api-keys/{id}", { params: { path: { id } } }));
      toast(t("keys.revoked", { name: keyName }));
      void keys.reload();
    } catch (error) {
      toast(describe(error), "error");
    }
  };
  const toggle = (scope: string, on: boolean) =>
    setScopes(on ? [...scopes, scope] : scopes.filter((s) => s !== scope));

  return (
    <section aria-labelledby="keys-title">
      <h2 id="keys-title">{t("settings.apiKeys")}</h2>
      {keys.error ? <ErrorNote error={keys.error} retry={keys.reload} /> : null}
      {!keys.data ? (
        <Loading />
      ) : (
        <div class="table-wrap">
          <table>
            <caption class="sr-only">{t("settings.apiKeys")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("common.name")}</th>
                <th scope="col">{t("keys.prefix")}</th>
                <th scope="col">{t("keys.scopes")}</th>
                <th scope="col">{t("keys.owner")}</th>
                <th scope="col">{t("keys.lastUsed")}</th>
                <th scope="col">{t("keys.expires")}</th>
                <th scope="col">{t("common.status")}</th>
              </tr>
            </thead>
            <tbody>
              {keys.data.items.map((key) => (
                <tr key={key.id}>
                  <th scope="row">{key.name}</th>
                  <td>
                    <code>{key.prefix}…</code>
                  </td>
                  <td>{key.scopes.join(", ")}</td>
                  <td>{key.owner.name}</td>
                  <td>{key.lastUsedAt ? dateTime(key.lastUsedAt) : t("keys.never")}</td>
                  <td>{key.expiresAt ? date(key.expiresAt) : t("keys.never")}</td>
                  <td>
                    {key.revokedAt ? (
                      t("keys.revokedOn", { when: date(key.revokedAt) })
                    ) : (
                      <button type="button" class="link danger" onClick={() => revoke(key.id, key.name)}>
                        {t("keys.revoke")}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {secret && <SecretOnce secret={secret} message={t("keys.secretOnce")} onDone={() => setSecret("")} />}
      <form class="card stack" onSubmit={create} noValidate aria-labelledby="key-new">
        <h3 id="key-new">{t("keys.new")}</h3>
        <TextField label={t("common.name")} value={name} onValue={setName} error={errors.name} required />
        <fieldset>
          <legend>{t("keys.scopes")}</legend>
          {RESOURCES.map((resource) => (
            <p key={resource}>
              <strong>{resource}</strong>{" "}
              {["read", "write"].map((action) => (
                <Checkbox
                  key={action}
                  label={t(action === "read" ? "keys.read" : "keys.write")}
                  checked={scopes.includes(`${resource}:${action}`)}
                  onChange={(on) => toggle(`${resource}:${action}`, on)}
                />
              ))}
            </p>
          ))}
        </fieldset>
        <TextField
          label={t("keys.days")}
          inputMode="numeric"
          value={days}
          onValue={setDays}
          error={errors.expiresInDays}
        />
        {problem && (
          <p class="error" role="alert">
            {problem}
          </p>
        )}
        <button type="submit" class="primary">
          {t("keys.create")}
        </button>
      </form>
    </section>
  );
}
