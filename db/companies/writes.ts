// Writing companies, each write one batch: create, update (If-Match), soft delete, restore. Conditions inside
// the statements decide; reads at the end of the batch tell the caller why a write did not happen (404, 409
// naming the company that has the domain, 412, 422).
import { type SQL, sql } from "drizzle-orm";
import { type CallerRef, callerUserId, canWriteRecord } from "../caller.ts";
import type { Database } from "../client.ts";
import { type CustomFieldError, configGuard, type RecordConfig, validateCustom } from "../custom-fields.ts";
import { newId } from "../ids.ts";
import { restoreStatements, softDeleteStatements } from "../owned-records.ts";
import { companies } from "../schema/index.ts";
import { insertWhere, type WriteContext } from "../statements.ts";
import { normalizeDomain } from "./domain.ts";
import { companyByIdQuery } from "./queries.ts";

export interface CompanyInput {
  name?: string | undefined;
  domain?: string | null | undefined;
  industry?: string | null | undefined;
  size?: string | null | undefined;
  country?: string | null | undefined;
  ownerId?: string | undefined;
  teamId?: string | null | undefined;
  custom?: Record<string, unknown> | undefined;
}

export class CompanyInvalid extends Error {
  readonly errors: CustomFieldError[];
  constructor(errors: CustomFieldError[]) {
    super(errors.map((e) => `${e.path}: ${e.message}`).join("; "));
    this.errors = errors;
  }
}

export type CompanyColumns = Partial<Record<keyof typeof companies.$inferInsert, unknown>>;

/** The columns an input sets, the domain normalised and custom values checked. Throws CompanyInvalid. */
export function companyColumns(input: CompanyInput, config: RecordConfig, partial: boolean) {
  const errors: CustomFieldError[] = [];
  const set: CompanyColumns = {};
  for (const key of ["name", "industry", "size", "country"] as const) {
    if (input[key] !== undefined) set[key] = input[key];
  }
  if (!partial && !input.name) errors.push({ path: "name", message: "Required." });
  if (input.domain !== undefined) {
    set.domain = input.domain === null || input.domain.trim() === "" ? null : normalizeDomain(input.domain);
    if (input.domain && set.domain === null) {
      errors.push({ path: "domain", message: `"${input.domain}" is not a domain name.` });
    }
  }
  const custom = validateCustom(config.definitions, input.custom ?? {}, { partial, region: config.region });
  errors.push(...custom.errors);
  if (errors.length > 0) throw new CompanyInvalid(errors);
  return { set, custom: custom.values };
}

/** The team a new record lands in when none is given: the owner's first team. */
export function firstTeamOf(owner: SQL): SQL {
  return sql`(select team_id from team_members where user_id = ${owner} order by team_id limit 1)`;
}

export function ownerValid(owner: SQL | string): SQL {
  return sql`exists (select 1 from users where id = ${owner} and active = 1)`;
}

export function teamValid(team: unknown): SQL {
  return team ? sql`exists (select 1 from teams where id = ${team})` : sql`1`;
}

function domainFree(domain: unknown, exceptId: string): SQL {
  return domain
    ? sql`not exists (select 1 from companies o where o.domain = ${domain} and o.deleted_at is null and o.id != ${exceptId})`
    : sql`1`;
}

/** What the batch reads after a write that did not happen, to say why. */
function whyQuery(
  db: Database,
  me: CallerRef,
  id: string,
  domain: unknown,
  owner: SQL | string | null,
  team: unknown,
) {
  return db.all<{
    visible: number;
    version: number | null;
    deleted: number | null;
    domainOwner: string | null;
    ownerOk: number;
    teamOk: number;
  }>(sql`select
      exists (select 1 from companies c where c.id = ${id} and ${canWriteRecord(me, sql`c.owner_id`, sql`c.team_id`)}) as visible,
      (select version from companies where id = ${id}) as version,
      (select deleted_at from companies where id = ${id}) as deleted,
      ${domain ? sql`(select o.id from companies o where o.domain = ${domain} and o.deleted_at is null and o.id != ${id})` : sql`null`} as domainOwner,
      ${owner === null ? sql`1` : ownerValid(owner)} as ownerOk,
      ${teamValid(team)} as teamOk`);
}

type WhyRow = Awaited<ReturnType<typeof whyQuery>>[number];

export type CompanyWriteFailure =
  | { kind: "not_found" }
  | { kind: "stale" }
  | { kind: "conflict"; companyId: string }
  | { kind: "invalid"; errors: CustomFieldError[] };

