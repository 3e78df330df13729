// A seeded database for the read benchmarks, kept under .data/bench/<label>/ and re-seeded only when it holds
// fewer contacts than asked for (the seed is fixed, so topping up a cut-short run adds exactly what is missing).
import { resolve } from "node:path";
import { type Client, createClient } from "@libsql/client";
import { loadLocalSecrets } from "../lib/local-secrets.ts";
import { freePort } from "../lib/processes.ts";
import { type LocalStack, startLocalStack } from "../lib/stack.ts";
import { seed } from "../seed/run.ts";

/** The day the demo data is made up to: fixed, so a kept database matches what a fresh seed would make. */
const SEED_NOW = Date.parse("2026-06-01T00:00:00Z");
const REP_PASSWORD = "bench rep password 1";
// The Worker's own hashing, loaded at run time: its WebCrypto types are the Workers', which the Node
// type check (tsconfig.node.json) does not compile.
const PASSWORDS_MODULE = "../../functions/auth/passwords.ts";
type HashPassword = (password: string, pepper: string) => Promise<string>;
const NEW_REP = { id: "0190ffff-0000-7000-8000-00000000beef", email: "new.rep@bench.example.com", owns: 100 };

export interface Dataset {
  label: string;
  contacts: number;
  stack: LocalStack;
  client: Client;
  /** Cookie headers for a logged-in admin and a logged-in rep (who sees only their own records). */
  admin: { cookie: string };
  rep: { cookie: string; userId: string; ownedContacts: number };
  /** A rep who joined lately and owns only the newest few contacts: the worst case for an owner-scoped list. */
  newRep: { cookie: string; userId: string; ownedContacts: number };
  seededSeconds: number;
  close(): Promise<void>;
}

export function datasetLabel(contacts: number): string {
  return contacts >= 1_000_000 && contacts % 1_000_000 === 0
    ? `${contacts / 1_000_000}m`
    : contacts >= 1000 && contacts % 1000 === 0
      ? `${contacts / 1000}k`
      : String(contacts);
}

