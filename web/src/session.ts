// Who is using the app (GET /api/v1/auth/me) and what their role lets the screens offer. The API decides
// access on every request; these checks only keep out of sight what would be refused.
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Schemas } from "./api/client.ts";
import type { Locale } from "./i18n/index.ts";

export type Me = Schemas["Me"];
export type Role = Me["role"];

export interface Session {
  me: Me;
  locale: Locale;
  timeZone: string;
  /**
   * Changes the language and time zone: on the user's own record (PATCH /api/v1/auth/me, which the digest,
   * reminders and sequences read), and the app follows. Throws the API's problem when it is refused.
   */
  setPreferences: (preferences: { locale?: Locale; timeZone?: string }) => Promise<void>;
  reloadMe: () => Promise<void>;
  logout: () => Promise<void>;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside the signed-in app");
  return session;
}

export const can = {
  write: (me: Me) => me.role !== "read_only",
  manage: (me: Me) => me.role === "admin" || me.role === "manager",
  admin: (me: Me) => me.role === "admin",
};

/** Where the language chosen on the login screen is kept, for the next visit before signing in. */
export const PREFERENCES_KEY = "crm.preferences";