function failure(
  why: WhyRow | undefined,
  ifMatch: number | null,
  checkVisible: boolean,
): CompanyWriteFailure {
  if (!why || (checkVisible && (!why.visible || why.deleted !== null))) return { kind: "not_found" };
  if (why.domainOwner) return { kind: "conflict", companyId: why.domainOwner };
  if (checkVisible && ifMatch !== null && why.version !== ifMatch) return { kind: "stale" };
  const errors: CustomFieldError[] = [];
  if (!why.ownerOk) errors.push({ path: "ownerId", message: "No active user with this id." });
  if (!why.teamOk) errors.push({ path: "teamId", message: "No such team." });
  return errors.length > 0 ? { kind: "invalid", errors } : { kind: "not_found" };
}

export function createCompany(db: Database, input: CompanyInput, config: RecordConfig, ctx: WriteContext) {
  const id = newId();
  const { set, custom } = companyColumns(input, config, false);
  return (me: CallerRef) => {
    const owner = input.ownerId ? sql`${input.ownerId}` : callerUserId(me);
    const team = input.teamId ? sql`${input.teamId}` : firstTeamOf(owner);
    const applies = sql`(${ownerValid(owner)} and ${teamValid(input.teamId)} and ${domainFree(set.domain, id)})`;
    return [
      configGuard(db, "company", config),
      insertWhere(
        db,
        companies,
        {
          ...(set as Partial<typeof companies.$inferInsert>),
          id,
          custom: JSON.stringify(custom),
          ownerId: owner,
          teamId: team,
          createdAt: ctx.now,
          updatedAt: ctx.now,
        },
        applies,
      ),
      companyByIdQuery(db, id),
      whyQuery(db, me, id, set.domain, owner, input.teamId),
    ] as const;
  };
}

/** The created company, or why there is none. */
export function createdCompany(results: readonly unknown[]) {
  const row = (results.at(-2) as Awaited<ReturnType<typeof companyByIdQuery>>)[0];
  const why = (results.at(-1) as WhyRow[])[0];
  if (row) return { row, failure: undefined };
  return { row: undefined, failure: failure(why, null, false) };
}

export function updateCompany(
  db: Database,
  id: string,
  input: CompanyInput,
  config: RecordConfig,
  options: { ifMatch: number | null },
  ctx: WriteContext,
) {
  const { set, custom } = companyColumns(input, config, true);
  if (input.ownerId !== undefined) set.ownerId = input.ownerId;
  if (input.teamId !== undefined) set.teamId = input.teamId;
  return (me: CallerRef) => {
    const applies = sql`(companies.id = ${id} and companies.deleted_at is null
      and ${canWriteRecord(me, companies.ownerId, companies.teamId)}
      ${options.ifMatch === null ? sql`` : sql`and companies.version = ${options.ifMatch}`}
      and ${input.ownerId ? ownerValid(input.ownerId) : sql`1`} and ${teamValid(input.teamId)}
      and ${domainFree(set.domain, id)})`;
    const customSet =
      Object.keys(custom).length > 0
        ? { custom: sql`json_patch(${companies.custom}, ${JSON.stringify(custom)})` }
        : {};
    return [
      configGuard(db, "company", config),
      db
        .update(companies)
        .set({
          ...(set as Partial<typeof companies.$inferInsert>),
          ...customSet,
          version: sql`${companies.version} + 1`,
          updatedAt: ctx.now,
        })
        .where(applies)
        .returning({ id: companies.id }),
      companyByIdQuery(db, id),
      whyQuery(db, me, id, set.domain, input.ownerId ?? null, input.teamId),
    ] as const;
  };
}

/** The updated company, or why it was not updated. */
export function updatedCompany(results: readonly unknown[], ifMatch: number | null) {
  const updated = results.at(-3) as { id: string }[];
  const row = (results.at(-2) as Awaited<ReturnType<typeof companyByIdQuery>>)[0];
  const why = (results.at(-1) as WhyRow[])[0];
  if (updated.length > 0 && row) return { row, failure: undefined };
  return { row: undefined, failure: failure(why, ifMatch, true) };
}

/** Soft delete, with an audit entry (db/owned-records.ts). */
export function deleteCompany(db: Database, id: string, ctx: WriteContext) {
  return (me: CallerRef) => softDeleteStatements(db, "company", id, ctx, me);
}

/** Brings a deleted company back (db/owned-records.ts): the update, the company as it is, and why nothing changed. */
export function restoreCompany(db: Database, id: string, ctx: WriteContext) {
  return (me: CallerRef) => {
    const { restore, why } = restoreStatements(db, "company", id, ctx, me);
    return [restore, companyByIdQuery(db, id), why] as const;
  };
}
