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
  /** Changes the language and time zone the app shows (and keeps them in this browser). */
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

/** Where the language and time zone chosen in this browser are kept. */
export const PREFERENCES_KEY = "crm.preferences";
