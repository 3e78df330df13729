// Importing contacts: each row is read and checked in code as the API checks a contact (db/contacts/writes.ts
// contactColumns, custom fields included), matched to a live contact by id, primary email, then primary phone
// (only one with no email or the same one), and becomes a create, an update (only what the row sets; emails,
// phones and tags are added, never removed) or an issue. An erased person (db/privacy/suppression.ts) is not
// made again.
import { sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { canWriteRecord } from "../caller.ts";
import { type ContactInput, ContactInvalid, contactColumns } from "../contacts/writes.ts";
import { configGuard, type RecordConfig } from "../custom-fields.ts";
import { newId } from "../ids.ts";
import { suppressionHashes } from "../privacy/suppression.ts";
import { LEAD_STATUSES, LIFECYCLE_STAGES } from "../schema/index.ts";
import { afterChangesStatement, beforeChangesStatement, createdChangesStatement } from "./changes.ts";
import {
  type ChunkJob,
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
import { type CsvRow, enumValue, isEmail, type RowIssue, RowReader } from "./values.ts";

type Columns = ReturnType<typeof contactColumns>;

interface Prepared {
  row: CsvRow;
  issues: RowIssue[];
  update: Columns | null;
  createErrors: RowIssue[];
  create: Columns | null;
  id: string | null;
  email: string | null;
  phone: string | null;
  company: CompanyRef | null;
  owner: string | null;
  suppression: string[];
}

/** Plain columns an update sets from the row; email and phone lists are added to, custom merged. */
const PLAIN = [
  "first_name",
  "last_name",
  "name",
  "company_id",
  "job_title",
  "address",
  "lifecycle_stage",
  "lead_status",
  "source",
  "owner_id",
] as const;

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function columnsOrErrors(input: ContactInput, config: RecordConfig, partial: boolean, now: number) {
  try {
    return {
      columns: contactColumns(input, config, partial, now) as Columns | null,
      errors: [] as RowIssue[],
    };
  } catch (error) {
    if (error instanceof ContactInvalid) return { columns: null, errors: error.errors };
    throw error;
  }
}

/**
 * What making the contact needs beyond what updating it does (contactColumns with partial false): a name, and
 * every required custom field. Derived from the update's columns so phones are read once per row.
 */
function forCreate(
  input: ContactInput,
  update: Columns,
  config: RecordConfig,
): { columns: Columns | null; errors: RowIssue[] } {
  const errors: RowIssue[] = [];
  const name =
    input.name ??
    ([input.firstName, input.lastName].filter(Boolean).join(" ") ||
      (update.set.email as string | undefined) ||
      "");
  if (!name) errors.push({ path: "name", message: "Give a name, a first or last name, or an email." });
  for (const d of config.definitions) {
    if (
      d.required &&
      d.archivedAt === null &&
      (update.custom[d.key] === undefined || update.custom[d.key] === null)
    ) {
      errors.push({ path: `custom.${d.key}`, message: "Required." });
    }
  }
  return errors.length > 0
    ? { columns: null, errors }
    : { columns: { ...update, set: { ...update.set, name } }, errors };
}

async function prepareRow(job: ChunkJob, row: CsvRow): Promise<Prepared> {
  const r = new RowReader(row.cells, job.index);
  const issues: RowIssue[] = [];
  const emails = [r.text("email"), ...r.list("emails")].filter((e): e is string => e !== undefined);
  emails.forEach((email, i) => {
    if (!isEmail(email))
      issues.push({
        path: i === 0 && r.text("email") ? "email" : "emails",
        message: `"${email}" is not an email address.`,
      });
  });
  const enumOf = <T extends string>(target: string, values: readonly T[]) => {
    const text = r.text(target);
    if (text === undefined) return undefined;
    const value = enumValue(values, text);
    if (value === null)
      issues.push({ path: target, message: `"${text}" is not one of ${values.join(", ")}.` });
    return value ?? undefined;
  };
  const input: ContactInput = {
    name: r.text("name", 200),
    firstName: r.text("firstName", 100),
    lastName: r.text("lastName", 100),
    jobTitle: r.text("jobTitle", 200),
    address: r.text("address", 500),
    source: r.text("source", 200),
    lifecycleStage: enumOf("lifecycleStage", LIFECYCLE_STAGES),
    leadStatus: enumOf("leadStatus", LEAD_STATUSES),
    custom: r.custom(job.config.definitions),
    tags: job.index.has("tags") ? r.list("tags").map((tag) => tag.slice(0, 100)) : undefined,
  };
  if (emails.length > 0) input.emails = emails;
  const phones = [r.text("phone"), ...r.list("phones")].filter((p): p is string => p !== undefined);
  if (phones.length > 0) input.phones = phones;
  const update = columnsOrErrors(input, job.config, true, job.now);
  const create = update.columns
    ? forCreate(input, update.columns, job.config)
    : { columns: null, errors: [] };
  issues.push(...update.errors);
  const email = (update.columns?.set.email as string | null | undefined) ?? null;
  const phone = (update.columns?.set.phone as string | null | undefined) ?? null;
  const id = r.text("id", 64) ?? null;
  return {
    row,
    issues,
    update: update.columns,
    createErrors: create.errors,
    create: create.columns,
    id,
    email,
    phone,
    company: companyRef(r.text("company", 200)),
    owner: r.text("owner", 254)?.toLowerCase() ?? null,
    suppression: job.suppressions
      ? (await suppressionHashes({ emails: [email], phones: [phone] })).map((h) => h.hash)
      : [],
  };
}

interface Existing {
  id: string;
  email: string | null;
  phone: string | null;
  emails: string;
  phones: string;
  custom: string;
  tags: string;
  writable: number;
  [column: string]: unknown;
}

const existingColumns = sql`c.id, c.email, c.phone, c.emails, c.phones, c.custom, c.first_name, c.last_name, c.name,
  c.company_id, c.job_title, c.address, c.lifecycle_stage, c.lead_status, c.source, c.owner_id, c.created_at,
  (select coalesce(json_group_array(tag), '[]') from contact_tags where contact_id = c.id) as tags`;

export const contactImporter: Importer<Prepared[]> = {
  prepare: (job, rows) => Promise.all(rows.map((row) => prepareRow(job, row))),

  reads(db, job, prepared) {
    const emails = prepared.flatMap((p) => (p.email ? [p.email] : []));
    const phones = prepared.flatMap((p) => (p.phone ? [p.phone] : []));
    const ids = prepared.flatMap((p) => (p.id ? [p.id] : []));
    const writable = canWriteRecord(job.me, sql`c.owner_id`, sql`c.team_id`);
    // Each contact once, however many of its keys the chunk names.
    return [
      db.all<Existing>(sql`select ${existingColumns}, ${writable} as writable from contacts c where c.id in (
          select id from contacts where deleted_at is null and email in (select value from ${jsonRows(emails)})
          union select id from contacts where deleted_at is null and phone in (select value from ${jsonRows(phones)})
          union select id from contacts where deleted_at is null and id in (select value from ${jsonRows(ids)}))`),
      companiesQuery(
        db,
        prepared.flatMap((p) => (p.company ? [p.company] : [])),
      ),
      usersByEmailQuery(
        db,
        prepared.flatMap((p) => (p.owner ? [p.owner] : [])),
      ),
      db.all<{ hash: string }>(
        sql`select hash from suppressions where hash in (select value from ${jsonRows(prepared.flatMap((p) => p.suppression))})`,
      ),
    ];
  },

  plan(db, job, prepared, results) {
    const [existingRows, companyRows, userRows, suppressedRows] = results as [
      Existing[],
      ConstructorParameters<typeof CompanyResolver>[0],
      { id: string; email: string }[],
      { hash: string }[],
    ];
    const byId = new Map<string, Existing>();
    const byEmail = new Map<string, Existing>();
    const byPhone = new Map<string, Existing>();
    for (const row of [...existingRows].sort((a, b) =>
      String(a.created_at).localeCompare(String(b.created_at)),
    )) {
      byId.set(row.id, row);
      if (row.email) byEmail.set(row.email, row);
      if (row.phone && !byPhone.has(row.phone)) byPhone.set(row.phone, row);
    }
    const users = new Map(userRows.map((u) => [u.email, u.id]));
    const suppressed = new Set(suppressedRows.map((s) => s.hash));
    const companies = new CompanyResolver(companyRows);
    const counts = emptyCounts();
    const issues: ChunkPlan["issues"] = [];
    const creates = new Map<string, Record<string, unknown>>();
    const createTags = new Map<string, Set<string>>();
    const pendingByEmail = new Map<string, string>();
    const pendingByPhone = new Map<string, string>();
    const updates = new Map<string, Record<string, unknown>>();
    const addTags: { id: string; tag: string }[] = [];

    for (const p of prepared) {
      const fail = (reasons: RowIssue[], kind: "error" | "skipped" = "error") => {
        issues.push({ row: p.row.row, kind, reasons, cells: p.row.cells });
        counts[kind === "error" ? "errors" : "skipped"] += 1;
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
      let match: Existing | undefined;
      if (p.id) {
        match = byId.get(p.id);
        if (!match) {
          fail([{ path: "id", message: "No live contact has this id." }]);
          continue;
        }
      } else {
        match = (p.email ? byEmail.get(p.email) : undefined) ?? (p.phone ? byPhone.get(p.phone) : undefined);
        // A phone is shared more often than an email: it matches a contact with no email or the same one.
        if (match && p.email && match.email !== null && match.email !== p.email) match = undefined;
      }
      const set = p.update.set;
      const values: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(set)) {
        const column = snake(key);
        if ((PLAIN as readonly string[]).includes(column) && value !== undefined && value !== null)
          values[column] = value;
      }
      if (ownerId) values.owner_id = ownerId;
      const tags = p.update.tags ?? [];
      const custom = p.update.custom;

      if (match) {
        if (!match.writable) {
          fail([
            { path: p.email ? "email" : "phone", message: "A contact you may not change matches this row." },
          ]);
          continue;
        }
        if (p.company) values.company_id = companies.idFor(p.company, ownerId ?? job.me.userId);
        counts.updated += 1;
        const change = changedValues(match, values, set, custom, tags);
        if (!change) continue;
        const planned = updates.get(match.id) ?? { id: match.id };
        updates.set(match.id, mergeUpdate(planned, change));
        for (const tag of change.tags) addTags.push({ id: match.id, tag });
        continue;
      }
      const pending =
        (p.email && pendingByEmail.get(p.email)) || (p.phone && pendingByPhone.get(p.phone)) || null;
      if (pending) {
        // The same person twice in this chunk: the later row adds to the contact the earlier one makes.
        const planned = creates.get(pending) ?? {};
        Object.assign(planned, values);
        if (Object.keys(custom).length > 0) {
          planned.custom = JSON.stringify({ ...JSON.parse(String(planned.custom ?? "{}")), ...custom });
        }
        for (const tag of tags) createTags.get(pending)?.add(tag);
        counts.updated += 1;
        continue;
      }
      if (p.createErrors.length > 0 || !p.create) {
        fail(p.createErrors);
        continue;
      }
      if (p.suppression.some((hash) => suppressed.has(hash))) {
        fail(
          [
            {
              path: p.email ? "email" : "phone",
              message: "This person was erased on request and is not imported again.",
            },
          ],
          "skipped",
        );
        continue;
      }
      const id = newId();
      const owner = ownerId ?? job.me.userId;
      const createSet = p.create.set;
      creates.set(id, {
        ...Object.fromEntries(Object.entries(createSet).map(([key, value]) => [snake(key), value])),
        id,
        owner_id: owner,
        company_id: p.company ? companies.idFor(p.company, owner) : null,
        custom: JSON.stringify(p.create.custom),
      });
      createTags.set(id, new Set(p.create.tags ?? []));
      if (p.email) pendingByEmail.set(p.email, id);
      if (p.phone) pendingByPhone.set(p.phone, id);
      counts.created += 1;
    }

    const statements: BatchItem<"sqlite">[] = [];
    if (!job.dryRun) {
      const target = { importId: job.importId, chunk: job.chunk, object: "contact" as const };
      statements.push(configGuard(db, "contact", job.config), ...companies.statements(db, job));
      if (creates.size > 0) {
        const ids = [...creates.keys()];
        statements.push(
          insertRows(db, "contacts", CREATE_COLUMNS, [...creates.values()], {
            lifecycle_stage: sql`coalesce(v ->> 'lifecycle_stage', 'lead')`,
            emails: sql`coalesce(v ->> 'emails', '[]')`,
            phones: sql`coalesce(v ->> 'phones', '[]')`,
            team_id: firstTeamSql(sql`v ->> 'owner_id'`),
            created_at: sql`${job.now}`,
            updated_at: sql`${job.now}`,
          }),
          db.run(
            sql`insert or ignore into contact_tags (contact_id, tag) select value ->> 'id', value ->> 'tag' from ${jsonRows(
              [...createTags].flatMap(([id, set]) => [...set].map((tag) => ({ id, tag }))),
            )}`,
          ),
          createdChangesStatement(db, target, ids),
        );
      }
      if (updates.size > 0) {
        const ids = [...updates.keys()];
        statements.push(
          beforeChangesStatement(db, target, ids),
          db.run(sql`update contacts set ${setFromRow("contacts", PLAIN)},
              email = coalesce(contacts.email, u.v ->> 'email'),
              emails = iif(json_type(u.v, '$.emails_add') is null, contacts.emails, (select json_group_array(value) from (
                select value from json_each(contacts.emails) union all
                select value from json_each(u.v -> 'emails_add') where value not in (select value from json_each(contacts.emails))))),
              phone = coalesce(contacts.phone, u.v ->> 'phone'),
              phones = iif(json_type(u.v, '$.phones_add') is null, contacts.phones, (select json_group_array(value) from (
                select value from json_each(contacts.phones) union all
                select value from json_each(u.v -> 'phones_add') where value not in (select value from json_each(contacts.phones))))),
              custom = iif(json_type(u.v, '$.custom') is null, contacts.custom, json_patch(contacts.custom, u.v ->> 'custom')),
              version = contacts.version + 1, updated_at = ${job.now}
            from (select value as v, value ->> 'id' as id from ${jsonRows([...updates.values()])}) u
            where contacts.id = u.id and contacts.deleted_at is null
              and ${canWriteRecord(job.me, sql`contacts.owner_id`, sql`contacts.team_id`)}`),
          db.run(
            sql`insert or ignore into contact_tags (contact_id, tag) select value ->> 'id', value ->> 'tag' from ${jsonRows(addTags)}`,
          ),
          afterChangesStatement(db, target),
        );
      }
    }
    if (issues.length > 0) statements.push(issuesStatement(db, job.importId, issues));
    return { statements, counts, issues };
  },
};

const CREATE_COLUMNS = [
  "id",
  "first_name",
  "last_name",
  "name",
  "email",
  "phone",
  "company_id",
  "job_title",
  "address",
  "lead_status",
  "source",
  "custom",
  "owner_id",
] as const;

interface Change {
  values: Record<string, unknown>;
  tags: string[];
}

/** What an update would change on the contact; null when the row holds nothing new. */
function changedValues(
  existing: Existing,
  values: Record<string, unknown>,
  set: Columns["set"],
  custom: Record<string, unknown>,
  tags: readonly string[],
): Change | null {
  const out: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(values)) if (existing[column] !== value) out[column] = value;
  const list = (key: "emails" | "phones") => {
    const have = JSON.parse(existing[key]) as string[];
    const given = set[key] === undefined ? [] : (JSON.parse(String(set[key])) as string[]);
    return given.filter((value) => !have.includes(value));
  };
  const emailsAdd = list("emails");
  const phonesAdd = list("phones");
  if (emailsAdd.length > 0) {
    out.emails_add = emailsAdd;
    if (existing.email === null) out.email = emailsAdd[0];
  }
  if (phonesAdd.length > 0) {
    out.phones_add = phonesAdd;
    if (existing.phone === null) out.phone = phonesAdd[0];
  }
  const current = JSON.parse(existing.custom) as Record<string, unknown>;
  const customChange = Object.fromEntries(
    Object.entries(custom).filter(([key, value]) => JSON.stringify(current[key]) !== JSON.stringify(value)),
  );
  if (Object.keys(customChange).length > 0) out.custom = JSON.stringify(customChange);
  const haveTags = JSON.parse(existing.tags) as string[];
  const newTags = tags.filter((tag) => !haveTags.includes(tag));
  if (Object.keys(out).length === 0 && newTags.length === 0) return null;
  return { values: out, tags: newTags };
}

/** Two rows updating one contact in a chunk: the later one's values win, lists and custom values add up. */
function mergeUpdate(planned: Record<string, unknown>, change: Change): Record<string, unknown> {
  const next = { ...planned, ...change.values };
  for (const key of ["emails_add", "phones_add"]) {
    const before = (planned[key] as string[] | undefined) ?? [];
    const added = (change.values[key] as string[] | undefined) ?? [];
    if (before.length + added.length > 0) next[key] = [...new Set([...before, ...added])];
  }
  if (planned.custom && change.values.custom) {
    next.custom = JSON.stringify({
      ...JSON.parse(String(planned.custom)),
      ...JSON.parse(String(change.values.custom)),
    });
  }
  if (planned.email) next.email = planned.email;
  if (planned.phone) next.phone = planned.phone;
  return next;
}
