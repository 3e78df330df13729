// Deal writes, one batch each. A batch cannot read between its statements, so each write first reads the rule
// checks (to say what was wrong), then makes every change under the same SQL condition, and reads the result.
// A stage move closes the open stage-history row, opens a new one and writes a "stage_change" activity in the
// same batch as the deal update.
import { type SQL, sql } from "drizzle-orm";
import type { BatchResponse } from "drizzle-orm/batch";
import { activityValues } from "./activities.ts";
import { callerAuditStatement } from "./audit-queries.ts";
import { type CallerRef, callerUserId, canSeeRecord, canWriteRecord } from "./caller.ts";
import type { Database } from "./client.ts";
import { type DealView, readDealQuery, toDealView } from "./deals.ts";
import { ConflictError, NotFoundError } from "./errors.ts";
import { newId } from "./ids.ts";
import { type ForecastCategory, InvalidInputError } from "./pipelines.ts";
import { activities, dealContacts, dealStageHistory, deals } from "./schema/index.ts";
import { idList, insertWhere, type WriteContext } from "./statements.ts";

export interface DealFields {
  name?: string | undefined;
  amount?: number | undefined;
  currency?: string | undefined;
  expectedCloseDate?: string | null | undefined;
  companyId?: string | null | undefined;
  contactIds?: string[] | undefined;
  forecastOverride?: ForecastCategory | null | undefined;
  closeReason?: string | null | undefined;
  custom?: Record<string, unknown> | undefined;
  ownerId?: string | undefined;
  teamId?: string | null | undefined;
}

export interface DealCreate extends DealFields {
  name: string;
  amount: number;
  currency: string;
  pipelineId?: string | undefined;
  stageId?: string | undefined;
}

export interface DealPatch extends DealFields {
  pipelineId?: string | undefined;
  /** A stage change: the same as a move. */
  stageId?: string | undefined;
}

export interface DealWriteContext extends WriteContext {
  /** A version the write requires (If-Match), or null. */
  expectedVersion: number | null;
  /** A move: a stageId must be sent (checked once the deal is known to be visible). */
  requireStage?: boolean;
}

/** A rule as SQL and what to say when it fails. */
interface Rule {
  name: string;
  holds: SQL;
  fail: () => Error;
}

const truthy = (value: unknown) => value === 1 || value === true;

/** The first failing rule's error, from the flags the check query read. */
function failure(rules: Rule[], flags: Record<string, unknown>): Error | null {
  for (const rule of rules) if (!truthy(flags[rule.name])) return rule.fail();
  return null;
}

function checkColumns(rules: Rule[]): SQL {
  return sql.join(
    rules.map((rule) => sql`(${rule.holds}) as ${sql.identifier(rule.name)}`),
    sql`, `,
  );
}

function allHold(rules: Rule[]): SQL {
  return rules.length === 0
    ? sql`1`
    : sql.join(
        rules.map((rule) => sql`(${rule.holds})`),
        sql` and `,
      );
}

/** Rules on the records a deal links to, shared by create and update. */
function linkRules(me: CallerRef, input: DealFields): Rule[] {
  const rules: Rule[] = [];
  if (input.ownerId !== undefined) {
    rules.push({
      name: "ownerOk",
      holds: sql`exists (select 1 from users where id = ${input.ownerId} and active = 1)`,
      fail: () => new InvalidInputError("ownerId", "No active user with this id."),
    });
  }
  if (typeof input.teamId === "string") {
    rules.push({
      name: "teamOk",
      holds: sql`exists (select 1 from teams where id = ${input.teamId})`,
      fail: () => new InvalidInputError("teamId", "No team with this id."),
    });
  }
  if (typeof input.companyId === "string") {
    rules.push({
      name: "companyOk",
      holds: sql`exists (select 1 from companies c where c.id = ${input.companyId} and c.deleted_at is null
        and ${canSeeRecord(me, sql`c.owner_id`, sql`c.team_id`)})`,
      fail: () => new InvalidInputError("companyId", "No company with this id that you can see."),
    });
  }
  if (input.contactIds !== undefined && input.contactIds.length > 0) {
    rules.push({
      name: "contactsOk",
      holds: sql`(select count(*) from contacts c where c.id in (${idList(input.contactIds)}) and c.deleted_at is null
        and ${canSeeRecord(me, sql`c.owner_id`, sql`c.team_id`)}) = ${input.contactIds.length}`,
      fail: () =>
        new InvalidInputError("contactIds", "Some of these contacts do not exist or are not visible to you."),
    });
  }
  return rules;
}

