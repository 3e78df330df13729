// Webhook sources: the statements of the admin API (create, replace parts, archive, restore, add and retire a
// secret) and the reads of the edge and the consumer. Secrets live in their own column as a JSON list, newest
// first, at most two; only the edge and the consumer read their values, the API shows hints.
import { and, desc, eq, isNotNull, isNull, lt, type SQL, sql } from "drizzle-orm";
import type { Database } from "../client.ts";
import { newId } from "../ids.ts";
import { rowsForPage } from "../paging.ts";
import { type WebhookVerification, webhookSources } from "../schema/index.ts";
import { insertWhere } from "../statements.ts";

export type SourceRow = typeof webhookSources.$inferSelect;

export interface StoredSecret {
  id: string;
  value: string;
  createdAt: number;
}

export const MAX_SECRETS = 2;

export function parseSecrets(row: Pick<SourceRow, "secrets">): StoredSecret[] {
  const parsed: unknown = JSON.parse(row.secrets);
  return Array.isArray(parsed) ? (parsed as StoredSecret[]) : [];
}

/** What the API shows of a secret: never its value, only its end when it is long enough to spare it. */
export function secretHint(secret: StoredSecret): { id: string; hint: string; createdAt: number } {
  const hint = secret.value.length >= 20 ? `…${secret.value.slice(-4)}` : "…";
  return { id: secret.id, hint, createdAt: secret.createdAt };
}

export function newSecret(value: string, now: number): StoredSecret {
  return { id: newId(), value, createdAt: now };
}

export interface SourceValues {
  name: string;
  verification: WebhookVerification;
  verificationConfig: Record<string, unknown>;
  mapping: unknown;
  preset: string | null;
  attribution: unknown;
  defaultOwnerId: string | null;
  retentionDays: number;
}

export function sourceQuery(db: Database, id: string) {
  return db.select().from(webhookSources).where(eq(webhookSources.id, id));
}

/** A rule a write must meet, checked in SQL in the write's own batch: named, and said in words when it fails. */
export interface SourceRule {
  name: string;
  path: string;
  message: string;
  holds: SQL;
}

function sourceRules(values: Partial<SourceValues>): SourceRule[] {
  const out: SourceRule[] = [];
  if (values.defaultOwnerId) {
    out.push({
      name: "ownerOk",
      path: "defaultOwnerId",
      message: "No active user with this id.",
      holds: sql`exists (select 1 from users where id = ${values.defaultOwnerId} and active = 1)`,
    });
  }
  const formId = (values.attribution as { formId?: string | null } | undefined)?.formId;
  if (formId) {
    out.push({
      name: "formOk",
      path: "attribution.formId",
      message: "No form with this id.",
      holds: sql`exists (select 1 from forms where id = ${formId})`,
    });
  }
  return out;
}

function checkQuery(db: Database, rules: SourceRule[]) {
  const columns =
    rules.length === 0
      ? sql`1 as ok`
      : sql.join(
          rules.map((rule) => sql`(${rule.holds}) as ${sql.identifier(rule.name)}`),
          sql`, `,
        );
  return db.all<Record<string, unknown>>(sql`select ${columns}`);
}

function allHold(rules: SourceRule[]): SQL {
  return rules.length === 0
    ? sql`1`
    : sql.join(
        rules.map((rule) => sql`(${rule.holds})`),
        sql` and `,
      );
}

/** The rules that failed, from the flags the check read. */
export function failedSourceRules(
  rules: SourceRule[],
  flags: Record<string, unknown> | undefined,
): SourceRule[] {
  return rules.filter((rule) => flags?.[rule.name] !== 1 && flags?.[rule.name] !== true);
}

/** The rules' flags, then the insert (only when they all hold), returning the row. */
export function createSourceStatements(
  db: Database,
  id: string,
  values: SourceValues,
  secret: StoredSecret,
  now: number,
) {
  const rules = sourceRules(values);
  return {
    rules,
    statements: [
      checkQuery(db, rules),
      insertWhere(
        db,
        webhookSources,
        {
          id,
          name: values.name,
          verification: values.verification,
          verificationConfig: JSON.stringify(values.verificationConfig),
          secrets: JSON.stringify([secret]),
          mapping: JSON.stringify(values.mapping),
          preset: values.preset,
          attribution: JSON.stringify(values.attribution),
          defaultOwnerId: values.defaultOwnerId,
          retentionDays: values.retentionDays,
          createdAt: now,
          updatedAt: now,
        },
        allHold(rules),
      ).returning(),
    ] as const,
  };
}

export type SourceState = "live" | "archived" | "all";

