// Batch upsert of contacts by primary email, in one batch: each item validated in JS against the cached
// configuration, then one INSERT … ON CONFLICT (email) DO UPDATE … WHERE the caller may write the existing
// contact … RETURNING, its tags, and a read-back saying why an item did not land. Items without an email are
// created.
import { type SQL, sql } from "drizzle-orm";
import type { BatchItem as Statement } from "drizzle-orm/batch";
import { type CallerRef, callerUserId, canWriteRecord } from "../caller.ts";
import type { Database } from "../client.ts";
import { firstTeamOf, ownerValid } from "../companies/writes.ts";
import { type CustomFieldError, configGuard, type RecordConfig } from "../custom-fields.ts";
import { newId } from "../ids.ts";
import { contacts } from "../schema/index.ts";
import { insertWhere, type WriteContext } from "../statements.ts";
import { type ContactInput, ContactInvalid, contactColumns } from "./writes.ts";

export type ContactBatchResult =
  | { index: number; status: "created" | "updated"; id: string }
  | { index: number; status: "error"; errors: CustomFieldError[] };

export type ContactBatchItem = { input: ContactInput } | { errors: CustomFieldError[] };

type Columns = ReturnType<typeof contactColumns>;

function columnsOrErrors(input: ContactInput, config: RecordConfig, partial: boolean, now: number) {
  try {
    return { columns: contactColumns(input, config, partial, now) as Columns | null, errors: [] };
  } catch (error) {
    if (error instanceof ContactInvalid) return { columns: null, errors: error.errors };
    throw error;
  }
}

/** `col = excluded.col` for each column the item sets, so an update changes only what the item sends. */
function excludedSet(keys: string[]): Record<string, SQL> {
  const out: Record<string, SQL> = {};
  for (const key of keys)
    out[key] = sql.raw(`excluded.${key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`);
  return out;
}

function refsValid(companyId: unknown, teamId: unknown): SQL {
  const company = companyId
    ? sql`exists (select 1 from companies where id = ${companyId} and deleted_at is null)`
    : sql`1`;
  const team = teamId ? sql`exists (select 1 from teams where id = ${teamId})` : sql`1`;
  return sql`(${company} and ${team})`;
}

interface WhyRow {
  existing: string | null;
  ownerOk: number;
  refsOk: number;
}

