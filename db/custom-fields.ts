// Custom fields: their definitions per object, the validation of values on every write (a pure function the
// contact, company and deal writes share), and the cached "record config" (definitions and phone region)
// that lets a write validate without reading first: the write's batch checks the cache is still current.
import { and, asc, eq, type SQL, sql } from "drizzle-orm";
import type { Database } from "./client.ts";
import { newId } from "./ids.ts";
import { toE164 } from "./phones.ts";
import {
  type CUSTOM_FIELD_OBJECTS,
  type CUSTOM_FIELD_TYPES,
  customFieldDefinitions,
} from "./schema/index.ts";
import { DEFAULT_SETTINGS, toSettings } from "./settings.ts";

export type CustomFieldObject = (typeof CUSTOM_FIELD_OBJECTS)[number];
export type CustomFieldType = (typeof CUSTOM_FIELD_TYPES)[number];

export interface FieldRules {
  /** Numbers: the least and greatest value; text: the shortest and longest length; dates: ISO bounds. */
  min?: number | string;
  max?: number | string;
  /** Text: a regular expression the whole value must match. */
  pattern?: string;
}

export interface CustomFieldDefinition {
  id: string;
  object: CustomFieldObject;
  key: string;
  label: string;
  type: CustomFieldType;
  required: boolean;
  options: string[];
  validation: FieldRules;
  position: number;
  archivedAt: number | null;
  createdAt: number;
  updatedAt: number;
}

type DefinitionRow = typeof customFieldDefinitions.$inferSelect;

export function toDefinition(row: DefinitionRow): CustomFieldDefinition {
  return {
    ...row,
    options: JSON.parse(row.options) as string[],
    validation: JSON.parse(row.validation) as FieldRules,
  };
}

/** The definitions of one object's custom fields (archived ones too: they keep their values), by position. */
export function customFieldsQuery(db: Database, object: CustomFieldObject) {
  return db
    .select()
    .from(customFieldDefinitions)
    .where(eq(customFieldDefinitions.object, object))
    .orderBy(asc(customFieldDefinitions.position), asc(customFieldDefinitions.key));
}

export function customFieldQuery(db: Database, id: string) {
  return db.select().from(customFieldDefinitions).where(eq(customFieldDefinitions.id, id));
}

export type CustomValues = Record<string, unknown>;
export interface CustomFieldError {
  path: string;
  message: string;
}

/**
 * Checks custom-field values against their definitions and returns them normalised (emails lower-cased,
 * phones in E.164, multi-selects without repeats). `partial` is for updates: required fields may be absent,
 * and null removes a value. Errors name `custom.<key>`.
 */
export function validateCustom(
  definitions: readonly CustomFieldDefinition[],
  values: CustomValues,
  options: { partial: boolean; region?: string },
): { values: CustomValues; errors: CustomFieldError[] } {
  const live = new Map(definitions.filter((d) => d.archivedAt === null).map((d) => [d.key, d]));
  const errors: CustomFieldError[] = [];
  const out: CustomValues = {};
  for (const [key, value] of Object.entries(values)) {
    const definition = live.get(key);
    const path = `custom.${key}`;
    if (!definition) {
      errors.push({ path, message: "No such custom field." });
      continue;
    }
    if (value === null) {
      if (definition.required) errors.push({ path, message: "Required." });
      else out[key] = null;
      continue;
    }
    const checked = checkValue(definition, value, options.region ?? DEFAULT_SETTINGS.defaultPhoneRegion);
    if (typeof checked === "string") errors.push({ path, message: checked });
    else out[key] = checked.value;
  }
  if (!options.partial) {
    for (const definition of live.values()) {
      if (definition.required && (values[definition.key] === undefined || values[definition.key] === null)) {
        errors.push({ path: `custom.${definition.key}`, message: "Required." });
      }
    }
  }
  return { values: out, errors };
}

