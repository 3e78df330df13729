// Demo data at any size: users and teams when there are none, then contacts with their companies, deals across
// the default pipeline, timelines and tasks, written in chunks of multi-row inserts, one transaction a chunk.
import type { Client, InArgs, InStatement } from "@libsql/client";
import * as W from "./names.ts";
import { ascii, Random } from "./random.ts";

export interface SeedOptions {
  contacts: number;
  seed: number;
  /** The time the data is made up to (epoch ms): with the seed, it fixes the data. */
  now: number;
  chunk?: number;
  /**
   * The server connection's page cache while seeding: inserts land all over the indexes, and once they outgrow
   * SQLite's default 2 MiB cache each one reads pages back; a bigger cache keeps large seeds fast.
   */
  cacheMiB?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface SeedResult {
  contacts: number;
  companies: number;
  deals: number;
  activities: number;
  tasks: number;
}

type Value = string | number | null;
export type Row = Record<string, Value>;

const DAY = 24 * 60 * 60_000;
const MAX_PARAMS = 30_000;

export interface Owner {
  id: string;
  teamId: string | null;
}
export interface Stage {
  id: string;
  probability: number;
  outcome: string | null;
}

export async function seed(client: Client, options: SeedOptions): Promise<SeedResult> {
  // Users, teams and the pipeline draw from streams of their own, so whether they had to be made does not
  // change the records: a second run with the same seed makes exactly the same rows (and so adds none).
  const owners = await ensureOwners(client, new Random(options.seed ^ 0x5eed01), options.now);
  const { pipelineId, stages } = await ensurePipeline(
    client,
    new Random(options.seed ^ 0x5eed02),
    options.now,
  );
  const rng = new Random(options.seed);
  if (options.cacheMiB) {
    // Only a speed-up: a server that refuses the pragma (a hosted database may) is seeded all the same.
    await client.execute(`pragma cache_size = -${options.cacheMiB * 1024}`).catch(() => undefined);
  }
  const chunk = options.chunk ?? 2000;
  // Another seed gets other emails and domains, so runs with different seeds add up; the same seed is a no-op.
  const suffix = options.seed === 1 ? "" : `-${options.seed}`;
  const domains = new Map<string, number>();
  const total: SeedResult = { contacts: 0, companies: 0, deals: 0, activities: 0, tasks: 0 };

  for (let start = 0; start < options.contacts; start += chunk) {
    const size = Math.min(chunk, options.contacts - start);
    const rows = makeChunk(rng, {
      start,
      size,
      owners,
      pipelineId,
      stages,
      now: options.now,
      suffix,
      domains,
    });
    await client.batch(
      Object.entries(rows).flatMap(([table, list]) => inserts(table, list)),
      "write",
    );
    total.contacts += rows.contacts.length;
    total.companies += rows.companies.length;
    total.deals += rows.deals.length;
    total.activities += rows.activities.length;
    total.tasks += rows.tasks.length;
    options.onProgress?.(start + size, options.contacts);
  }
  return total;
}

interface ChunkContext {
  start: number;
  size: number;
  owners: Owner[];
  pipelineId: string;
  stages: Stage[];
  now: number;
  suffix: string;
  domains: Map<string, number>;
}

/** The rows for `size` contacts, in the order they can be inserted (referenced rows first). */
function makeChunk(rng: Random, ctx: ChunkContext) {
  const { now } = ctx;
  const companies: Row[] = [];
  const contacts: Row[] = [];
  const contactTags: Row[] = [];
  const deals: Row[] = [];
  const dealContacts: Row[] = [];
  const history: Row[] = [];
  const activities: Row[] = [];
  const tasks: Row[] = [];

  for (let i = 0; i < ctx.size; i += 1) {
    const n = ctx.start + i;
    const owner = rng.pick(ctx.owners);
    const vietnamese = rng.chance(0.7);
    const createdAt = now - rng.int(1, 730) * DAY + rng.int(0, DAY - 1);

    // About one company for every eight contacts; each contact works at the newest one.
    if (n % 8 === 0 || companies.length === 0) {
      const name = vietnamese
        ? `Công ty ${rng.pick(W.COMPANY_KIND_VI)} ${rng.pick(W.COMPANY_PREFIX_VI)}`
        : `${rng.pick(W.COMPANY_PREFIX_EN)} ${rng.pick(W.COMPANY_KIND_EN)}`;
      const base = ascii(name.replace(/^Công ty /, ""));
      const seen = ctx.domains.get(base) ?? 0;
      ctx.domains.set(base, seen + 1);
      const at = createdAt - rng.int(0, 90) * DAY;
      companies.push({
        id: rng.uuidv7(at),
        name,
        domain: `${base}${seen || ""}${ctx.suffix}.${vietnamese ? "vn" : "com"}`,
        industry: rng.pick(W.INDUSTRIES),
        size: rng.pick(W.SIZES),
        country: vietnamese ? "VN" : rng.pick(["SG", "AU", "GB", "US", "CA", "DE"]),
        owner_id: owner.id,
        team_id: owner.teamId,
        created_at: at,
        updated_at: at,
      });
    }
    const company = companies[companies.length - 1] as Row;

    const [first, last, name] = vietnamese ? vietnameseName(rng) : englishName(rng);
    const email = `${ascii(first)}.${ascii(last)}${n}${ctx.suffix}@${rng.chance(0.6) ? company.domain : rng.pick(["gmail.com", "outlook.com", "yahoo.com"])}`;
    const phone = vietnamese
      ? `+84${rng.pick(["9", "3", "8", "7"])}${rng.int(10_000_000, 99_999_999)}`
      : `+65${rng.int(80_000_000, 99_999_999)}`;
    const contactId = rng.uuidv7(createdAt);
    const stage = rng.pick([
      "subscriber",
      "lead",
      "lead",
      "mql",
      "sql",
      "opportunity",
      "customer",
      "customer",
      "evangelist",
      "disqualified",
      "churned",
    ]);
    const touch = JSON.stringify({
      source: rng.pick(W.SOURCES),
      campaign: rng.pick(["tet-2026", "summer", "webinar", "brand"]),
    });
    contacts.push({
      id: contactId,
      first_name: first,
      last_name: last,
      name,
      email,
      emails: JSON.stringify([email]),
      phone,
      phones: JSON.stringify([phone]),
      company_id: company.id as string,
      job_title: rng.pick(W.JOB_TITLES),
      address: vietnamese
        ? `${rng.int(1, 300)} ${rng.pick(W.STREETS_VI)}, ${rng.pick(W.CITIES_VI)}`
        : `${rng.int(1, 300)} Market Street, ${rng.pick(W.CITIES_EN)}`,
      lifecycle_stage: stage,
      lead_status: rng.pick(["new", "attempting", "connected", "qualified", "unqualified"]),
      source: rng.pick(W.SOURCES),
      first_touch: touch,
      latest_touch: touch,
      email_consent: rng.chance(0.5) ? "granted" : null,
      consent_at: createdAt,
      consent_source: "form",
      owner_id: owner.id,
      team_id: owner.teamId,
      created_at: createdAt,
      updated_at: createdAt + rng.int(0, 30) * DAY,
    });
    if (rng.chance(0.4)) contactTags.push({ contact_id: contactId, tag: rng.pick(W.TAGS) });

    // Timeline: one to three activities, newest last.
    for (let a = rng.int(1, 3); a > 0; a -= 1) {
      const at = Math.min(now, createdAt + rng.int(0, 120) * DAY);
      const type = rng.pick(["note", "call", "email", "meeting"] as const);
      activities.push({
        id: rng.uuidv7(at),
        type,
        occurred_at: at,
        actor_user_id: owner.id,
        contact_id: contactId,
        company_id: company.id as string,
        subject:
          type === "note"
            ? null
            : `${type === "call" ? "Cuộc gọi" : type === "email" ? "Email" : "Cuộc họp"} với ${name}`,
        body: rng.pick(W.NOTES),
        metadata:
          type === "call"
            ? JSON.stringify({ outcome: rng.pick(W.CALL_OUTCOMES), durationSeconds: rng.int(20, 1800) })
            : "{}",
        created_at: at,
      });
    }

    // A deal for one contact in four, somewhere in the pipeline.
    if (rng.chance(0.25)) {
      const dealStage = rng.pick(ctx.stages);
      const dealAt = createdAt + rng.int(0, 60) * DAY;
      const enteredAt = Math.min(now, dealAt + rng.int(0, 30) * DAY);
      const dealId = rng.uuidv7(dealAt);
      const vnd = vietnamese && rng.chance(0.8);
      deals.push({
        id: dealId,
        name: `${rng.pick(W.DEAL_PRODUCTS)} – ${company.name}`,
        amount: vnd ? rng.int(5, 2000) * 1_000_000 : rng.int(10, 500) * 100_000,
        currency: vnd ? "VND" : "USD",
        pipeline_id: ctx.pipelineId,
        stage_id: dealStage.id,
        stage_entered_at: enteredAt,
        status: dealStage.outcome ?? "open",
        expected_close_date: new Date(enteredAt + rng.int(7, 120) * DAY).toISOString().slice(0, 10),
        closed_at: dealStage.outcome ? enteredAt : null,
        company_id: company.id as string,
        owner_id: owner.id,
        team_id: owner.teamId,
        created_at: dealAt,
        updated_at: enteredAt,
      });
      dealContacts.push({ deal_id: dealId, contact_id: contactId });
      history.push({
        id: rng.uuidv7(enteredAt),
        deal_id: dealId,
        stage_id: dealStage.id,
        entered_at: enteredAt,
        left_at: null,
        moved_by: owner.id,
      });
      activities.push({
        id: rng.uuidv7(enteredAt),
        type: "stage_change",
        occurred_at: enteredAt,
        actor_user_id: owner.id,
        contact_id: contactId,
        deal_id: dealId,
        metadata: JSON.stringify({ to: dealStage.id }),
        created_at: enteredAt,
      });
    }

    // A task for one contact in five, due around now.
    if (rng.chance(0.2)) {
      const due = now + rng.int(-10, 20) * DAY;
      const done = due < now && rng.chance(0.6);
      tasks.push({
        id: rng.uuidv7(due - 7 * DAY),
        title: `${rng.pick(W.TASK_TITLES)}: ${name}`,
        due_at: due,
        remind_at: due - 60 * 60_000,
        reminder_sent_at: due - 60 * 60_000 < now ? due - 60 * 60_000 : null,
        status: done ? "done" : "open",
        priority: rng.pick(["low", "normal", "normal", "high"]),
        completed_at: done ? due : null,
        contact_id: contactId,
        owner_id: owner.id,
        team_id: owner.teamId,
        created_at: due - 7 * DAY,
        updated_at: due - 7 * DAY,
      });
    }
  }
  return {
    companies,
    contacts,
    contact_tags: contactTags,
    deals,
    deal_contacts: dealContacts,
    deal_stage_history: history,
    activities,
    tasks,
  };
}

function vietnameseName(rng: Random): [string, string, string] {
  const family = rng.pick(W.VI_FAMILY);
  const given = rng.pick(W.VI_GIVEN);
  return [given, family, `${family} ${rng.pick(W.VI_MIDDLE)} ${given}`];
}

function englishName(rng: Random): [string, string, string] {
  const given = rng.pick(W.EN_GIVEN);
  const family = rng.pick(W.EN_FAMILY);
  return [given, family, `${given} ${family}`];
}

/**
 * Multi-row `INSERT OR IGNORE`s for rows of one table, as many rows a statement as SQLite's parameter limit
 * allows. Ignoring rows already there makes a second run with the same seed change nothing.
 */
export function inserts(table: string, rows: Row[]): InStatement[] {
  const first = rows[0];
  if (!first) return [];
  const columns = Object.keys(first);
  // Rows of one table may leave out different optional columns: every row gets every column, null or not.
  for (const row of rows) for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key);
  const perStatement = Math.max(1, Math.floor(MAX_PARAMS / columns.length));
  const tuple = `(${columns.map(() => "?").join(",")})`;
  const statements: InStatement[] = [];
  for (let i = 0; i < rows.length; i += perStatement) {
    const part = rows.slice(i, i + perStatement);
    const args: InArgs = part.flatMap((row) => columns.map((column) => row[column] ?? null));
    statements.push({
      sql: `insert or ignore into ${table} (${columns.join(",")}) values ${part.map(() => tuple).join(",")}`,
      args,
    });
  }
  return statements;
}

