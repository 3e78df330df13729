// Importing companies: each row checked as the API checks a company (db/companies/writes.ts companyColumns,
// custom fields included), matched to a live company by id, then by domain (normalised), and made or updated
// (only what the row sets; custom values merged).
import { sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { canWriteRecord } from "../caller.ts";
import { type CompanyInput, CompanyInvalid, companyColumns } from "../companies/writes.ts";
import { configGuard, type RecordConfig } from "../custom-fields.ts";
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
import { usersByEmailQuery } from "./references.ts";
import { type CsvRow, type RowIssue, RowReader } from "./values.ts";

type Columns = ReturnType<typeof companyColumns>;

interface Prepared {
  row: CsvRow;
  issues: RowIssue[];
  update: Columns | null;
  create: Columns | null;
  createErrors: RowIssue[];
  id: string | null;
  domain: string | null;
  owner: string | null;
}

const PLAIN = ["name", "domain", "industry", "size", "country", "owner_id"] as const;

function columnsOrErrors(input: CompanyInput, config: RecordConfig, partial: boolean) {
  try {
    return { columns: companyColumns(input, config, partial) as Columns | null, errors: [] as RowIssue[] };
  } catch (error) {
    if (error instanceof CompanyInvalid) return { columns: null, errors: error.errors };
    throw error;
  }
}

interface Existing {
  id: string;
  domain: string | null;
  custom: string;
  writable: number;
  [column: string]: unknown;
}

export const companyImporter: Importer<Prepared[]> = {
  async prepare(job, rows) {
    return rows.map((row) => {
      const r = new RowReader(row.cells, job.index);
      const input: CompanyInput = {
        name: r.text("name", 200),
        domain: r.text("domain", 253),
        industry: r.text("industry", 100),
        size: r.text("size", 50),
        country: r.text("country", 100),
        custom: r.custom(job.config.definitions),
      };
      if (input.name === undefined && input.domain) input.name = input.domain;
      const update = columnsOrErrors(input, job.config, true);
      const create = columnsOrErrors(input, job.config, false);
      return {
        row,
        issues: update.errors,
        update: update.columns,
        create: create.columns,
        createErrors: create.errors,
        id: r.text("id", 64) ?? null,
        domain: (update.columns?.set.domain as string | null | undefined) ?? null,
        owner: r.text("owner", 254)?.toLowerCase() ?? null,
      };
    });
  },

  reads(db, job, prepared) {
    const writable = canWriteRecord(job.me, sql`c.owner_id`, sql`c.team_id`);
    const live = (condition: ReturnType<typeof sql>) =>
      sql`select c.id, c.name, c.domain, c.industry, c.size, c.country, c.custom, c.owner_id, ${writable} as writable
        from companies c where c.deleted_at is null and ${condition}`;
    return [
      db.all<Existing>(sql`${live(sql`c.domain in (select value from ${jsonRows(prepared.flatMap((p) => (p.domain ? [p.domain] : [])))})`)}
        union all ${live(sql`c.id in (select value from ${jsonRows(prepared.flatMap((p) => (p.id ? [p.id] : [])))})`)}`),
      usersByEmailQuery(
        db,
        prepared.flatMap((p) => (p.owner ? [p.owner] : [])),
      ),
    ];
  },

  plan(db, job, prepared, results) {
    const [existingRows, userRows] = results as [Existing[], { id: string; email: string }[]];
    const byId = new Map(existingRows.map((row) => [row.id, row]));
    const byDomain = new Map(existingRows.flatMap((row) => (row.domain ? [[row.domain, row] as const] : [])));
    const users = new Map(userRows.map((u) => [u.email, u.id]));
    const counts = emptyCounts();
    const issues: ChunkPlan["issues"] = [];
    const creates = new Map<string, Record<string, unknown>>();
    const pending = new Map<string, string>();
    const updates = new Map<string, Record<string, unknown>>();

    for (const p of prepared) {
      const fail = (reasons: RowIssue[]) => {
        issues.push({ row: p.row.row, kind: "error", reasons, cells: p.row.cells });
        counts.errors += 1;
      };
      if (p.issues.length > 0 || !p.update) {
        fail(p.issues);
        continue;
      }
      const ownerId = p.owner ? users.get(p.owner) : undefined;
      if (p.owner && !ownerId) {
        fail([{ path: "owner", message: `No active user has the email "${p.owner}".` }]);
        continue;
      }
      const values: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(p.update.set)) {
        const column = key === "ownerId" ? "owner_id" : key;
        if ((PLAIN as readonly string[]).includes(column) && value !== undefined && value !== null)
          values[column] = value;
      }
      if (ownerId) values.owner_id = ownerId;
      const custom = p.update.custom;
      const match = p.id ? byId.get(p.id) : p.domain ? byDomain.get(p.domain) : undefined;
      if (p.id && !match) {
        fail([{ path: "id", message: "No live company has this id." }]);
        continue;
      }
      if (match) {
        if (!match.writable) {
          fail([{ path: "domain", message: "A company you may not change matches this row." }]);
          continue;
        }
        counts.updated += 1;
        const change: Record<string, unknown> = {};
        for (const [column, value] of Object.entries(values))
          if (match[column] !== value) change[column] = value;
        const current = JSON.parse(match.custom) as Record<string, unknown>;
        const customChange = Object.fromEntries(
          Object.entries(custom).filter(
            ([key, value]) => JSON.stringify(current[key]) !== JSON.stringify(value),
          ),
        );
        if (Object.keys(customChange).length > 0) change.custom = JSON.stringify(customChange);
        if (Object.keys(change).length === 0) continue;
        updates.set(match.id, { ...(updates.get(match.id) ?? {}), ...change, id: match.id });
        continue;
      }
      const twin = p.domain ? pending.get(p.domain) : undefined;
      if (twin) {
        Object.assign(creates.get(twin) ?? {}, values);
        counts.updated += 1;
        continue;
      }
      if (p.createErrors.length > 0 || !p.create) {
        fail(p.createErrors);
        continue;
      }
      const id = newId();
      creates.set(id, {
        ...p.create.set,
        id,
        owner_id: ownerId ?? job.me.userId,
        custom: JSON.stringify(p.create.custom),
      });
      if (p.domain) pending.set(p.domain, id);
      counts.created += 1;
    }

    const statements: BatchItem<"sqlite">[] = [];
    if (!job.dryRun) {
      const target = { importId: job.importId, chunk: job.chunk, object: "company" as const };
      statements.push(configGuard(db, "company", job.config));
      if (creates.size > 0) {
        statements.push(
          insertRows(
            db,
            "companies",
            ["id", "name", "domain", "industry", "size", "country", "custom", "owner_id"],
            [...creates.values()],
            {
              team_id: firstTeamSql(sql`v ->> 'owner_id'`),
              created_at: sql`${job.now}`,
              updated_at: sql`${job.now}`,
            },
          ),
          createdChangesStatement(db, target, [...creates.keys()]),
        );
      }
      if (updates.size > 0) {
        statements.push(
          beforeChangesStatement(db, target, [...updates.keys()]),
          db.run(sql`update companies set ${setFromRow("companies", PLAIN)},
              custom = iif(json_type(u.v, '$.custom') is null, companies.custom, json_patch(companies.custom, u.v ->> 'custom')),
              version = companies.version + 1, updated_at = ${job.now}
            from (select value as v, value ->> 'id' as id from ${jsonRows([...updates.values()])}) u
            where companies.id = u.id and companies.deleted_at is null
              and ${canWriteRecord(job.me, sql`companies.owner_id`, sql`companies.team_id`)}`),
          afterChangesStatement(db, target),
        );
      }
    }
    if (issues.length > 0) statements.push(issuesStatement(db, job.importId, issues));
    return { statements, counts, issues };
  },
};
