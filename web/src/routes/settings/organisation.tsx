// The organisation's settings (admins): two-factor requirement, what reps see, phone region, time zone.
import { useEffect, useState } from "preact/hooks";
import { api, ok, type Schemas } from "../../api/client.ts";
import { t } from "../../i18n/index.ts";
import { Checkbox, ErrorNote, Loading, TextField } from "../../ui/controls.tsx";
import { useQuery } from "../../ui/hooks.ts";
import { describe } from "../../ui/problem.ts";
import { toast } from "../../ui/toast.tsx";

export default function Organisation() {
  const settings = useQuery(() => ok(api.GET("/api/v1/settings")), []);
  const [draft, setDraft] = useState<Schemas["Settings"] | null>(null);
  useEffect(() => {
    if (settings.data) setDraft(settings.data);
  }, [settings.data]);
  if (settings.error) return <ErrorNote error={settings.error} retry={settings.reload} />;
  if (!draft) return <Loading />;
  const save = async (e: Event) => {
    e.preventDefault();
    try {
      settings.setData(() => undefined);
      const saved = await ok(api.PATCH("/api/v1/settings", { body: draft }));
      settings.setData(() => saved);
      toast(t("common.saved"));
    } catch (error) {
      toast(describe(error), "error");
      void settings.reload();
    }
  };
  return (
    <form class="card stack" onSubmit={save} aria-labelledby="org-title">
      <h2 id="org-title">{t("settings.organisation")}</h2>
      <Checkbox
        label={t("org.require2fa")}
        checked={draft.require2fa}
        onChange={(require2fa) => setDraft({ ...draft, require2fa })}
      />
      <Checkbox
        label={t("org.repsSeeTeam")}
        checked={draft.repsSeeTeamRecords}
        onChange={(repsSeeTeamRecords) => setDraft({ ...draft, repsSeeTeamRecords })}
      />
      <TextField
        label={t("org.phoneRegion")}
        hint={t("org.phoneRegionHint")}
        value={draft.defaultPhoneRegion}
        onValue={(defaultPhoneRegion) => setDraft({ ...draft, defaultPhoneRegion })}
      />
      <TextField
        label={t("profile.timeZone")}
        value={draft.timeZone}
        onValue={(timeZone) => setDraft({ ...draft, timeZone })}
      />
      <button type="submit" class="primary">
        {t("common.save")}
      </button>
    </form>
  );
}