/** A closing stage's reason: required when a deal enters a lost stage (see README: deals). */
function reasonRule(targetStage: SQL, reason: SQL): Rule {
  return {
    name: "reasonOk",
    holds: sql`coalesce((select outcome from stages where id = ${targetStage}), '') != 'lost'
      or length(trim(coalesce(${reason}, ''))) > 0`,
    fail: () =>
      new InvalidInputError(
        "closeReason",
        "Say why the deal was lost: closeReason is required for a lost stage.",
      ),
  };
}

function stageRules(targetStage: SQL, pipeline: SQL | null): Rule[] {
  return [
    {
      name: "stageExists",
      holds: sql`exists (select 1 from stages where id = ${targetStage})`,
      fail: () =>
        new InvalidInputError("stageId", "No stage with this id (or the pipeline has no open stage)."),
    },
    ...(pipeline
      ? [
          {
            name: "stageInPipeline",
            holds: sql`(select pipeline_id from stages where id = ${targetStage}) = ${pipeline}`,
            fail: () => new InvalidInputError("stageId", "This stage belongs to another pipeline."),
          },
        ]
      : []),
    {
      name: "stageOpen",
      holds: sql`exists (select 1 from stages st join pipelines p on p.id = st.pipeline_id
        where st.id = ${targetStage} and st.archived_at is null and p.archived_at is null)`,
      fail: () => new ConflictError("The stage or its pipeline is archived: deals cannot enter it."),
    },
  ];
}

function linkContacts(db: Database, dealId: string, contactIds: string[], condition: SQL) {
  return db
    .insert(dealContacts)
    .select(
      sql`select ${dealId}, c.id from contacts c where c.id in (${idList(contactIds)}) and ${condition}`,
    );
}

/** A new deal; the pipeline defaults to the first open one, the stage to its first open stage. */
export function createDeal(db: Database, input: DealCreate, ctx: WriteContext) {
  const id = newId();
  const { now } = ctx;
  const pipeline =
    input.pipelineId !== undefined
      ? sql`${input.pipelineId}`
      : input.stageId !== undefined
        ? sql`(select pipeline_id from stages where id = ${input.stageId})`
        : sql`(select id from pipelines where archived_at is null order by position, id limit 1)`;
  const stage =
    input.stageId !== undefined
      ? sql`${input.stageId}`
      : sql`(select id from stages where pipeline_id = ${pipeline} and archived_at is null order by position, id limit 1)`;
  let rules: Rule[] = [];
  const statements = (me: CallerRef) => {
    const owner = input.ownerId !== undefined ? sql`${input.ownerId}` : callerUserId(me);
    const team =
      input.teamId !== undefined
        ? sql`${input.teamId}`
        : sql`(select team_id from team_members where user_id = ${owner} order by is_lead desc, team_id limit 1)`;
    // With only a stageId the pipeline is the stage's: an unknown stage is the problem to name.
    const pipelineRule: Rule[] =
      input.pipelineId === undefined && input.stageId !== undefined
        ? []
        : [
            {
              name: "pipelineOk",
              holds: sql`exists (select 1 from pipelines where id = ${pipeline})`,
              fail: () => new InvalidInputError("pipelineId", "No pipeline with this id."),
            },
          ];
    rules = [
      ...pipelineRule,
      ...stageRules(stage, pipeline),
      reasonRule(stage, sql`${input.closeReason ?? null}`),
      ...linkRules(me, input),
      writableRule(me, owner, team),
    ];
    const created = sql`exists (select 1 from deals where id = ${id})`;
    const outcome = sql`(select outcome from stages where id = ${stage})`;
    return [
      db.all<Record<string, unknown>>(sql`select ${checkColumns(rules)}`),
      insertWhere(
        db,
        deals,
        {
          id,
          name: input.name,
          amount: input.amount,
          currency: input.currency,
          pipelineId: pipeline,
          stageId: stage,
          stageEnteredAt: now,
          status: sql`coalesce(${outcome}, 'open')`,
          expectedCloseDate: input.expectedCloseDate ?? null,
          closedAt: sql`case when ${outcome} is null then null else ${now} end`,
          companyId: input.companyId ?? null,
          forecastOverride: input.forecastOverride ?? null,
          closeReason: input.closeReason ?? null,
          custom: JSON.stringify(input.custom ?? {}),
          ownerId: owner,
          teamId: team,
          createdAt: now,
          updatedAt: now,
        },
        allHold(rules),
      ),
      linkContacts(db, id, input.contactIds ?? [], created),
      insertWhere(
        db,
        dealStageHistory,
        { id: newId(), dealId: id, stageId: stage, enteredAt: now, movedBy: callerUserId(me) },
        created,
      ),
      readDealQuery(db, me, id),
    ] as const;
  };
  return {
    statements,
    result(results: BatchResponse<ReturnType<typeof statements>>): DealView {
      const [flags, , , , rows] = results;
      const row = rows[0];
      if (row) return toDealView(row);
      throw failure(rules, flags[0] ?? {}) ?? new Error("The deal was not created, for no known reason.");
    },
  };
}