/** Active users own the records; a fresh database gets six demo users in two teams. */
export async function ensureOwners(client: Client, rng: Random, now: number): Promise<Owner[]> {
  const read = () =>
    client.execute(
      "select u.id, (select team_id from team_members m where m.user_id = u.id order by team_id limit 1) as team_id from users u where u.active = 1 order by u.id",
    );
  let rows = (await read()).rows;
  if (rows.length <= 1) {
    const teams = [
      { id: rng.uuidv7(now - 400 * DAY), name: "Hà Nội" },
      { id: rng.uuidv7(now - 400 * DAY), name: "Hồ Chí Minh" },
    ];
    const people = [
      ["Trần Thu Hà", "manager"],
      ["Lê Minh Đức", "rep"],
      ["Phạm Ngọc Lan", "rep"],
      ["Emma Clarke", "manager"],
      ["Võ Quốc Bảo", "rep"],
      ["Liam Walker", "rep"],
    ] as const;
    const users = people.map(([name, role], i) => ({
      id: rng.uuidv7(now - 400 * DAY + i),
      email: `${ascii(name.split(" ").at(-1) ?? name)}.demo${i}@example.com`,
      name,
      role,
      created_at: now - 400 * DAY,
      updated_at: now - 400 * DAY,
    }));
    const members = users.map((u, i) => ({
      team_id: (teams[i < 3 ? 0 : 1] as { id: string }).id,
      user_id: u.id,
      is_lead: u.role === "manager" ? 1 : 0,
    }));
    const teamRows = teams.map((t) => ({ ...t, created_at: now - 400 * DAY }));
    await client.batch(
      [...inserts("teams", teamRows), ...inserts("users", users), ...inserts("team_members", members)],
      "write",
    );
    rows = (await read()).rows;
  }
  return rows.map((r) => ({ id: String(r.id), teamId: r.team_id === null ? null : String(r.team_id) }));
}