/** Newest first, keyset-paged on the time-ordered id. */
export function listSourcesQuery(
  db: Database,
  filter: { state: SourceState; before?: string | undefined; limit: number },
) {
  const state: SQL | undefined =
    filter.state === "live"
      ? isNull(webhookSources.archivedAt)
      : filter.state === "archived"
        ? isNotNull(webhookSources.archivedAt)
        : undefined;
  return db
    .select()
    .from(webhookSources)
    .where(and(state, filter.before ? lt(webhookSources.id, filter.before) : undefined))
    .orderBy(desc(webhookSources.id))
    .limit(rowsForPage(filter.limit));
}

export type SourcePatch = Partial<SourceValues>;

/**
 * The rules' flags, the update (only when If-Match, if given, names the current version and the rules hold),
 * and the row as it is, to tell 404 from 412 from 422.
 */
export function updateSourceStatements(
  db: Database,
  id: string,
  patch: SourcePatch,
  ifMatch: number | null,
  now: number,
) {
  // A source keeps its kind (its secrets were made for it): settings for another kind change nothing.
  const rules = sourceRules(patch);
  const set: Record<string, unknown> = { version: sql`${webhookSources.version} + 1`, updatedAt: now };
  if (patch.name !== undefined) set.name = patch.name;
  if (patch.verificationConfig !== undefined)
    set.verificationConfig = JSON.stringify(patch.verificationConfig);
  if (patch.mapping !== undefined) set.mapping = JSON.stringify(patch.mapping);
  if (patch.attribution !== undefined) set.attribution = JSON.stringify(patch.attribution);
  if (patch.defaultOwnerId !== undefined) set.defaultOwnerId = patch.defaultOwnerId;
  if (patch.retentionDays !== undefined) set.retentionDays = patch.retentionDays;
  return {
    rules,
    statements: [
      checkQuery(db, rules),
      db
        .update(webhookSources)
        .set(set)
        .where(
          and(
            eq(webhookSources.id, id),
            ifMatch === null ? undefined : eq(webhookSources.version, ifMatch),
            patch.verification === undefined
              ? undefined
              : eq(webhookSources.verification, patch.verification),
            allHold(rules),
          ),
        )
        .returning(),
      sourceQuery(db, id),
    ] as const,
  };
}

export function archiveSourceStatement(db: Database, id: string, now: number) {
  return db
    .update(webhookSources)
    .set({ archivedAt: now, updatedAt: now, version: sql`${webhookSources.version} + 1` })
    .where(and(eq(webhookSources.id, id), isNull(webhookSources.archivedAt)))
    .returning();
}

export function restoreSourceStatement(db: Database, id: string, now: number) {
  return db
    .update(webhookSources)
    .set({ archivedAt: null, updatedAt: now, version: sql`${webhookSources.version} + 1` })
    .where(eq(webhookSources.id, id))
    .returning();
}

/** A new secret for each kind a source may have (null where the given one does not fit that kind). */
export type SecretCandidates = Record<WebhookVerification, StoredSecret | null>;

/**
 * Adds a secret as the newest; the current one stays as the second, so deliveries signed with either pass
 * while the sender switches. The candidate for the source's kind is taken, in SQL (the kind is read in the
 * same statement). Nothing changes when two are held already (retire one first) or no candidate fits.
 */
export function addSecretStatement(db: Database, id: string, candidates: SecretCandidates, now: number) {
  const chosen = sql`(case ${webhookSources.verification} ${sql.join(
    Object.entries(candidates).map(
      ([kind, secret]) => sql`when ${kind} then ${secret === null ? null : JSON.stringify(secret)}`,
    ),
    sql` `,
  )} end)`;
  return db
    .update(webhookSources)
    .set({
      secrets: sql`json_array(json(${chosen}), json(json_extract(${webhookSources.secrets}, '$[0]')))`,
      version: sql`${webhookSources.version} + 1`,
      updatedAt: now,
    })
    .where(
      and(
        eq(webhookSources.id, id),
        sql`json_array_length(${webhookSources.secrets}) = 1`,
        sql`${chosen} is not null`,
      ),
    )
    .returning();
}

/** Retires one of two secrets; the last one cannot go (a source always verifies). */
export function retireSecretStatement(db: Database, id: string, secretId: string, now: number) {
  return db
    .update(webhookSources)
    .set({
      secrets: sql`(select json_group_array(json(s.value)) from json_each(${webhookSources.secrets}) s
        where json_extract(s.value, '$.id') != ${secretId})`,
      version: sql`${webhookSources.version} + 1`,
      updatedAt: now,
    })
    .where(
      and(
        eq(webhookSources.id, id),
        sql`json_array_length(${webhookSources.secrets}) = 2`,
        sql`exists (select 1 from json_each(${webhookSources.secrets}) s where json_extract(s.value, '$.id') = ${secretId})`,
      ),
    )
    .returning();
}
