// The app's top: reads the session, shows the login screen or the signed-in shell, and carries the language
// and time zone, which re-render everything when they change.

import { useCallback, useEffect, useMemo, useState } from "preact/hooks";
import { LocationProvider } from "preact-iso";
import { ApiProblem, api, ok, onSessionEnded } from "./api/client.ts";
import { type Locale, setLocale, setTimeZone, toLocale } from "./i18n/index.ts";
import { Login } from "./login.tsx";
import { type Me, PREFERENCES_KEY, type Session, SessionContext } from "./session.ts";
import { Shell } from "./shell/shell.tsx";
import { Loading } from "./ui/controls.tsx";
import { readStored } from "./ui/hooks.ts";
import { Toasts } from "./ui/toast.tsx";

interface Preferences {
  locale?: Locale;
  timeZone?: string;
}

type State = { status: "loading" } | { status: "out" } | { status: "in"; me: Me };

const browserZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

export function App() {
  const [state, setState] = useState<State>({ status: "loading" });
  const [preferences, setPreferencesState] = useState<Preferences>(() => readStored(PREFERENCES_KEY, {}));
  const [, setRendered] = useState(0);

  const apply = useCallback(async (me: Me | null, chosen: Preferences) => {
    const nextLocale = chosen.locale ?? toLocale(me?.locale ?? navigator.language);
    await setLocale(nextLocale);
    setTimeZone(chosen.timeZone ?? me?.timeZone ?? browserZone());
    setRendered((n) => n + 1);
  }, []);

  const loadMe = useCallback(async () => {
    try {
      const me = await ok(api.GET("/api/v1/auth/me"));
      // Signed in, the user's own record decides (it is what their digest and reminders follow).
      await apply(me, {});
      setState({ status: "in", me });
    } catch (error) {
      if (error instanceof ApiProblem && error.status === 401) {
        await apply(null, readStored(PREFERENCES_KEY, {}));
        setState({ status: "out" });
      } else {
        // The Worker is away: the login screen says so through its status panel.
        await apply(null, readStored(PREFERENCES_KEY, {}));
        setState({ status: "out" });
      }
    }
  }, [apply]);

  useEffect(() => {
    void loadMe();
    return onSessionEnded(() => setState({ status: "out" }));
  }, [loadMe]);

  const setPreferences = useCallback(
    async (next: Preferences) => {
      const merged = { ...readStored<Preferences>(PREFERENCES_KEY, {}), ...next };
      if (state.status === "in") {
        const me = await ok(api.PATCH("/api/v1/auth/me", { body: next }));
        setState({ status: "in", me });
        await apply(me, {});
      } else {
        await apply(null, merged);
      }
      try {
        localStorage.setItem(PREFERENCES_KEY, JSON.stringify(merged));
      } catch {
        // Kept for this visit only.
      }
      setPreferencesState(merged);
    },
    [apply, state],
  );

  const logout = useCallback(async () => {
    await api.POST("/api/v1/auth/logout").catch(() => undefined);
    // The next person to log in here starts at the dashboard, not on this one's last page.
    history.replaceState(null, "", "/");
    setState({ status: "out" });
  }, []);

  const session = useMemo<Session | null>(
    () =>
      state.status === "in"
        ? {
            me: state.me,
            locale: toLocale(state.me.locale),
            timeZone: state.me.timeZone,
            setPreferences,
            reloadMe: loadMe,
            logout,
          }
        : null,
    [state, preferences, setPreferences, loadMe, logout],
  );

  if (state.status === "loading") return <Loading />;
  return (
    <>
      {state.status === "out" || !session ? (
        <Login
          onLoggedIn={loadMe}
          locale={preferences.locale ?? toLocale(navigator.language)}
          onLocale={(locale) => setPreferences({ locale })}
        />
      ) : (
        <SessionContext.Provider value={session}>
          <LocationProvider>
            <Shell key={session.locale} />
          </LocationProvider>
        </SessionContext.Provider>
      )}
      <Toasts />
    </>
  );
}
