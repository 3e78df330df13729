// Which channels each kind of notification reaches the caller by, and their Slack and Teams webhooks.
import { useState } from "preact/hooks";
import { api, ok, type Schemas } from "../api/client.ts";
import { t, tx } from "../i18n/index.ts";
import { ErrorNote, Loading, TextField } from "../ui/controls.tsx";
import { useQuery } from "../ui/hooks.ts";
import { describe } from "../ui/problem.ts";
import { toast } from "../ui/toast.tsx";

type Preferences = Schemas["NotificationPreferences"];
type Channel = Preferences[keyof Preferences][number];
const CHANNELS: Channel[] = ["in_app", "email", "slack", "teams"];

export function Channels() {
  const prefs = useQuery(() => ok(api.GET("/api/v1/notifications/preferences")), []);
  const hooks = useQuery(() => ok(api.GET("/api/v1/notifications/webhooks")), []);
  const [slack, setSlack] = useState("");
  const [teams, setTeams] = useState("");

  const toggle = async (kind: keyof Preferences, channel: Channel, on: boolean) => {
    const current = prefs.data?.[kind] ?? [];
    const next = on ? [...new Set([...current, channel])] : current.filter((c) => c !== channel);
    try {
      const saved = await ok(api.PUT("/api/v1/notifications/preferences", { body: { [kind]: next } }));
      prefs.setData(() => saved);
      toast(t("common.saved"));
    } catch (error) {
      toast(describe(error), "error");
    }
  };

  const saveHooks = async (e: Event) => {
    e.preventDefault();
    try {
      const saved = await ok(
        api.PUT("/api/v1/notifications/webhooks", {
          body: {
            ...(slack.trim() ? { slack: slack.trim() } : {}),
            ...(teams.trim() ? { teams: teams.trim() } : {}),
          },
        }),
      );
      hooks.setData(() => saved);
      setSlack("");
      setTeams("");
      toast(t("common.saved"));
    } catch (error) {
      toast(describe(error), "error");
    }
  };
  const removeHook = async (which: "slack" | "teams") => {
    try {
      hooks.setData(() => undefined);
      const saved = await ok(api.PUT("/api/v1/notifications/webhooks", { body: { [which]: null } }));
      hooks.setData(() => saved);
    } catch (error) {
      toast(describe(error), "error");
    }
  };

  return (
    <section class="card" aria-labelledby="channels-title">
      <h2 id="channels-title">{t("profile.channels")}</h2>
      {prefs.error ? <ErrorNote error={prefs.error} retry={prefs.reload} /> : null}
      {!prefs.data ? (
        <Loading />
      ) : (
        <div class="table-wrap">
          <table class="compact">
            <caption class="sr-only">{t("profile.channels")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("profile.kind")}</th>
                {CHANNELS.map((channel) => (
                  <th scope="col" key={channel}>
                    {tx("channel", channel)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {(Object.keys(prefs.data) as (keyof Preferences)[]).map((kind) => (
                <tr key={kind}>
                  <th scope="row">{tx("notificationKind", kind)}</th>
                  {CHANNELS.map((channel) => (
                    <td key={channel}>
                      <input
                        type="checkbox"
                        aria-label={`${tx("notificationKind", kind)}: ${tx("channel", channel)}`}
                        checked={prefs.data?.[kind].includes(channel)}
                        onChange={(e) => toggle(kind, channel, e.currentTarget.checked)}
                      />
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <form class="stack" onSubmit={saveHooks}>
        <h3>{t("profile.webhooks")}</h3>
        {(["slack", "teams"] as const).map((which) => (
          <p key={which}>
            {tx("channel", which)}: {hooks.data?.[which] ?? t("profile.notSet")}{" "}
            {hooks.data?.[which] && (
              <button type="button" class="link" onClick={() => removeHook(which)}>
                {t("common.remove")}
              </button>
            )}
          </p>
        ))}
        <TextField label={t("profile.slackUrl")} type="url" value={slack} onValue={setSlack} />
        <TextField label={t("profile.teamsUrl")} type="url" value={teams} onValue={setTeams} />
        <button type="submit">{t("common.save")}</button>
      </form>
    </section>
  );
}
