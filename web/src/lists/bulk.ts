// Bulk actions on a list's selection: one request per record, a few at a time, and a count of what worked.
import { describe } from "../ui/problem.ts";

export interface BulkResult {
  done: number;
  failed: { id: string; reason: string }[];
}

export async function runBulk<T extends { id: string }>(
  rows: T[],
  action: (row: T) => Promise<unknown>,
  concurrency = 4,
): Promise<BulkResult> {
  const result: BulkResult = { done: 0, failed: [] };
  const queue = [...rows];
  const worker = async () => {
    for (let row = queue.shift(); row; row = queue.shift()) {
      try {
        await action(row);
        result.done += 1;
      } catch (error) {
        result.failed.push({ id: row.id, reason: describe(error) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, rows.length) }, worker));
  return result;
}