export async function openDataset(
  contacts: number,
  log: (line: string) => void = console.log,
): Promise<Dataset> {
  const label = datasetLabel(contacts);
  const dataDir = resolve(".data/bench", label);
  const stack = await startLocalStack({
    port: await freePort(),
    dbPort: 0,
    dataDir,
    quiet: process.env.BENCH_VERBOSE !== "1",
  });
  const client = createClient({ url: stack.server.url });
  const close = async () => {
    client.close();
    await stack.stop();
  };
  try {
    await markSeededEventsDispatched(client);
    // The first login creates the admin, and must come before the seed adds users.
    const users = Number((await client.execute("select count(*) as n from users")).rows[0]?.n ?? 0);
    // Logins are rate limited (10 a minute from one address): only as many as needed.
    if (users === 0) await login(stack.workerUrl, stack.admin.email, stack.admin.password);
    const have = Number((await client.execute("select count(*) as n from contacts")).rows[0]?.n ?? 0);
    let seededSeconds = 0;
    if (have < contacts) {
      log(
        `  seeding ${label}: ${have.toLocaleString("en")} contacts there, ${contacts.toLocaleString("en")} wanted…`,
      );
      const started = performance.now();
      let lastPrint = 0;
      await seed(client, {
        contacts,
        seed: 1,
        now: SEED_NOW,
        cacheMiB: 512,
        onProgress(done, total) {
          const s = (performance.now() - started) / 1000;
          if (s - lastPrint < 30) return;
          lastPrint = s;
          log(`    ${done.toLocaleString("en")} / ${total.toLocaleString("en")} (${s.toFixed(0)} s)`);
        },
      });
      seededSeconds = Math.round((performance.now() - started) / 1000);
      await markSeededEventsDispatched(client);
      await client.execute("analyze");
    }
    // Logged in after the seed, which can outlast a short-lived access token.
    const admin = { cookie: await login(stack.workerUrl, stack.admin.email, stack.admin.password) };
    const rep = await prepareRep(client, stack, dataDir);
    const newRep = await prepareNewRep(client, stack, dataDir);
    return { label, contacts, stack, client, admin, rep, newRep, seededSeconds, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Seeded rows are history, not news: the domain events the triggers wrote as the seed inserted them are marked
 * dispatched before the Worker starts (and again after a seed), or the first write of a run (a login) would set
 * it sending millions of them to the consumers while the requests are being measured. They stay in the table,
 * where the first rollup reads the contacts' lifecycle transitions from them.
 */
export async function markSeededEventsDispatched(client: Client): Promise<void> {
  await client.execute({
    sql: "update domain_events set dispatched_at = ?, claimed_until = null where dispatched_at is null",
    args: [SEED_NOW],
  });
}

/** A seeded rep with a known password, the organisation setting that lets reps see team records off. */
export async function prepareRep(client: Client, stack: LocalStack, dataDir: string) {
  const found = await client.execute(
    "select u.id, u.email, (select count(*) from contacts c where c.owner_id = u.id and c.deleted_at is null) as owned from users u where u.role = 'rep' and u.active = 1 and u.id <> ? order by u.id limit 1",
    [NEW_REP.id],
  );
  const row = found.rows[0];
  if (!row) throw new Error("The seeded database has no rep");
  const pepper = loadLocalSecrets(dataDir).PASSWORD_PEPPER;
  const { hashPassword } = (await import(PASSWORDS_MODULE)) as { hashPassword: HashPassword };
  await client.batch(
    [
      {
        sql: "update users set password_hash = ? where id = ?",
        args: [await hashPassword(REP_PASSWORD, pepper), String(row.id)],
      },
      {
        sql: "insert into settings (key, value, updated_at) values ('repsSeeTeamRecords', 'false', ?) on conflict (key) do update set value = excluded.value",
        args: [Date.now()],
      },
    ],
    "write",
  );
  return {
    cookie: await login(stack.workerUrl, String(row.email), REP_PASSWORD),
    userId: String(row.id),
    ownedContacts: Number(row.owned),
  };
}

/** The new rep, made once: given the newest contacts, so their first page by id lies at the very end. */
async function prepareNewRep(client: Client, stack: LocalStack, dataDir: string) {
  const { hashPassword } = (await import(PASSWORDS_MODULE)) as { hashPassword: HashPassword };
  const passwordHash = await hashPassword(REP_PASSWORD, loadLocalSecrets(dataDir).PASSWORD_PEPPER);
  await client.batch(
    [
      {
        sql: "insert into users (id, email, name, role, active, password_hash, created_at, updated_at) values (?, ?, 'New Rep', 'rep', 1, ?, ?, ?) on conflict (id) do update set email = excluded.email, password_hash = excluded.password_hash, active = 1",
        args: [NEW_REP.id, NEW_REP.email, passwordHash, SEED_NOW, SEED_NOW],
      },
      {
        sql: "update contacts set owner_id = ? where not exists (select 1 from contacts where owner_id = ?) and id in (select id from contacts order by id desc limit ?)",
        args: [NEW_REP.id, NEW_REP.id, NEW_REP.owns],
      },
    ],
    "write",
  );
  const owned = await client.execute({
    sql: "select count(*) as n from contacts where owner_id = ?",
    args: [NEW_REP.id],
  });
  return {
    cookie: await login(stack.workerUrl, NEW_REP.email, REP_PASSWORD),
    userId: NEW_REP.id,
    ownedContacts: Number(owned.rows[0]?.n ?? 0),
  };
}

/** Logs in through the API; the access cookie, ready for a Cookie header. */
export async function login(workerUrl: string, email: string, password: string): Promise<string> {
  const response = await fetch(`${workerUrl}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  if (!response.ok) throw new Error(`Login as ${email} failed: ${response.status} ${await response.text()}`);
  const access = response.headers
    .getSetCookie()
    .map((c) => c.split(";")[0] ?? "")
    .find((c) => c.startsWith("crm_access="));
  if (!access) throw new Error(`Login as ${email} set no access cookie`);
  return access;
}
