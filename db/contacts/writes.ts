// Writing contacts, each write one batch: create, update (If-Match, owner and lifecycle activities), soft
// delete, restore. Conditions inside the statements decide; reads at the end of the batch tell the caller why
// a write did not happen (404, 409 naming the other contact, 412, 422).
import { type SQL, sql } from "drizzle-orm";
import { type CallerRef, callerUserId, canWriteRecord } from "../caller.ts";
import type { Database } from "../client.ts";
import { type CustomFieldError, configGuard, type RecordConfig, validateCustom } from "../custom-fields.ts";
import { newId } from "../ids.ts";
import { restoreStatements, softDeleteStatements } from "../owned-records.ts";
import { toE164 } from "../phones.ts";
import { contacts, contactTags } from "../schema/index.ts";
import { insertWhere, type WriteContext } from "../statements.ts";
import { contactByIdQuery, type Utm } from "./queries.ts";

export interface ContactInput {
  name?: string | undefined;
  firstName?: string | null | undefined;
  lastName?: string | null | undefined;
  emails?: string[] | undefined;
  phones?: string[] | undefined;
  companyId?: string | null | undefined;
  jobTitle?: string | null | undefined;
  address?: string | null | undefined;
  lifecycleStage?: (typeof contacts.$inferInsert)["lifecycleStage"];
  leadStatus?: (typeof contacts.$inferInsert)["leadStatus"] | null;
  source?: string | null | undefined;
  firstTouch?: Utm | null | undefined;
  latestTouch?: Utm | null | undefined;
  ownerId?: string | undefined;
  teamId?: string | null | undefined;
  tags?: string[] | undefined;
  custom?: Record<string, unknown> | undefined;
  consent?: {
    email: "granted" | "withdrawn";
    at?: number | undefined;
    source?: string | null | undefined;
  } | null;
}

export class ContactInvalid extends Error {
  readonly errors: CustomFieldError[];
  constructor(errors: CustomFieldError[]) {
    super(errors.map((e) => `${e.path}: ${e.message}`).join("; "));
    this.errors = errors;
  }
}

type Columns = Partial<Record<keyof typeof contacts.$inferInsert, unknown>>;

/**
 * The columns an input sets, normalised: emails lower-cased without repeats (the first is primary), phones
 * in E.164 in the organisation's region, custom values checked against their definitions. Throws
 * ContactInvalid naming each bad field. `existingCustom` is merged into on updates, in SQL (json_patch).
 */
export function contactColumns(input: ContactInput, config: RecordConfig, partial: boolean, now: number) {
  const errors: CustomFieldError[] = [];
  const set: Columns = {};
  const copy = [
    "firstName",
    "lastName",
    "companyId",
    "jobTitle",
    "address",
    "lifecycleStage",
    "leadStatus",
    "source",
  ] as const;
  for (const key of copy) if (input[key] !== undefined) set[key] = input[key];
  if (input.name !== undefined) set.name = input.name;
  else if (!partial) {
    const composed = [input.firstName, input.lastName].filter(Boolean).join(" ");
    set.name = composed || input.emails?.[0] || "";
    if (!set.name) errors.push({ path: "name", message: "Give a name, a first or last name, or an email." });
  }
  if (input.emails !== undefined) {
    const emails = [...new Set(input.emails.map((e) => e.trim().toLowerCase()))];
    set.emails = JSON.stringify(emails);
    set.email = emails[0] ?? null;
  }
  if (input.phones !== undefined) {
    const phones: string[] = [];
    input.phones.forEach((phone, i) => {
      const e164 = toE164(phone, config.region);
      if (e164 === null) errors.push({ path: `phones.${i}`, message: `"${phone}" is not a phone number.` });
      else if (!phones.includes(e164)) phones.push(e164);
    });
    set.phones = JSON.stringify(phones);
    set.phone = phones[0] ?? null;
  }
  if (input.firstTouch !== undefined)
    set.firstTouch = input.firstTouch ? JSON.stringify(input.firstTouch) : null;
  if (input.latestTouch !== undefined)
    set.latestTouch = input.latestTouch ? JSON.stringify(input.latestTouch) : null;
  if (input.consent !== undefined) {
    set.emailConsent = input.consent?.email ?? null;
    set.consentAt = input.consent ? (input.consent.at ?? now) : null;
    set.consentSource = input.consent?.source ?? null;
  }
  const custom = validateCustom(config.definitions, input.custom ?? {}, { partial, region: config.region });
  errors.push(...custom.errors);
  if (errors.length > 0) throw new ContactInvalid(errors);
  return {
    set,
    custom: custom.values,
    tags: input.tags === undefined ? undefined : [...new Set(input.tags)],
  };
}

