// Batch upsert of companies by domain, in one batch: each item validated in JS against the cached
// configuration, then one INSERT … ON CONFLICT (domain) DO UPDATE … WHERE the caller may write the existing
// company … RETURNING, and a read-back saying why an item did not land. Items without a domain are created.
import { type SQL, sql } from "drizzle-orm";
import type { BatchItem as Statement } from "drizzle-orm/batch";
import { type CallerRef, callerUserId, canWriteRecord } from "../caller.ts";
import type { Database } from "../client.ts";
import { type CustomFieldError, configGuard, type RecordConfig } from "../custom-fields.ts";
import { newId } from "../ids.ts";
import { companies } from "../schema/index.ts";
import { insertWhere, type WriteContext } from "../statements.ts";
import {
  type CompanyColumns,
  type CompanyInput,
  CompanyInvalid,
  companyColumns,
  firstTeamOf,
  ownerValid,
  teamValid,
} from "./writes.ts";

export type BatchItemResult =
  | { index: number; status: "created" | "updated"; id: string }
  | { index: number; status: "error"; errors: CustomFieldError[] };

/** An item as the route parsed it: its input, or the errors that refused it before any SQL. */
export type BatchItem = { input: CompanyInput } | { errors: CustomFieldError[] };

interface Planned {
  index: number;
  id: string;
  /** Why the item could not be created (a missing name or required field): it may only update. */
  createErrors: CustomFieldError[];
}

/** `col = excluded.col` for each column the item sets, so an update changes only what the item sends. */
function excludedSet(set: CompanyColumns): Record<string, SQL> {
  const out: Record<string, SQL> = {};
  for (const key of Object.keys(set) as (keyof typeof companies.$inferInsert)[]) {
    out[key] = sql.raw(`excluded.${key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`);
  }
  return out;
}

function columnsOrErrors(input: CompanyInput, config: RecordConfig, partial: boolean) {
  try {
    return { ...companyColumns(input, config, partial), errors: [] as CustomFieldError[] };
  } catch (error) {
    if (error instanceof CompanyInvalid) return { set: null, custom: null, errors: error.errors };
    throw error;
  }
}

/**
 * The statements of a batch upsert and a function reading each item's outcome from the batch results. Items
 * refused in JS get no statements.
 */
export function upsertCompanies(db: Database, items: BatchItem[], config: RecordConfig, ctx: WriteContext) {
  const early: BatchItemResult[] = [];
  const plans: { plan: Planned; build: (me: CallerRef) => Statement<"sqlite">[] }[] = [];
  items.forEach((item, index) => {
    if ("errors" in item) {
      early.push({ index, status: "error", errors: item.errors });
      return;
    }
    const { input } = item;
    const update = columnsOrErrors(input, config, true);
    if (!update.set) {
      early.push({ index, status: "error", errors: update.errors });
      return;
    }
    const create = columnsOrErrors(input, config, false);
    const domain = update.set.domain ?? null;
    if (create.errors.length > 0 && !domain) {
      early.push({ index, status: "error", errors: create.errors });
      return;
    }
    const id = newId();
    const plan: Planned = { index, id, createErrors: create.errors };
    const set = { ...update.set };
    if (input.ownerId !== undefined) set.ownerId = input.ownerId;
    if (input.teamId !== undefined) set.teamId = input.teamId;
    plans.push({
      plan,
      build: (me) => {
        const owner = input.ownerId ? sql`${input.ownerId}` : callerUserId(me);
        const live = sql`(select id from companies where domain = ${domain} and deleted_at is null)`;
        const refsOk = sql`(${ownerValid(owner)} and ${teamValid(input.teamId)})`;
        const insertable = create.errors.length > 0 ? sql`(${refsOk} and ${live} is not null)` : refsOk;
        const insert = insertWhere(
          db,
          companies,
          {
            ...(update.set as Partial<typeof companies.$inferInsert>),
            // A row that exists only to reach the update path still needs a name; the update keeps the old one.
            name: (create.set?.name as string | undefined) ?? (update.set?.name as string | undefined) ?? "",
            id,
            custom: JSON.stringify(update.custom ?? {}),
            ownerId: owner,
            teamId: input.teamId ? sql`${input.teamId}` : firstTeamOf(owner),
            createdAt: ctx.now,
            updatedAt: ctx.now,
          },
          insertable,
        );
        const upsert = (
          domain
            ? insert.onConflictDoUpdate({
                target: companies.domain,
                targetWhere: sql`deleted_at is null and domain is not null`,
                set: {
                  ...excludedSet(set),
                  custom: sql`json_patch(${companies.custom}, excluded.custom)`,
                  version: sql`${companies.version} + 1`,
                  updatedAt: ctx.now,
                },
                setWhere: sql`${canWriteRecord(me, companies.ownerId, companies.teamId)}
                  and ${input.ownerId ? ownerValid(input.ownerId) : sql`1`} and ${teamValid(input.teamId)}`,
              })
            : insert
        ).returning({ id: companies.id });
        const why = db.all<{ existing: string | null; ownerOk: number; teamOk: number }>(
          sql`select ${domain ? live : sql`null`} as existing, ${ownerValid(owner)} as ownerOk, ${teamValid(input.teamId)} as teamOk`,
        );
        return [upsert, why];
      },
    });
  });

  const build = (me: CallerRef) =>
    [
      configGuard(db, "company", config),
      ...plans.flatMap(({ build }) => build(me)),
    ] as readonly Statement<"sqlite">[];

  /** Each item's outcome, in item order, from the batch results (after the config guard). */
  const outcomes = (results: readonly unknown[]): BatchItemResult[] => {
    const out = [...early];
    plans.forEach(({ plan }, i) => {
      const returned = results[1 + i * 2] as { id: string }[];
      const why = (results[2 + i * 2] as { existing: string | null; ownerOk: number; teamOk: number }[])[0];
      const row = returned[0];
      if (row) {
        out.push({ index: plan.index, status: row.id === plan.id ? "created" : "updated", id: row.id });
        return;
      }
      const errors: CustomFieldError[] = [];
      if (!why?.ownerOk) errors.push({ path: "ownerId", message: "No active user with this id." });
      if (!why?.teamOk) errors.push({ path: "teamId", message: "No such team." });
      if (errors.length === 0 && why?.existing) {
        errors.push({ path: "domain", message: "A company you may not change has this domain." });
      }
      if (errors.length === 0) errors.push(...plan.createErrors);
      out.push({ index: plan.index, status: "error", errors });
    });
    return out.sort((a, b) => a.index - b.index);
  };

  return { build, outcomes };
}
