// Organisation settings: their defaults, the rules for their values, and the statements that read them (to
// put into any request's batch) and change them (upserts plus an audit entry of old → new, in one batch).
import { sql } from "drizzle-orm";
import type { RequestOrigin } from "./audit.ts";
import { callerAuditStatement } from "./audit-queries.ts";
import type { CallerRef } from "./caller.ts";
import type { Database } from "./client.ts";
import { settings } from "./schema/index.ts";

export interface Settings {
  /** Every user must enrol a second factor. */
  require2fa: boolean;
  /** Reps see the records of their teams, not only their own. */
  repsSeeTeamRecords: boolean;
  /** ISO 3166-1 alpha-2 region for reading phone numbers written without a country code. */
  defaultPhoneRegion: string;
  /** IANA time zone for the organisation's dates (reports, reminders) where a user has none. */
  timeZone: string;
}

export type SettingKey = keyof Settings;

export const DEFAULT_SETTINGS: Readonly<Settings> = {
  require2fa: false,
  repsSeeTeamRecords: false,
  defaultPhoneRegion: "US",
  timeZone: "UTC",
};

const SETTING_KEYS = Object.keys(DEFAULT_SETTINGS) as SettingKey[];

// The officially assigned ISO 3166-1 alpha-2 codes (249), so that a typo is refused rather than stored.
const REGION_CODES = new Set(
  `AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW
  BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ
  FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ
  IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH
  MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL
  PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD
  TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW`.split(
    /\s+/,
  ),
);

export function isRegionCode(value: string): boolean {
  return REGION_CODES.has(value);
}

/**
 * The IANA name as the runtime's time-zone data spells it, or null when it names no zone. Offsets such as
 * "+02:00" are refused: they ignore daylight saving, which is what a zone is for.
 */
export function canonicalTimeZone(value: string): string | null {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(value)) return null;
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

const VALID: { [K in SettingKey]: (value: unknown) => value is Settings[K] } = {
  require2fa: (value): value is boolean => typeof value === "boolean",
  repsSeeTeamRecords: (value): value is boolean => typeof value === "boolean",
  defaultPhoneRegion: (value): value is string => typeof value === "string" && isRegionCode(value),
  timeZone: (value): value is string => typeof value === "string" && canonicalTimeZone(value) === value,
};

/** Every stored setting (a handful of rows); pair with toSettings. */
export function readSettingsQuery(db: Database) {
  return db.select({ key: settings.key, value: settings.value }).from(settings);
}

/** The settings from their rows: a key not stored, or stored with a value no longer valid, has its default. */
export function toSettings(rows: readonly { key: string; value: string }[]): Settings {
  const result: Settings = { ...DEFAULT_SETTINGS };
  const stored = new Map(rows.map((row) => [row.key, row.value]));
  for (const key of SETTING_KEYS) assign(result, key, stored.get(key));
  return result;
}

function assign<K extends SettingKey>(target: Settings, key: K, json: string | undefined): void {
  if (json === undefined) return;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return;
  }
  if (VALID[key](value)) target[key] = value;
}

/**
 * The audit entry and the upserts for a partial update, in that order so the entry reads the values being
 * replaced. Only keys whose value changes are recorded and rewritten; when none changes, nothing is written.
 */
export function updateSettingsStatements(
  db: Database,
  me: CallerRef,
  patch: Partial<Settings>,
  origin: RequestOrigin,
  now: number,
) {
  const entries = SETTING_KEYS.filter((key) => patch[key] !== undefined).map((key) => ({
    key,
    value: JSON.stringify(patch[key]),
    fallback: JSON.stringify(DEFAULT_SETTINGS[key]),
  }));
  if (entries.length === 0) throw new Error("updateSettingsStatements needs at least one setting to change");

  const proposed = sql.join(
    entries.map((e, i) =>
      i === 0
        ? sql`select ${e.key} as key, ${e.value} as value, ${e.fallback} as fallback`
        : sql`select ${e.key}, ${e.value}, ${e.fallback}`,
    ),
    sql` union all `,
  );
  const changed = sql`from (${proposed}) p left join ${settings} s on s.key = p.key
    where coalesce(s.value, p.fallback) is not p.value`;

  const audit = callerAuditStatement(
    db,
    me,
    { action: "settings.changed", targetType: "settings" },
    origin,
    now,
    {
      when: sql`exists (select 1 ${changed})`,
      changes: sql`(select json_group_object(p.key, json_object('from', json(coalesce(s.value, p.fallback)), 'to', json(p.value))) ${changed})`,
    },
  );
  const upsert = db
    .insert(settings)
    .values(entries.map((e) => ({ key: e.key, value: e.value, updatedAt: now })))
    .onConflictDoUpdate({
      target: settings.key,
      set: { value: sql`excluded.value`, updatedAt: sql`excluded.updated_at` },
      setWhere: sql`${settings.value} is not excluded.value`,
    });
  return [audit, upsert] as const;
}
