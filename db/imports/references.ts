// References an import row makes by name: a company (by domain, else by its exact name; made when missing),
// an owner (a user's email) and, for deals, a contact (by email). Read for a whole chunk in one query each.
import { sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Database } from "../client.ts";
import { normalizeDomain } from "../companies/domain.ts";
import { newId } from "../ids.ts";
import { createdChangesStatement } from "./changes.ts";
import { type ChunkJob, firstTeamSql, insertRows, jsonRows } from "./chunk.ts";

export interface CompanyRef {
  /** The lookup key: `d:<domain>` or `n:<name>`. */
  key: string;
  domain: string | null;
  name: string;
}

/** A company cell: a domain when it reads as one (`acme.com`, `https://acme.com`), else a name. */
export function companyRef(text: string | undefined): CompanyRef | null {
  if (!text) return null;
  const domain = !/\s/.test(text) && text.includes(".") ? normalizeDomain(text) : null;
  return domain
    ? { key: `d:${domain}`, domain, name: domain }
    : { key: `n:${text}`, domain: null, name: text };
}

export interface CompanyRow {
  id: string;
  name: string;
  domain: string | null;
}

export function companiesQuery(db: Database, refs: readonly CompanyRef[]) {
  const domains = refs.flatMap((r) => (r.domain ? [r.domain] : []));
  const names = refs.flatMap((r) => (r.domain ? [] : [r.name]));
  return db.all<CompanyRow>(sql`select id, name, domain from companies where deleted_at is null and domain in (select value from ${jsonRows(domains)})
    union all select id, name, domain from (select id, name, domain from companies where deleted_at is null and name in (select value from ${jsonRows(names)}) order by id)`);
}

export function usersByEmailQuery(db: Database, emails: readonly string[]) {
  return db.all<{ id: string; email: string }>(
    sql`select id, lower(email) as email from users where active = 1 and lower(email) in (select value from ${jsonRows(emails.map((e) => e.toLowerCase()))})`,
  );
}

/** The companies a chunk links to: those that exist, and those it makes (once each). */
export class CompanyResolver {
  readonly #known = new Map<string, string>();
  readonly #made: { id: string; name: string; domain: string | null; owner_id: string }[] = [];

  constructor(rows: readonly CompanyRow[]) {
    // The first company with a name wins, as the query orders them.
    for (const row of rows) {
      if (row.domain && !this.#known.has(`d:${row.domain}`)) this.#known.set(`d:${row.domain}`, row.id);
      if (!this.#known.has(`n:${row.name}`)) this.#known.set(`n:${row.name}`, row.id);
    }
  }

  /** The company's id, making one (owned by `owner`) when there is none. */
  idFor(ref: CompanyRef, owner: string): string {
    let id = this.#known.get(ref.key);
    if (!id) {
      id = newId();
      this.#known.set(ref.key, id);
      this.#made.push({ id, name: ref.name.slice(0, 200), domain: ref.domain, owner_id: owner });
    }
    return id;
  }

  /** The inserts of the companies made, and their change rows (undo removes them too). */
  statements(db: Database, job: ChunkJob) {
    if (this.#made.length === 0) return [];
    return [
      insertRows(db, "companies", ["id", "name", "domain", "owner_id"], this.#made, {
        team_id: firstTeamSql(sql`v ->> 'owner_id'`),
        created_at: sql`${job.now}`,
        updated_at: sql`${job.now}`,
      }),
      createdChangesStatement(
        db,
        { importId: job.importId, chunk: job.chunk, object: "company" },
        this.#made.map((c) => c.id),
      ),
    ] satisfies BatchItem<"sqlite">[];
  }

  get made(): number {
    return this.#made.length;
  }
}