/** The team a new record lands in when none is given: the owner's first team. */
function firstTeamOf(owner: SQL): SQL {
  return sql`(select team_id from team_members where user_id = ${owner} order by team_id limit 1)`;
}

function emailFree(email: unknown, exceptId: string): SQL {
  return email
    ? sql`not exists (select 1 from contacts o where o.email = ${email} and o.deleted_at is null and o.id != ${exceptId})`
    : sql`1`;
}

function ownerValid(owner: SQL | string): SQL {
  return sql`exists (select 1 from users where id = ${owner} and active = 1)`;
}

function refsValid(set: Columns): SQL {
  const company = set.companyId
    ? sql`exists (select 1 from companies where id = ${set.companyId} and deleted_at is null)`
    : sql`1`;
  const team = set.teamId ? sql`exists (select 1 from teams where id = ${set.teamId})` : sql`1`;
  return sql`(${company} and ${team})`;
}

/** What the batch reads after a write that did not happen, to say why. */
function whyQuery(
  db: Database,
  me: CallerRef,
  id: string,
  email: unknown,
  owner: SQL | string | null,
  set: Columns,
) {
  return db.all<{
    visible: number;
    version: number | null;
    deleted: number | null;
    emailOwner: string | null;
    ownerOk: number;
    refsOk: number;
  }>(sql`select
      exists (select 1 from contacts c where c.id = ${id} and ${canWriteRecord(me, sql`c.owner_id`, sql`c.team_id`)}) as visible,
      (select version from contacts where id = ${id}) as version,
      (select deleted_at from contacts where id = ${id}) as deleted,
      ${email ? sql`(select o.id from contacts o where o.email = ${email} and o.deleted_at is null and o.id != ${id})` : sql`null`} as emailOwner,
      ${owner === null ? sql`1` : ownerValid(owner)} as ownerOk,
      ${refsValid(set)} as refsOk`);
}

export type WhyRow = Awaited<ReturnType<typeof whyQuery>>[number];

export type WriteFailure =
  | { kind: "not_found" }
  | { kind: "stale" }
  | { kind: "conflict"; contactId: string }
  | { kind: "invalid"; errors: CustomFieldError[] };

function failure(why: WhyRow | undefined, ifMatch: number | null, checkVisible: boolean): WriteFailure {
  if (!why) return { kind: "not_found" };
  if (checkVisible && !why.visible) return { kind: "not_found" };
  if (why.emailOwner) return { kind: "conflict", contactId: why.emailOwner };
  if (checkVisible && ifMatch !== null && why.version !== ifMatch) return { kind: "stale" };
  const errors: CustomFieldError[] = [];
  if (!why.ownerOk) errors.push({ path: "ownerId", message: "No active user with this id." });
  if (!why.refsOk) errors.push({ path: "companyId", message: "No such company or team." });
  return errors.length > 0 ? { kind: "invalid", errors } : { kind: "not_found" };
}

function tagInserts(db: Database, id: string, tags: string[], condition: SQL) {
  return tags.map((tag) => insertWhere(db, contactTags, { contactId: id, tag }, condition));
}

export function createContact(db: Database, input: ContactInput, config: RecordConfig, ctx: WriteContext) {
  const id = newId();
  const { set, custom, tags } = contactColumns(input, config, false, ctx.now);
  return (me: CallerRef) => {
    const owner = input.ownerId ? sql`${input.ownerId}` : callerUserId(me);
    const team = input.teamId ? sql`${input.teamId}` : firstTeamOf(owner);
    const applies = sql`(${ownerValid(owner)} and ${refsValid(set)} and ${emailFree(set.email, id)})`;
    const created = sql`exists (select 1 from contacts where id = ${id})`;
    const statements = [
      configGuard(db, "contact", config),
      insertWhere(
        db,
        contacts,
        {
          ...(set as Partial<typeof contacts.$inferInsert>),
          id,
          custom: JSON.stringify(custom),
          ownerId: owner,
          teamId: team,
          createdAt: ctx.now,
          updatedAt: ctx.now,
        },
        applies,
      ),
      ...tagInserts(db, id, tags ?? [], created),
      contactByIdQuery(db, id),
      whyQuery(db, me, id, set.email, owner, set),
    ] as const;
    return statements;
  };
}