export function upsertContacts(
  db: Database,
  items: ContactBatchItem[],
  config: RecordConfig,
  ctx: WriteContext,
) {
  const early: ContactBatchResult[] = [];
  const plans: {
    index: number;
    id: string;
    createErrors: CustomFieldError[];
    /** How many statements the item adds to the batch: its timeline entries, the upsert, its tags, the read-back. */
    size: number;
    /** How many of them come before the upsert. */
    before: number;
    build: (me: CallerRef) => Statement<"sqlite">[];
  }[] = [];

  items.forEach((item, index) => {
    if ("errors" in item) {
      early.push({ index, status: "error", errors: item.errors });
      return;
    }
    const { input } = item;
    const update = columnsOrErrors(input, config, true, ctx.now);
    if (!update.columns) {
      early.push({ index, status: "error", errors: update.errors });
      return;
    }
    const create = columnsOrErrors(input, config, false, ctx.now);
    const email = (update.columns.set.email as string | null | undefined) ?? null;
    if (create.errors.length > 0 && !email) {
      early.push({ index, status: "error", errors: create.errors });
      return;
    }
    const id = newId();
    const set = { ...update.columns.set };
    if (input.ownerId !== undefined) set.ownerId = input.ownerId;
    if (input.teamId !== undefined) set.teamId = input.teamId;
    const tags = update.columns.tags;
    // Owner and lifecycle changes of an existing contact reach its timeline, as a PATCH's do.
    const changes = email
      ? (
          [
            ["owner_change", "owner_id", input.ownerId],
            ["lifecycle_change", "lifecycle_stage", input.lifecycleStage],
          ] as const
        ).filter(([, , to]) => to !== undefined)
      : [];
    plans.push({
      index,
      id,
      createErrors: create.errors,
      size: 2 + changes.length + (tags === undefined ? 0 : 1 + tags.length),
      before: changes.length,
      build: (me) => {
        const owner = input.ownerId ? sql`${input.ownerId}` : callerUserId(me);
        const live = sql`(select id from contacts where email = ${email} and deleted_at is null)`;
        const refsOk = sql`(${ownerValid(owner)} and ${refsValid(set.companyId, input.teamId)})`;
        const insertable = create.errors.length > 0 ? sql`(${refsOk} and ${live} is not null)` : refsOk;
        const insert = insertWhere(
          db,
          contacts,
          {
            ...((create.columns?.set ?? set) as Partial<typeof contacts.$inferInsert>),
            // A row that exists only to reach the update path still needs a name; the update keeps the old one.
            name: (create.columns?.set.name as string | undefined) ?? email ?? "",
            id,
            custom: JSON.stringify(update.columns?.custom ?? {}),
            ownerId: owner,
            teamId: input.teamId ? sql`${input.teamId}` : firstTeamOf(owner),
            createdAt: ctx.now,
            updatedAt: ctx.now,
          },
          insertable,
        );
        const timeline = changes.map(([type, column, to]) => {
          const col = sql.raw(`contacts.${column}`);
          return db.run(sql`insert into activities (id, type, occurred_at, actor_user_id, contact_id, metadata, created_at)
            select ${newId()}, ${type}, ${ctx.now}, ${callerUserId(me)}, contacts.id, json_object('from', ${col}, 'to', ${to}), ${ctx.now}
            from contacts where contacts.email = ${email} and contacts.deleted_at is null and ${col} is not ${to}
              and ${canWriteRecord(me, contacts.ownerId, contacts.teamId)}
              and ${input.ownerId ? ownerValid(input.ownerId) : sql`1`} and ${refsValid(set.companyId, input.teamId)}`);
        });
        const upsert = (
          email
            ? insert.onConflictDoUpdate({
                target: contacts.email,
                targetWhere: sql`deleted_at is null and email is not null`,
                set: {
                  ...excludedSet(Object.keys(set)),
                  custom: sql`json_patch(${contacts.custom}, excluded.custom)`,
                  version: sql`${contacts.version} + 1`,
                  updatedAt: ctx.now,
                },
                setWhere: sql`${canWriteRecord(me, contacts.ownerId, contacts.teamId)}
                  and ${input.ownerId ? ownerValid(input.ownerId) : sql`1`}
                  and ${refsValid(set.companyId, input.teamId)}`,
              })
            : insert
        ).returning({ id: contacts.id });
        // The contact this item just wrote: the new one, or the live one with its email touched at `now`.
        const written = sql`(select id from contacts where id = ${id} or (${email} is not null and email = ${email} and deleted_at is null and updated_at = ${ctx.now}))`;
        const tagStatements =
          tags === undefined
            ? []
            : [
                db.run(sql`delete from contact_tags where contact_id in ${written}`),
                ...tags.map((tag) =>
                  db.run(
                    sql`insert or ignore into contact_tags (contact_id, tag) select id, ${tag} from ${written}`,
                  ),
                ),
              ];
        const why = db.all<WhyRow>(
          sql`select ${email ? live : sql`null`} as existing, ${ownerValid(owner)} as ownerOk,
            ${refsValid(set.companyId, input.teamId)} as refsOk`,
        );
        return [...timeline, upsert, ...tagStatements, why];
      },
    });
  });

  const build = (me: CallerRef) =>
    [
      configGuard(db, "contact", config),
      ...plans.flatMap((p) => p.build(me)),
    ] as readonly Statement<"sqlite">[];

  /** Each item's outcome, in item order, from the batch results (after the config guard). */
  const outcomes = (results: readonly unknown[]): ContactBatchResult[] => {
    const out = [...early];
    let at = 1;
    for (const plan of plans) {
      const size = plan.size;
      const returned = results[at + plan.before] as { id: string }[];
      const why = (results[at + size - 1] as WhyRow[])[0];
      at += size;
      const row = returned[0];
      if (row) {
        out.push({ index: plan.index, status: row.id === plan.id ? "created" : "updated", id: row.id });
        continue;
      }
      const errors: CustomFieldError[] = [];
      if (!why?.ownerOk) errors.push({ path: "ownerId", message: "No active user with this id." });
      if (!why?.refsOk) errors.push({ path: "companyId", message: "No such company or team." });
      if (errors.length === 0 && why?.existing) {
        errors.push({ path: "emails.0", message: "A contact you may not change has this email." });
      }
      if (errors.length === 0) errors.push(...plan.createErrors);
      out.push({ index: plan.index, status: "error", errors });
    }
    return out.sort((a, b) => a.index - b.index);
  };

  return { build, outcomes };
}
