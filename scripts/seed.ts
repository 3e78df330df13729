// `npm run seed -- --contacts N [--seed S] [--now ISO] [--url URL]`: realistic demo data, straight into the
// database at LIBSQL_URL (default: the local server that `npm start` runs).
import { parseArgs } from "node:util";
import { createClient } from "@libsql/client";
import { seed } from "./seed/run.ts";

const { values } = parseArgs({
  options: {
    contacts: { type: "string", default: "1000" },
    seed: { type: "string", default: "1" },
    now: { type: "string" },
    url: { type: "string" },
    chunk: { type: "string", default: "2000" },
  },
});

const contacts = Number(values.contacts);
const seedValue = Number(values.seed);
if (!Number.isInteger(contacts) || contacts < 0 || contacts > 10_000_000) {
  throw new Error("--contacts must be a whole number between 0 and 10,000,000");
}
if (!Number.isInteger(seedValue)) throw new Error("--seed must be a whole number");
// The data is fixed by the seed and this time; by default today (UTC), so a run on the same day repeats it.
const now = values.now ? Date.parse(values.now) : Math.floor(Date.now() / 86_400_000) * 86_400_000;
if (Number.isNaN(now)) throw new Error("--now must be a date, e.g. 2026-06-01");

const url = values.url ?? process.env.LIBSQL_URL ?? "http://127.0.0.1:8080";
const client = createClient({ url, authToken: process.env.LIBSQL_AUTH_TOKEN });
const started = performance.now();
let lastPrint = 0;

console.log(`Seeding ${contacts.toLocaleString("en")} contacts into ${url} (seed ${seedValue})`);
try {
  const result = await seed(client, {
    contacts,
    seed: seedValue,
    now,
    chunk: Number(values.chunk),
    cacheMiB: 512,
    onProgress(done, total) {
      const elapsed = (performance.now() - started) / 1000;
      if (done < total && elapsed - lastPrint < 1) return;
      lastPrint = elapsed;
      const rate = Math.round(done / Math.max(elapsed, 0.001));
      console.log(
        `  ${done.toLocaleString("en")} / ${total.toLocaleString("en")} contacts  (${rate.toLocaleString("en")}/s)`,
      );
    },
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `Done in ${seconds}s: ${Object.entries(result)
      .map(([table, n]) => `${n.toLocaleString("en")} ${table}`)
      .join(", ")} (rows already there are left as they were).`,
  );
} finally {
  client.close();
}
