// Read latency through `wrangler dev` against a seeded database: the contact list (first page and a page far
// down reached by cursor), search, contact 360 and the pipeline board, each for an admin and for a rep.
import { encodeSortCursor as encodeCursor } from "../../db/paging.ts";
import type { Dataset } from "./dataset.ts";

/**
 * A surname common enough that the rep's own matches fill a page at 10,000 contacts as at a million, so both
 * sizes answer the same 50 rows and the figures compare the same work ("nguyen van" found the rep 6 at 10,000).
 */
const SEARCH = encodeURIComponent("nguyen");

export const READS = ["firstPage", "deepPage", "search", "contact360", "board"] as const;
export type ReadName = (typeof READS)[number];
export type Role = "admin" | "rep";

export interface Latency {
  p50Ms: number;
  p95Ms: number;
  requests: number;
  /** Rows on the page (lists and search), so a figure for an empty answer is not mistaken for a fast one. */
  items?: number;
}

export type ReadFigures = Record<Role, Record<ReadName, Latency>> & {
  /** The first contact page of a rep who owns only the newest 100 contacts (fewer requests: it can be slow). */
  newRepFirstPage: Latency;
};

const PAGE = 50;

export async function benchReads(
  data: Dataset,
  options: { requests: number; warmup: number },
): Promise<ReadFigures> {
  const targets = await pickTargets(data);
  const figures = {} as ReadFigures;
  for (const role of ["admin", "rep"] as const) {
    const t = targets[role];
    const paths: Record<ReadName, string> = {
      firstPage: `/api/v1/contacts?limit=${PAGE}`,
      deepPage: `/api/v1/contacts?limit=${PAGE}&cursor=${t.deepCursor}`,
      search: `/api/v1/contacts?limit=${PAGE}&q=${SEARCH}`,
      contact360: `/api/v1/contacts/${t.contactId}/360`,
      board: `/api/v1/pipelines/${targets.pipelineId}/board`,
    };
    // Round robin over the reads, so a burst of load elsewhere on the machine falls on all of them alike.
    const urls = READS.map((name) => `${data.stack.workerUrl}${paths[name]}`);
    const timings = await measure(urls, data[role].cookie, options);
    const perRole = Object.fromEntries(READS.map((name, i) => [name, timings[i]])) as Record<
      ReadName,
      Latency
    >;
    figures[role] = perRole;
  }
  const [newRep] = await measure(
    [`${data.stack.workerUrl}/api/v1/contacts?limit=${PAGE}`],
    data.newRep.cookie,
    {
      requests: Math.max(3, Math.round(options.requests / 8)),
      warmup: 1,
    },
  );
  if (!newRep) throw new Error("No figure for the new rep");
  figures.newRepFirstPage = newRep;
  return figures;
}

/**
 * What each caller reads: a contact they can see (with deals, so 360 has something to gather) and a cursor nine
 * tenths of the way down the contacts they can see, in the list's default order (by id).
 */
async function pickTargets(data: Dataset) {
  const { client, rep } = data;
  const one = async (sql: string, args: (string | number)[] = []) => {
    const row = (await client.execute({ sql, args })).rows[0];
    if (!row) throw new Error(`No row for: ${sql}`);
    return row;
  };
  const pipelineId = String(
    (await one("select id from pipelines where archived_at is null order by position, id limit 1")).id,
  );
  const all = Number((await one("select count(*) as n from contacts where deleted_at is null")).n);
  const deepAdmin = String(
    (
      await one("select id from contacts where deleted_at is null order by id limit 1 offset ?", [
        Math.floor(all * 0.9),
      ])
    ).id,
  );
  const deepRep = String(
    (
      await one(
        "select id from contacts where deleted_at is null and owner_id = ? order by id limit 1 offset ?",
        [rep.userId, Math.floor(rep.ownedContacts * 0.9)],
      )
    ).id,
  );
  const contactFor = async (ownerId: string | null) =>
    String(
      (
        await one(
          `select dc.contact_id as id from deal_contacts dc join contacts c on c.id = dc.contact_id
           where c.deleted_at is null ${ownerId ? "and c.owner_id = ?" : ""} order by dc.contact_id limit 1 offset 100`,
          ownerId ? [ownerId] : [],
        )
      ).id,
    );
  return {
    pipelineId,
    admin: { deepCursor: encodeCursor(deepAdmin, deepAdmin), contactId: await contactFor(null) },
    rep: { deepCursor: encodeCursor(deepRep, deepRep), contactId: await contactFor(rep.userId) },
  };
}

export async function measure(
  urls: string[],
  cookie: string,
  options: { requests: number; warmup: number },
): Promise<Latency[]> {
  const times = urls.map(() => [] as number[]);
  const items: (number | undefined)[] = urls.map(() => undefined);
  for (let i = 0; i < options.warmup + options.requests; i++) {
    for (const [u, url] of urls.entries()) {
      const started = performance.now();
      const response = await fetch(url, { headers: { cookie } });
      const body = await response.text();
      const ms = performance.now() - started;
      if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${body.slice(0, 300)}`);
      if (i >= options.warmup) times[u]?.push(ms);
      if (i === 0) {
        const list = (JSON.parse(body) as { items?: unknown }).items;
        if (Array.isArray(list)) items[u] = list.length;
      }
    }
  }
  return times.map((list, u) => {
    list.sort((a, b) => a - b);
    const at = (q: number) => round(list[Math.min(list.length - 1, Math.floor(q * list.length))] ?? 0);
    const count = items[u];
    return {
      p50Ms: at(0.5),
      p95Ms: at(0.95),
      requests: list.length,
      ...(count === undefined ? {} : { items: count }),
    };
  });
}

const round = (ms: number) => Math.round(ms * 10) / 10;