/** The created contact, or why there is none. */
export function createdContact(results: readonly unknown[]) {
  const rows = results.at(-2) as Awaited<ReturnType<typeof contactByIdQuery>>;
  const why = (results.at(-1) as WhyRow[])[0];
  const row = rows[0];
  return row ? { row } : { failure: failure(why, null, false) };
}

export interface UpdateOptions {
  ifMatch: number | null;
}

export function updateContact(
  db: Database,
  id: string,
  input: ContactInput,
  config: RecordConfig,
  options: UpdateOptions,
  ctx: WriteContext,
) {
  const { set, custom, tags } = contactColumns(input, config, true, ctx.now);
  if (input.ownerId !== undefined) set.ownerId = input.ownerId;
  if (input.teamId !== undefined) set.teamId = input.teamId;
  return (me: CallerRef) => {
    const applies = sql`(contacts.id = ${id} and contacts.deleted_at is null
      and ${canWriteRecord(me, contacts.ownerId, contacts.teamId)}
      ${options.ifMatch === null ? sql`` : sql`and contacts.version = ${options.ifMatch}`}
      and ${input.ownerId ? ownerValid(input.ownerId) : sql`1`} and ${refsValid(set)} and ${emailFree(set.email, id)})`;
    const activity = (type: string, column: SQL, to: unknown) =>
      db.run(sql`insert into activities (id, type, occurred_at, actor_user_id, contact_id, metadata, created_at)
        select ${newId()}, ${type}, ${ctx.now}, ${callerUserId(me)}, contacts.id, json_object('from', ${column}, 'to', ${to}), ${ctx.now}
        from contacts where ${applies} and ${column} is not ${to}`);
    const customSet =
      Object.keys(custom).length > 0
        ? { custom: sql`json_patch(${contacts.custom}, ${JSON.stringify(custom)})` }
        : {};
    return [
      configGuard(db, "contact", config),
      ...(input.ownerId !== undefined
        ? [activity("owner_change", sql`contacts.owner_id`, input.ownerId)]
        : []),
      ...(input.lifecycleStage !== undefined
        ? [activity("lifecycle_change", sql`contacts.lifecycle_stage`, input.lifecycleStage)]
        : []),
      ...(tags !== undefined
        ? [
            db.run(
              sql`delete from contact_tags where contact_id = ${id} and exists (select 1 from contacts where ${applies})`,
            ),
            ...tagInserts(db, id, tags, sql`exists (select 1 from contacts where ${applies})`),
          ]
        : []),
      db
        .update(contacts)
        .set({
          ...(set as Partial<typeof contacts.$inferInsert>),
          ...customSet,
          version: sql`${contacts.version} + 1`,
          updatedAt: ctx.now,
        })
        .where(applies)
        .returning({ id: contacts.id }),
      contactByIdQuery(db, id),
      whyQuery(db, me, id, set.email, input.ownerId ?? null, set),
    ] as const;
  };
}

/** The updated contact, or why it was not updated. */
export function updatedContact(results: readonly unknown[], ifMatch: number | null) {
  const updated = results.at(-3) as { id: string }[];
  const rows = results.at(-2) as Awaited<ReturnType<typeof contactByIdQuery>>;
  const why = (results.at(-1) as WhyRow[])[0];
  const row = rows[0];
  if (updated.length > 0 && row) return { row };
  if (!why?.visible || why.deleted !== null) return { failure: { kind: "not_found" } as WriteFailure };
  return { failure: failure(why, ifMatch, true) };
}

/** Soft delete, with an audit entry (db/owned-records.ts). */
export function deleteContact(db: Database, id: string, ctx: WriteContext) {
  return (me: CallerRef) => softDeleteStatements(db, "contact", id, ctx, me);
}

/** Brings a deleted contact back (db/owned-records.ts): the update, the contact as it is, and why nothing changed. */
export function restoreContact(db: Database, id: string, ctx: WriteContext) {
  return (me: CallerRef) => {
    const { restore, why } = restoreStatements(db, "contact", id, ctx, me);
    return [restore, contactByIdQuery(db, id), why] as const;
  };
}