/** The caller must be able to work on the deal as it will be: no giving it away beyond their own reach. */
function writableRule(me: CallerRef, owner: SQL, team: SQL): Rule {
  return {
    name: "writable",
    holds: canWriteRecord(me, owner, team),
    fail: () =>
      new InvalidInputError(
        "ownerId",
        "You may not give a deal to an owner or team whose deals you cannot see.",
      ),
  };
}

/** The caller's If-Match names an older version: a 412 at the HTTP edge. */
export class StaleVersionError extends Error {
  override name = "StaleVersionError";
}

/** Rules every change to an existing deal `d` starts with: the caller may change it, at the version they read. */
function existingRules(me: CallerRef, expectedVersion: number | null): Rule[] {
  return [
    {
      name: "canWrite",
      holds: canWriteRecord(me, sql`d.owner_id`, sql`d.team_id`),
      fail: () => new NotFoundError("Not found"),
    },
    {
      name: "versionOk",
      holds: expectedVersion === null ? sql`1` : sql`d.version = ${expectedVersion}`,
      fail: () => new StaleVersionError("The deal was changed since you read it."),
    },
  ];
}

/** The flags of the rules over deal `d`, when the caller can see it (else no row: a 404). */
function checkQuery(db: Database, me: CallerRef, id: string, rules: Rule[], deleted: SQL) {
  return db.all<Record<string, unknown>>(
    sql`select ${checkColumns(rules)} from deals d where d.id = ${id} and ${deleted} and ${dealVisible(me)}`,
  );
}

function dealVisible(me: CallerRef): SQL {
  return canSeeRecord(me, sql`d.owner_id`, sql`d.team_id`);
}

/** The rules hold for deal `id` now: the condition of every statement of the write. */
function holdsFor(me: CallerRef, id: string, rules: Rule[], deleted: SQL): SQL {
  return sql`exists (select 1 from deals d where d.id = ${id} and ${deleted} and ${dealVisible(me)} and ${allHold(rules)})`;
}

const LIVE = sql`d.deleted_at is null`;

function noRow(id: string): NotFoundError {
  return new NotFoundError(`No deal with id ${id}.`);
}

/**
 * Changes a deal. A new stageId is a stage move: the deal enters the stage (and takes its outcome: won or lost
 * with closedAt, or open again), the open stage-history row is closed, a new one opened, and a "stage_change"
 * activity written, all in this batch. The same stage again changes nothing and writes no history.
 */
