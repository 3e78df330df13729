// The read benchmark across database sizes: runs it on each seeded size, prints the sizes side by side and
// checks what issue 4 asks: a deep page costs no more than the first, and the largest size stays within twice
// the smallest.
import { datasetLabel, openDataset } from "./dataset.ts";
import { benchReads, READS, type ReadFigures, type Role } from "./reads.ts";

export type ReadSizes = Record<
  string,
  {
    contacts: number;
    repOwnedContacts: number;
    newRepOwnedContacts: number;
    seededSeconds: number;
    figures: ReadFigures;
  }
>;

export interface ReadCheck {
  check: string;
  holds: boolean;
  detail: string;
}

const REQUESTS = Number(process.env.BENCH_READ_REQUESTS ?? 40);
/** Timer and scheduling noise on a p50 of a few tens of ms; a real scan over a deep page costs far more. */
const NOISE = { factor: 1.1, ms: 2 };

export async function runReads(sizes: number[]): Promise<ReadSizes> {
  const out: ReadSizes = {};
  for (const contacts of sizes) {
    console.log(`Read latency at ${contacts.toLocaleString("en")} contacts…`);
    const data = await openDataset(contacts, (line) => console.log(line));
    try {
      out[data.label] = {
        contacts,
        repOwnedContacts: data.rep.ownedContacts,
        newRepOwnedContacts: data.newRep.ownedContacts,
        seededSeconds: data.seededSeconds,
        figures: await benchReads(data, { requests: REQUESTS, warmup: 5 }),
      };
    } finally {
      await data.close();
    }
  }
  return out;
}

export function readChecks(sizes: ReadSizes): ReadCheck[] {
  const labels = Object.keys(sizes);
  const checks: ReadCheck[] = [];
  for (const label of labels) {
    const figures = sizes[label]?.figures;
    if (!figures) continue;
    for (const role of ["admin", "rep"] as const) {
      const first = figures[role].firstPage.p50Ms;
      const deep = figures[role].deepPage.p50Ms;
      checks.push({
        check: `${label} ${role}: deep page p50 no more than first page p50`,
        holds: deep <= first * NOISE.factor + NOISE.ms,
        detail: `${deep} ms vs ${first} ms (allowing ${Math.round((NOISE.factor - 1) * 100)}% + ${NOISE.ms} ms of noise)`,
      });
    }
  }
  const small = sizes[labels[0] ?? ""];
  const large = labels.length > 1 ? sizes[labels.at(-1) ?? ""] : undefined;
  if (small && large) {
    const a = small.figures.newRepFirstPage.p50Ms;
    const b = large.figures.newRepFirstPage.p50Ms;
    checks.push({
      check: `new rep firstPage: p50 at ${datasetLabel(large.contacts)} within twice ${datasetLabel(small.contacts)}`,
      holds: b <= 2 * a,
      detail: `${b} ms vs ${a} ms (×${(b / a).toFixed(2)})`,
    });
    for (const role of ["admin", "rep"] as const) {
      for (const name of READS) {
        const a = small.figures[role][name].p50Ms;
        const b = large.figures[role][name].p50Ms;
        checks.push({
          check: `${role} ${name}: p50 at ${datasetLabel(large.contacts)} within twice ${datasetLabel(small.contacts)}`,
          holds: b <= 2 * a,
          detail: `${b} ms vs ${a} ms (×${(b / a).toFixed(2)})`,
        });
      }
    }
  }
  return checks;
}

export function printReads(sizes: ReadSizes, checks: ReadCheck[]) {
  const labels = Object.keys(sizes);
  console.log("");
  console.log(
    `Read latency through wrangler dev, ${REQUESTS} sequential requests each, p50 / p95 in ms (page of 50, rep sees own records only):`,
  );
  const header = ["", ...labels.map((l) => `${l} (${sizes[l]?.contacts.toLocaleString("en")})`)];
  const rows: string[][] = [header];
  for (const role of ["admin", "rep"] as Role[]) {
    for (const name of READS) {
      rows.push([
        `${role} ${name}`,
        ...labels.map((l) => {
          const f = sizes[l]?.figures[role][name];
          if (!f) return "";
          return `${f.p50Ms} / ${f.p95Ms}${f.items === undefined ? "" : `  (${f.items} rows)`}`;
        }),
      ]);
    }
  }
  rows.push([
    "new rep firstPage",
    ...labels.map((l) => {
      const f = sizes[l]?.figures.newRepFirstPage;
      return f ? `${f.p50Ms} / ${f.p95Ms}${f.items === undefined ? "" : `  (${f.items} rows)`}` : "";
    }),
  ]);
  const widths = header.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  for (const r of rows) console.log(`  ${r.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join("   ")}`);
  for (const l of labels) {
    console.log(
      `  ${l}: the rep owns ${sizes[l]?.repOwnedContacts.toLocaleString("en")} contacts, the new rep the ${sizes[l]?.newRepOwnedContacts} newest`,
    );
  }
  console.log("");
  for (const c of checks) console.log(`  ${c.holds ? "holds " : "FAILS "} ${c.check}: ${c.detail}`);
  if (labels.length < 2) console.log("  (1M side by side: npm run bench -- --large)");
}
