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

export interface BatchedInsertResult {
  concurrency: number;
  rowsPerRequest: number;
  rowsPerSecond: number;
  requestsPerSecond: number;
}

/**
 * The batched-insert ceiling: multi-row INSERTs of `rowsPerRequest` rows, each one round trip, from
 * `concurrency` clients at once: the most rows a second the local database takes over HTTP.
 */
export async function benchBatchedInserts(
  url: string,
  options: { seconds: number; concurrency: number; rowsPerRequest: number },
): Promise<BatchedInsertResult> {
  const client = createClient({ url });
  await client.execute("drop table if exists bench_batched_inserts");
  await client.execute(
    "create table bench_batched_inserts (id integer primary key, payload text not null, created_at integer not null)",
  );
  const placeholders = Array.from({ length: options.rowsPerRequest }, () => "(?, ?)").join(", ");
  const deadline = performance.now() + options.seconds * 1_000;
  const started = performance.now();
  let requests = 0;
  let sequence = 0;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (performance.now() < deadline) {
        const args = Array.from({ length: options.rowsPerRequest }, () => [
          `lead ${sequence++}`,
          Date.now(),
        ]).flat();
        await client.execute({
          sql: `insert into bench_batched_inserts (payload, created_at) values ${placeholders}`,
          args,
        });
        requests += 1;
      }
    }),
  );
  const elapsedSeconds = (performance.now() - started) / 1_000;
  const { rows } = await client.execute("select count(*) as n from bench_batched_inserts");
  await client.execute("drop table bench_batched_inserts");
  client.close();
  const stored = Number(rows[0]?.n);
  if (stored !== requests * options.rowsPerRequest) throw new Error("batched insert count mismatch");
  return {
    concurrency: options.concurrency,
    rowsPerRequest: options.rowsPerRequest,
    rowsPerSecond: Math.round(stored / elapsedSeconds),
    requestsPerSecond: Math.round(requests / elapsedSeconds),
  };
}