export function updateDeal(db: Database, id: string, patch: DealPatch, ctx: DealWriteContext) {
  const { now } = ctx;
  const target = patch.stageId;
  const fields = Object.entries(patch).filter(
    ([key, value]) => value !== undefined && key !== "stageId" && key !== "pipelineId",
  );
  let rules: Rule[] = [];
  const statements = (me: CallerRef) => {
    const newOwner = patch.ownerId !== undefined ? sql`${patch.ownerId}` : sql`d.owner_id`;
    const newTeam = patch.teamId !== undefined ? sql`${patch.teamId}` : sql`d.team_id`;
    const stageSql = target !== undefined ? sql`${target}` : sql`d.stage_id`;
    const reason =
      patch.closeReason !== undefined
        ? sql`${patch.closeReason}`
        : sql`case when d.stage_id = ${stageSql} then d.close_reason else null end`;
    rules = [
      ...existingRules(me, ctx.expectedVersion),
      ...(ctx.requireStage && target === undefined
        ? [{ name: "stageGiven", holds: sql`0`, fail: () => new InvalidInputError("stageId", "Required.") }]
        : []),
      ...(target !== undefined
        ? stageRules(stageSql, patch.pipelineId !== undefined ? sql`${patch.pipelineId}` : null).map(
            (rule) =>
              rule.name === "stageOpen"
                ? { ...rule, holds: sql`d.stage_id = ${target} or (${rule.holds})` }
                : rule,
          )
        : []),
      ...(target !== undefined || patch.closeReason !== undefined ? [reasonRule(stageSql, reason)] : []),
      ...linkRules(me, patch),
      ...(patch.ownerId !== undefined || patch.teamId !== undefined
        ? [writableRule(me, newOwner, newTeam)]
        : []),
    ];
    const ok = holdsFor(me, id, rules, LIVE);
    const moved =
      target === undefined
        ? sql`0`
        : sql`exists (select 1 from deals where id = ${id} and stage_id != ${target})`;
    const stageWrites =
      target === undefined
        ? []
        : [
            db
              .update(dealStageHistory)
              .set({ leftAt: now })
              .where(sql`deal_id = ${id} and left_at is null and ${ok} and ${moved}`),
            insertWhere(
              db,
              dealStageHistory,
              { id: newId(), dealId: id, stageId: target, enteredAt: now, movedBy: callerUserId(me) },
              sql`${ok} and ${moved}`,
            ),
            insertWhere(
              db,
              activities,
              {
                ...activityValues({ type: "stage_change", actorUserId: null, dealId: id }, now),
                actorUserId: callerUserId(me),
                companyId: sql`(select company_id from deals where id = ${id})`,
                subject: sql`(select f.name || ' → ' || t.name from deals x join stages f on f.id = x.stage_id
                  join stages t on t.id = ${target} where x.id = ${id})`,
                metadata: sql`(select json_object('fromStageId', f.id, 'fromStage', f.name, 'toStageId', t.id,
                  'toStage', t.name, 'fromPipelineId', f.pipeline_id, 'toPipelineId', t.pipeline_id)
                  from deals x join stages f on f.id = x.stage_id join stages t on t.id = ${target} where x.id = ${id})`,
              },
              sql`${ok} and ${moved}`,
            ),
          ];
    const contactWrites =
      patch.contactIds === undefined
        ? []
        : [
            db.delete(dealContacts).where(sql`deal_id = ${id} and ${ok}`),
            linkContacts(db, id, patch.contactIds, ok),
          ];
    return [
      checkQuery(db, me, id, rules, LIVE),
      ...stageWrites,
      ...contactWrites,
      db
        .update(deals)
        .set(dealSet(patch, now))
        .where(sql`${deals.id} = ${id} and ${ok} and ${fields.length > 0 ? sql`1` : moved}`),
      readDealQuery(db, me, id),
    ] as const;
  };
  return {
    statements,
    result(results: BatchResponse<ReturnType<typeof statements>>): DealView {
      const flags = (results[0] as Record<string, unknown>[])[0];
      if (!flags) throw noRow(id);
      const problem = failure(rules, flags);
      if (problem) throw problem;
      const row = (results[results.length - 1] as Parameters<typeof toDealView>[0][])[0];
      if (!row) throw noRow(id);
      return toDealView(row);
    },
  };
}