function checkValue(d: CustomFieldDefinition, value: unknown, region: string): { value: unknown } | string {
  const { min, max, pattern } = d.validation;
  switch (d.type) {
    case "text": {
      if (typeof value !== "string") return "Must be text.";
      if (typeof min === "number" && value.length < min) return `Must be at least ${min} characters.`;
      if (typeof max === "number" && value.length > max) return `Must be at most ${max} characters.`;
      if (pattern && !safeRegExp(pattern)?.test(value)) return `Must match ${pattern}.`;
      return { value };
    }
    case "number": {
      if (typeof value !== "number" || !Number.isFinite(value)) return "Must be a number.";
      if (typeof min === "number" && value < min) return `Must be at least ${min}.`;
      if (typeof max === "number" && value > max) return `Must be at most ${max}.`;
      return { value };
    }
    case "date": {
      if (typeof value !== "string" || !isIsoDate(value)) return "Must be a date, YYYY-MM-DD.";
      if (typeof min === "string" && value < min) return `Must be on or after ${min}.`;
      if (typeof max === "string" && value > max) return `Must be on or before ${max}.`;
      return { value };
    }
    case "select":
      return typeof value === "string" && d.options.includes(value)
        ? { value }
        : `Must be one of: ${d.options.join(", ")}.`;
    case "multi_select": {
      if (!Array.isArray(value) || !value.every((v) => typeof v === "string" && d.options.includes(v))) {
        return `Must be a list of: ${d.options.join(", ")}.`;
      }
      return { value: [...new Set(value)] };
    }
    case "boolean":
      return typeof value === "boolean" ? { value } : "Must be true or false.";
    case "url": {
      if (typeof value !== "string" || !URL.canParse(value)) return "Must be a URL.";
      return /^https?:$/.test(new URL(value).protocol) ? { value } : "Must be an http(s) URL.";
    }
    case "email":
      return typeof value === "string" && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)
        ? { value: value.toLowerCase() }
        : "Must be an email address.";
    case "phone": {
      const e164 = typeof value === "string" ? toE164(value, region) : null;
      return e164 ? { value: e164 } : "Must be a phone number.";
    }
  }
}

function isIsoDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
}

function safeRegExp(pattern: string): RegExp | null {
  try {
    return new RegExp(`^(?:${pattern})$`, "u");
  } catch {
    return null;
  }
}

// ---- The record config: what a write validates against, cached per database and object. ----

export interface RecordConfig {
  region: string;
  definitions: CustomFieldDefinition[];
  /** The configuration's fingerprint as `configStampSql` computes it. */
  stamp: string;
}

function configStampSql(object: CustomFieldObject): SQL {
  return sql`((select count(*) || ':' || coalesce(sum(updated_at), 0) from custom_field_definitions where object = ${object})
    || '|' || coalesce((select value from settings where key = 'defaultPhoneRegion'), ''))`;
}

/** A fresh database's configuration: no custom fields, the default region. */
const INITIAL: RecordConfig = { region: DEFAULT_SETTINGS.defaultPhoneRegion, definitions: [], stamp: "0:0|" };
const cache = new Map<string, RecordConfig>();

/** The cached configuration of `object` in the database at `databaseUrl`. */
export function cachedRecordConfig(databaseUrl: string, object: CustomFieldObject): RecordConfig {
  return cache.get(`${databaseUrl}|${object}`) ?? INITIAL;
}

/** A batch statement that aborts the batch ('stale_config') unless the configuration is still `config`. */
export function configGuard(db: Database, object: CustomFieldObject, config: RecordConfig) {
  return db.run(
    sql`insert into access_guard (denied) select case when ${configStampSql(object)} = ${config.stamp} then null else 'stale_config' end`,
  );
}

export function isStaleConfig(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 6; e = e.cause, depth++) {
    if (e.message.includes("access_guard:stale_config")) return true;
  }
  return false;
}

/** Reads the configuration afresh (one round trip) and caches it. */
/** The queries that read a record type's configuration, to run in whatever batch the caller makes. */
export function recordConfigQueries(db: Database, object: CustomFieldObject) {
  return [
    customFieldsQuery(db, object),
    db.all<{ stamp: string; region: string | null }>(
      sql`select ${configStampSql(object)} as stamp, (select value from settings where key = 'defaultPhoneRegion') as region`,
    ),
  ] as const;
}

