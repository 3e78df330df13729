// Importing deals: each row names its pipeline and stage (by name or id; the first pipeline's first stage when
// none), amount in the currency's usual notation (turned into minor units), a company (made when missing), a
// contact (by email) and an owner (by email). A row with an `id` updates that deal; others make new deals, with
// their first stage-history row as the API makes them.
import { sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { canWriteRecord } from "../caller.ts";
import type { Database } from "../client.ts";
import { configGuard, validateCustom } from "../custom-fields.ts";
import { newId } from "../ids.ts";
import { afterChangesStatement, beforeChangesStatement, createdChangesStatement } from "./changes.ts";
import {
  type ChunkPlan,
  emptyCounts,
  firstTeamSql,
  type Importer,
  insertRows,
  issuesStatement,
  jsonRows,
  setFromRow,
} from "./chunk.ts";
import {
  type CompanyRef,
  CompanyResolver,
  companiesQuery,
  companyRef,
  usersByEmailQuery,
} from "./references.ts";
import { type CsvRow, minorUnits, type RowIssue, RowReader } from "./values.ts";

interface Prepared {
  row: CsvRow;
  issues: RowIssue[];
  id: string | null;
  name: string | undefined;
  amountText: string | undefined;
  currency: string | undefined;
  pipeline: string | undefined;
  stage: string | undefined;
  expectedCloseDate: string | undefined;
  company: CompanyRef | null;
  contact: string | null;
  owner: string | null;
  custom: Record<string, unknown>;
}

interface StageRow {
  id: string;
  name: string;
  pipelineId: string;
  pipelineName: string;
  outcome: "won" | "lost" | null;
}

interface Existing {
  id: string;
  currency: string;
  stage_id: string;
  custom: string;
  writable: number;
  [column: string]: unknown;
}

const PLAIN = [
  "name",
  "amount",
  "currency",
  "pipeline_id",
  "stage_id",
  "stage_entered_at",
  "status",
  "closed_at",
  "expected_close_date",
  "company_id",
  "owner_id",
] as const;

export const dealImporter: Importer<Prepared[]> = {
  async prepare(job, rows) {
    return rows.map((row) => {
      const r = new RowReader(row.cells, job.index);
      const issues: RowIssue[] = [];
      const custom = validateCustom(job.config.definitions, r.custom(job.config.definitions), {
        partial: true,
        region: job.config.region,
      });
      issues.push(...custom.errors);
      const currency = r.text("currency", 3)?.toUpperCase();
      if (currency !== undefined && !/^[A-Z]{3}$/.test(currency))
        issues.push({ path: "currency", message: "Use a three-letter code such as VND or USD." });
      const expectedCloseDate = r.text("expectedCloseDate", 10);
      if (expectedCloseDate !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(expectedCloseDate)) {
        issues.push({ path: "expectedCloseDate", message: "Must be a date, YYYY-MM-DD." });
      }
      return {
        row,
        issues,
        id: r.text("id", 64) ?? null,
        name: r.text("name", 200),
        amountText: r.text("amount", 40),
        currency,
        pipeline: r.text("pipeline", 200),
        stage: r.text("stage", 200),
        expectedCloseDate,
        company: companyRef(r.text("company", 200)),
        contact: r.text("contact", 254)?.toLowerCase() ?? null,
        owner: r.text("owner", 254)?.toLowerCase() ?? null,
        custom: custom.values,
      };
    });
  },

  reads(db, job, prepared) {
    const writable = canWriteRecord(job.me, sql`d.owner_id`, sql`d.team_id`);
    return [
      db.all<StageRow>(sql`select s.id as id, s.name as name, s.pipeline_id as pipelineId, p.name as pipelineName, s.outcome as outcome
        from stages s join pipelines p on p.id = s.pipeline_id where s.archived_at is null and p.archived_at is null
        order by p.position, p.id, s.position, s.id`),
      db.all<Existing>(sql`select d.id, d.name, d.amount, d.currency, d.pipeline_id, d.stage_id, d.status, d.expected_close_date,
          d.company_id, d.owner_id, d.custom, ${writable} as writable
        from deals d where d.deleted_at is null and d.id in (select value from ${jsonRows(prepared.flatMap((p) => (p.id ? [p.id] : [])))})`),
      companiesQuery(
        db,
        prepared.flatMap((p) => (p.company ? [p.company] : [])),
      ),
      usersByEmailQuery(
        db,
        prepared.flatMap((p) => (p.owner ? [p.owner] : [])),
      ),
      db.all<{ id: string; email: string }>(sql`select id, email from contacts where deleted_at is null
        and email in (select value from ${jsonRows(prepared.flatMap((p) => (p.contact ? [p.contact] : [])))})`),
    ];
  },

  plan(db, job, prepared, results) {
    const [stages, existingRows, companyRows, userRows, contactRows] = results as [
      StageRow[],
      Existing[],
      ConstructorParameters<typeof CompanyResolver>[0],
      { id: string; email: string }[],
      { id: string; email: string }[],
    ];
    const byId = new Map(existingRows.map((row) => [row.id, row]));
    const users = new Map(userRows.map((u) => [u.email, u.id]));
    const contacts = new Map(contactRows.map((c) => [c.email, c.id]));
    const companies = new CompanyResolver(companyRows);
    const counts = emptyCounts();
    const issues: ChunkPlan["issues"] = [];
    const creates: Record<string, unknown>[] = [];
    const updates: Record<string, unknown>[] = [];
    const moves: { id: string; stage_id: string }[] = [];
    const links: { id: string; contact: string }[] = [];

    for (const p of prepared) {
      const reasons = [...p.issues];
      const existing = p.id ? byId.get(p.id) : undefined;
      if (p.id && !existing) reasons.push({ path: "id", message: "No live deal has this id." });
      if (existing && !existing.writable)
        reasons.push({ path: "id", message: "A deal you may not change has this id." });
      if (!existing && !p.name) reasons.push({ path: "name", message: "Required." });
      const ownerId = p.owner ? users.get(p.owner) : undefined;
      if (p.owner && !ownerId)
        reasons.push({ path: "owner", message: `No active user has the email "${p.owner}".` });
      const contactId = p.contact ? contacts.get(p.contact) : undefined;
      if (p.contact && !contactId)
        reasons.push({ path: "contact", message: `No contact has the email "${p.contact}".` });
      const stage = findStage(stages, p, existing);
      if (!stage)
        reasons.push({ path: p.stage ? "stage" : "pipeline", message: "No such pipeline or stage." });
      const currency = p.currency ?? existing?.currency ?? "USD";
      const amount = p.amountText === undefined ? undefined : minorUnits(p.amountText, currency);
      if (amount === null)
        reasons.push({ path: "amount", message: `"${p.amountText}" is not an amount in ${currency}.` });
      if (reasons.length > 0 || !stage) {
        issues.push({ row: p.row.row, kind: "error", reasons, cells: p.row.cells });
        counts.errors += 1;
        continue;
      }
      const owner = ownerId ?? (existing?.owner_id as string | undefined) ?? job.me.userId;
      const values: Record<string, unknown> = {
        ...(p.name !== undefined ? { name: p.name } : {}),
        ...(amount !== undefined ? { amount } : {}),
        ...(p.currency !== undefined ? { currency } : {}),
        ...(p.expectedCloseDate !== undefined ? { expected_close_date: p.expectedCloseDate } : {}),
        ...(p.company ? { company_id: companies.idFor(p.company, owner) } : {}),
        ...(ownerId ? { owner_id: ownerId } : {}),
      };
      if (existing) {
        counts.updated += 1;
        if (stage.id !== existing.stage_id) {
          Object.assign(values, {
            pipeline_id: stage.pipelineId,
            stage_id: stage.id,
            stage_entered_at: job.now,
            status: stage.outcome ?? "open",
            closed_at: stage.outcome ? job.now : null,
          });
          moves.push({ id: existing.id, stage_id: stage.id });
        }
        const change = Object.fromEntries(Object.entries(values).filter(([k, v]) => existing[k] !== v));
        const current = JSON.parse(existing.custom) as Record<string, unknown>;
        const customChange = Object.fromEntries(
          Object.entries(p.custom).filter(([k, v]) => JSON.stringify(current[k]) !== JSON.stringify(v)),
        );
        if (Object.keys(customChange).length > 0) change.custom = JSON.stringify(customChange);
        if (contactId) links.push({ id: existing.id, contact: contactId });
        if (Object.keys(change).length > 0) updates.push({ ...change, id: existing.id });
        continue;
      }
      const required = validateCustom(job.config.definitions, p.custom, {
        partial: false,
        region: job.config.region,
      });
      if (required.errors.length > 0) {
        issues.push({ row: p.row.row, kind: "error", reasons: required.errors, cells: p.row.cells });
        counts.errors += 1;
        continue;
      }
      const id = newId();
      creates.push({
        amount: 0,
        currency,
        ...values,
        id,
        owner_id: owner,
        pipeline_id: stage.pipelineId,
        stage_id: stage.id,
        status: stage.outcome ?? "open",
        closed_at: stage.outcome ? job.now : null,
        custom: JSON.stringify(p.custom),
      });
      if (contactId) links.push({ id, contact: contactId });
      counts.created += 1;
    }

    const statements: BatchItem<"sqlite">[] = [];
    if (!job.dryRun) {
      const target = { importId: job.importId, chunk: job.chunk, object: "deal" as const };
      statements.push(configGuard(db, "deal", job.config), ...companies.statements(db, job));
      if (creates.length > 0) {
        statements.push(
          insertRows(
            db,
            "deals",
            [
              "id",
              "name",
              "amount",
              "currency",
              "pipeline_id",
              "stage_id",
              "status",
              "closed_at",
              "expected_close_date",
              "company_id",
              "custom",
              "owner_id",
            ],
            creates,
            {
              stage_entered_at: sql`${job.now}`,
              team_id: firstTeamSql(sql`v ->> 'owner_id'`),
              created_at: sql`${job.now}`,
              updated_at: sql`${job.now}`,
            },
          ),
          historyStatement(
            db,
            creates.map((c) => ({ id: String(c.id), stage_id: String(c.stage_id) })),
            job.now,
          ),
          createdChangesStatement(
            db,
            target,
            creates.map((c) => String(c.id)),
          ),
        );
      }
      if (updates.length > 0) {
        statements.push(
          beforeChangesStatement(
            db,
            target,
            updates.map((u) => String(u.id)),
          ),
          db.run(sql`update deal_stage_history set left_at = ${job.now}
            where left_at is null and deal_id in (select value ->> 'id' from ${jsonRows(moves)})`),
          db.run(sql`update deals set ${setFromRow("deals", PLAIN)},
              custom = iif(json_type(u.v, '$.custom') is null, deals.custom, json_patch(deals.custom, u.v ->> 'custom')),
              version = deals.version + 1, updated_at = ${job.now}
            from (select value as v, value ->> 'id' as id from ${jsonRows(updates)}) u
            where deals.id = u.id and deals.deleted_at is null and ${canWriteRecord(job.me, sql`deals.owner_id`, sql`deals.team_id`)}`),
          historyStatement(db, moves, job.now),
          afterChangesStatement(db, target),
        );
      }
      if (links.length > 0) {
        statements.push(
          db.run(sql`insert or ignore into deal_contacts (deal_id, contact_id)
          select value ->> 'id', value ->> 'contact' from ${jsonRows(links)}`),
        );
      }
    }
    if (issues.length > 0) statements.push(issuesStatement(db, job.importId, issues));
    return { statements, counts, issues };
  },
};

function historyStatement(db: Database, rows: { id: string; stage_id: string }[], now: number) {
  const withIds = rows.map((row) => ({ ...row, history: newId() }));
  return db.run(sql`insert into deal_stage_history (id, deal_id, stage_id, entered_at)
    select value ->> 'history', value ->> 'id', value ->> 'stage_id', ${now} from ${jsonRows(withIds)}`);
}

/** The row's stage: by id or name, within the named pipeline (or the deal's, or the first one). */
function findStage(
  stages: readonly StageRow[],
  p: Prepared,
  existing: Existing | undefined,
): StageRow | undefined {
  const same = (a: string, b: string) => a.localeCompare(b, undefined, { sensitivity: "accent" }) === 0;
  const pipelineId = p.pipeline
    ? stages.find((s) => s.pipelineId === p.pipeline || same(s.pipelineName, p.pipeline ?? ""))?.pipelineId
    : existing
      ? (existing.pipeline_id as string)
      : stages[0]?.pipelineId;
  if (!pipelineId) return undefined;
  const inPipeline = stages.filter((s) => s.pipelineId === pipelineId);
  if (!p.stage)
    return existing ? (inPipeline.find((s) => s.id === existing.stage_id) ?? inPipeline[0]) : inPipeline[0];
  return inPipeline.find((s) => s.id === p.stage || same(s.name, p.stage ?? ""));
}
