// The single-insert ceiling: one-row INSERTs per second through the local libSQL server, each its own round trip,
// with the real @libsql/client as the Worker uses it.
import { createClient } from "@libsql/client/web";

export interface InsertResult {
  concurrency: number;
  insertsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export async function benchInserts(
  url: string,
  options: { seconds: number; concurrency: number },
): Promise<InsertResult> {
  const client = createClient({ url });
  await client.execute("drop table if exists bench_inserts");
  await client.execute(
    "create table bench_inserts (id integer primary key, payload text not null, created_at integer not null)",
  );
  const latencies: number[] = [];
  const deadline = performance.now() + options.seconds * 1_000;
  const started = performance.now();
  let sequence = 0;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        await client.execute({
          sql: "insert into bench_inserts (payload, created_at) values (?, ?)",
          args: [`lead ${sequence++}`, Date.now()],
        });
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsedSeconds = (performance.now() - started) / 1_000;
  const { rows } = await client.execute("select count(*) as n from bench_inserts");
  client.close();
  if (Number(rows[0]?.n) !== latencies.length) throw new Error("insert count mismatch: the server lost rows");
  latencies.sort((a, b) => a - b);
  const at = (q: number) => Math.round((latencies[Math.floor(q * (latencies.length - 1))] ?? 0) * 100) / 100;
  return {
    concurrency: options.concurrency,
    insertsPerSecond: Math.round(latencies.length / elapsedSeconds),
    p50Ms: at(0.5),
    p99Ms: at(0.99),
  };
}