type ConfigResults = readonly [
  Awaited<ReturnType<typeof customFieldsQuery>>,
  { stamp: string; region: string | null }[],
];

/** Builds the configuration from what recordConfigQueries read, and caches it for this isolate. */
export function storeRecordConfig(
  databaseUrl: string,
  object: CustomFieldObject,
  [rows, stamps]: ConfigResults,
): RecordConfig {
  const stamp = stamps[0];
  const config: RecordConfig = {
    region: toSettings(stamp?.region ? [{ key: "defaultPhoneRegion", value: stamp.region }] : [])
      .defaultPhoneRegion,
    definitions: rows.map(toDefinition),
    stamp: stamp?.stamp ?? "",
  };
  cache.set(`${databaseUrl}|${object}`, config);
  return config;
}

export async function loadRecordConfig(
  db: Database,
  databaseUrl: string,
  object: CustomFieldObject,
): Promise<RecordConfig> {
  return storeRecordConfig(databaseUrl, object, await db.batch(recordConfigQueries(db, object)));
}

/**
 * Runs a write validated against the cached configuration; when its batch finds the cache stale, reads the
 * configuration and runs it once more. The cache is current almost always, so the write costs one round trip;
 * after an admin changed a definition or the region, the first write in each isolate costs three.
 */
export async function withRecordConfig<T>(
  db: Database,
  databaseUrl: string,
  object: CustomFieldObject,
  write: (config: RecordConfig) => Promise<T>,
  /** Input refused against the cached configuration, which fresh configuration might accept (e.g. a new field). */
  refusedInput: (error: unknown) => boolean = () => false,
  /** Reads fresh configuration; a route passes one that also checks the caller in the same round trip. */
  load: () => Promise<RecordConfig> = () => loadRecordConfig(db, databaseUrl, object),
): Promise<T> {
  try {
    return await write(cachedRecordConfig(databaseUrl, object));
  } catch (error) {
    // Refused input made no round trip yet, so reading the configuration keeps the request within one.
    if (!isStaleConfig(error) && !refusedInput(error)) throw error;
    return write(await load());
  }
}

// ---- Definition writes (admins). ----

export interface DefinitionInput {
  object: CustomFieldObject;
  key: string;
  label: string;
  type: CustomFieldType;
  required?: boolean | undefined;
  options?: string[] | undefined;
  validation?: FieldRules | undefined;
  position?: number | undefined;
}

export function insertDefinitionStatement(db: Database, input: DefinitionInput, now: number) {
  return db
    .insert(customFieldDefinitions)
    .values({
      id: newId(),
      object: input.object,
      key: input.key,
      label: input.label,
      type: input.type,
      required: input.required ?? false,
      options: JSON.stringify(input.options ?? []),
      validation: JSON.stringify(input.validation ?? {}),
      position: input.position ?? 0,
      createdAt: now,
      updatedAt: now,
    })
    .returning();
}

export type DefinitionPatch = Partial<
  Pick<DefinitionInput, "label" | "required" | "options" | "validation" | "position">
> & { archived?: boolean | undefined };

export function updateDefinitionStatement(db: Database, id: string, patch: DefinitionPatch, now: number) {
  return db
    .update(customFieldDefinitions)
    .set({
      ...(patch.label !== undefined ? { label: patch.label } : {}),
      ...(patch.required !== undefined ? { required: patch.required } : {}),
      ...(patch.options !== undefined ? { options: JSON.stringify(patch.options) } : {}),
      ...(patch.validation !== undefined ? { validation: JSON.stringify(patch.validation) } : {}),
      ...(patch.position !== undefined ? { position: patch.position } : {}),
      ...(patch.archived !== undefined ? { archivedAt: patch.archived ? now : null } : {}),
      updatedAt: now,
    })
    .where(eq(customFieldDefinitions.id, id))
    .returning();
}

/** Deleting a definition archives it: values stay on the records, hidden from validation and forms. */
export function archiveDefinitionStatement(db: Database, id: string, now: number) {
  return db
    .update(customFieldDefinitions)
    .set({ archivedAt: now, updatedAt: now })
    .where(and(eq(customFieldDefinitions.id, id)))
    .returning({ id: customFieldDefinitions.id });
}
