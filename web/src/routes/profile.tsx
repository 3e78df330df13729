// The caller's own settings: language and time zone, password, two-factor authentication, notification
// channels and the calendar feed.
import { useState } from "preact/hooks";
import { api, ok } from "../api/client.ts";
import { type Locale, t, tx } from "../i18n/index.ts";
import { Channels } from "../profile/channels.tsx";
import { TwoFactor } from "../profile/two-factor.tsx";
import { useSession } from "../session.ts";
import { copyText, PageTitle, SelectField, TextField } from "../ui/controls.tsx";
import { useQuery } from "../ui/hooks.ts";
import { describe } from "../ui/problem.ts";
import { toast } from "../ui/toast.tsx";

function zones(): string[] {
  try {
    return Intl.supportedValuesOf("timeZone");
  } catch {
    return ["UTC", "Asia/Ho_Chi_Minh", "Asia/Bangkok", "Asia/Singapore", "Europe/London", "America/New_York"];
  }
}

export default function Profile() {
  const session = useSession();
  const { me } = session;
  return (
    <section class="profile">
      <PageTitle>{t("profile.title")}</PageTitle>
      <p>
        {me.name} · {me.email}
      </p>
      <div class="cards">
        <Preferences />
        <CalendarFeed />
        <TwoFactor />
        <Channels />
        <Password />
      </div>
      <p class="muted">{t("profile.role", { role: tx("role", me.role) })}</p>
    </section>
  );
}

function Preferences() {
  const { locale, timeZone, setPreferences } = useSession();
  const [language, setLanguage] = useState<Locale>(locale);
  const [zone, setZone] = useState(timeZone);
  const save = async (e: Event) => {
    e.preventDefault();
    try {
      await setPreferences({ locale: language, timeZone: zone });
      toast(t("common.saved"));
    } catch (error) {
      toast(describe(error), "error");
    }
  };
  return (
    <form class="card stack" onSubmit={save} aria-labelledby="prefs-title">
      <h2 id="prefs-title">{t("profile.preferences")}</h2>
      <SelectField
        label={t("profile.language")}
        value={language}
        options={[
          { value: "en", label: "English" },
          { value: "vi", label: "Tiếng Việt" },
        ]}
        onValue={setLanguage}
      />
      <SelectField
        label={t("profile.timeZone")}
        value={zone}
        options={zones().map((z) => ({ value: z, label: z }))}
        onValue={setZone}
      />
      <button type="submit" class="primary">
        {t("common.save")}
      </button>
    </form>
  );
}

function CalendarFeed() {
  const status = useQuery(() => ok(api.GET("/api/v1/calendar/feed")), []);
  const [url, setUrl] = useState("");
  const make = async () => {
    if (status.data?.active && !confirm(t("calendar.confirmNew"))) return;
    try {
      const answer = await ok(
        api.POST("/api/v1/calendar/feed", { params: { header: { "idempotency-key": crypto.randomUUID() } } }),
      );
      setUrl(answer.url);
      void status.reload();
    } catch (error) {
      toast(describe(error), "error");
    }
  };
  const stop = async () => {
    try {
      await ok(api.DELETE("/api/v1/calendar/feed"));
      setUrl("");
      void status.reload();
      toast(t("calendar.stopped"));
    } catch (error) {
      toast(describe(error), "error");
    }
  };
  return (
    <section class="card stack" aria-labelledby="calendar-title">
      <h2 id="calendar-title">{t("calendar.title")}</h2>
      <p>{status.data?.active ? t("calendar.active") : t("calendar.inactive")}</p>
      {url && (
        <>
          <TextField
            label={t("calendar.url")}
            readOnly
            value={url}
            onValue={() => undefined}
            hint={t("calendar.hint")}
          />
          <button
            type="button"
            onClick={async () => toast((await copyText(url)) ? t("common.copied") : t("common.copyFailed"))}
          >
            {t("common.copy")}
          </button>
        </>
      )}
      <p class="actions">
        <button type="button" onClick={make}>
          {status.data?.active ? t("calendar.renew") : t("calendar.create")}
        </button>
        {status.data?.active && (
          <button type="button" class="danger" onClick={stop}>
            {t("calendar.stop")}
          </button>
        )}
      </p>
    </section>
  );
}

function Password() {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [error, setError] = useState("");
  const submit = async (e: Event) => {
    e.preventDefault();
    setError("");
    try {
      await ok(api.POST("/api/v1/auth/password", { body: { currentPassword: current, newPassword: next } }));
      setCurrent("");
      setNext("");
      toast(t("profile.passwordChanged"));
    } catch (failure) {
      setError(describe(failure));
    }
  };
  return (
    <form class="card stack" onSubmit={submit} aria-labelledby="password-title">
      <h2 id="password-title">{t("profile.password")}</h2>
      <TextField
        label={t("profile.currentPassword")}
        type="password"
        autoComplete="current-password"
        value={current}
        onValue={setCurrent}
      />
      <TextField
        label={t("profile.newPassword")}
        type="password"
        autoComplete="new-password"
        value={next}
        onValue={setNext}
      />
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <button type="submit">{t("profile.changePassword")}</button>
    </form>
  );
}