/** What an update sets; the current row's values are read in SQL, so a stage move needs no read beforehand. */
function dealSet(patch: DealPatch, now: number): Record<string, unknown> {
  const set: Record<string, unknown> = { version: sql`${deals.version} + 1`, updatedAt: now };
  const plain = [
    "name",
    "amount",
    "currency",
    "expectedCloseDate",
    "companyId",
    "forecastOverride",
    "closeReason",
    "ownerId",
    "teamId",
  ] as const;
  for (const key of plain) if (patch[key] !== undefined) set[key] = patch[key];
  // Keys sent as null are removed; the others are set.
  if (patch.custom !== undefined)
    set.custom = sql`json_patch(${deals.custom}, ${JSON.stringify(patch.custom)})`;
  const target = patch.stageId;
  if (target !== undefined) {
    const same = sql`${deals.stageId} = ${target}`;
    const outcome = sql`(select outcome from stages where id = ${target})`;
    set.pipelineId = sql`(select pipeline_id from stages where id = ${target})`;
    set.stageId = target;
    set.stageEnteredAt = sql`case when ${same} then ${deals.stageEnteredAt} else ${now} end`;
    set.status = sql`case when ${same} then ${deals.status} else coalesce(${outcome}, 'open') end`;
    set.closedAt = sql`case when ${same} then ${deals.closedAt} when ${outcome} is null then null else ${now} end`;
    // A reason belongs to the close it explains: entering another stage clears it unless a new one is sent.
    if (patch.closeReason === undefined) {
      set.closeReason = sql`case when ${same} then ${deals.closeReason} else null end`;
    }
  }
  return set;
}

/** Moves the deal to the trash (soft delete), with an audit entry. */
export function deleteDeal(db: Database, id: string, ctx: DealWriteContext) {
  let rules: Rule[] = [];
  const statements = (me: CallerRef) => {
    rules = existingRules(me, ctx.expectedVersion);
    const ok = holdsFor(me, id, rules, LIVE);
    return [
      checkQuery(db, me, id, rules, LIVE),
      db
        .update(deals)
        .set({ deletedAt: ctx.now, version: sql`${deals.version} + 1`, updatedAt: ctx.now })
        .where(sql`${deals.id} = ${id} and ${ok}`),
      callerAuditStatement(
        db,
        me,
        { action: "record.deleted", targetType: "deal", targetId: id },
        ctx.origin,
        ctx.now,
        { when: sql`exists (select 1 from deals where id = ${id} and deleted_at = ${ctx.now})` },
      ),
    ] as const;
  };
  return {
    statements,
    result([check]: BatchResponse<ReturnType<typeof statements>>): void {
      const flags = check[0];
      if (!flags) throw noRow(id);
      const problem = failure(rules, flags);
      if (problem) throw problem;
    },
  };
}

/** Takes a deal out of the trash; a live deal is returned as it is. */
export function restoreDeal(db: Database, id: string, ctx: DealWriteContext) {
  let rules: Rule[] = [];
  const any = sql`1`;
  const statements = (me: CallerRef) => {
    rules = existingRules(me, ctx.expectedVersion);
    const ok = holdsFor(me, id, rules, any);
    return [
      checkQuery(db, me, id, rules, any),
      db
        .update(deals)
        .set({ deletedAt: null, version: sql`${deals.version} + 1`, updatedAt: ctx.now })
        .where(sql`${deals.id} = ${id} and ${deals.deletedAt} is not null and ${ok}`),
      readDealQuery(db, me, id),
    ] as const;
  };
  return {
    statements,
    result([check, , rows]: BatchResponse<ReturnType<typeof statements>>): DealView {
      const flags = check[0];
      if (!flags) throw noRow(id);
      const problem = failure(rules, flags);
      if (problem) throw problem;
      const row = rows[0];
      if (!row) throw noRow(id);
      return toDealView(row);
    },
  };
}