/** The default pipeline (the first by position): made here with the usual stages when there is none. */
export async function ensurePipeline(client: Client, rng: Random, now: number) {
  const find = () =>
    client.execute(
      "select s.id, s.probability, s.outcome, s.pipeline_id from stages s where s.archived_at is null and s.pipeline_id = (select id from pipelines where archived_at is null order by position, id limit 1) order by s.position",
    );
  let rows = (await find()).rows;
  if (rows.length === 0) {
    const pipelineId = rng.uuidv7(now - 400 * DAY);
    const spec = [
      ["Tiếp cận / New", 10, "pipeline", null],
      ["Đánh giá nhu cầu / Qualified", 20, "pipeline", null],
      ["Demo", 40, "best_case", null],
      ["Báo giá / Proposal", 60, "best_case", null],
      ["Đàm phán / Negotiation", 80, "commit", null],
      ["Thắng / Won", 100, "closed_won", "won"],
      ["Thua / Lost", 0, "omitted", "lost"],
    ] as const;
    const at = now - 400 * DAY;
    await client.batch(
      [
        ...inserts("pipelines", [
          { id: pipelineId, name: "Sales", position: 0, created_at: at, updated_at: at },
        ]),
        ...inserts(
          "stages",
          spec.map(([name, probability, forecast, outcome], position) => ({
            id: rng.uuidv7(at + position),
            pipeline_id: pipelineId,
            name,
            position,
            probability,
            forecast_category: forecast,
            outcome,
            created_at: at,
            updated_at: at,
          })),
        ),
      ],
      "write",
    );
    rows = (await find()).rows;
  }
  const stages: Stage[] = rows.map((r) => ({
    id: String(r.id),
    probability: Number(r.probability),
    outcome: r.outcome === null ? null : String(r.outcome),
  }));
  return { pipelineId: String(rows[0]?.pipeline_id), stages };
}
