// Reading the next chunk's share of the file: a window of bytes from the import's cursor, taken from the stored
// parts with substr (only the bytes wanted cross the network), sized from the rows seen so far.
import { sql } from "drizzle-orm";
import type { Database } from "../client.ts";

/** Rows a chunk takes at most: a few thousand, so each chunk's batch stays well within a second. */
export const CHUNK_ROWS = 2500;
const MIN_WINDOW = 64 * 1024;
export const MAX_WINDOW = 8 * 1024 * 1024;

/**
 * The window's pieces, in part order. Its size is about what CHUNK_ROWS rows took so far (a first window of
 * 256 KB), at least `atLeast` bytes (a row longer than the window asks again with more).
 */
export function windowQuery(db: Database, importId: string, atLeast: number) {
  return db.all<{ part: number; start: number; data: ArrayBuffer | Uint8Array }>(sql`with i as (
      select cursor, max(${atLeast}, min(${MAX_WINDOW}, case when avg_row_bytes = 0 then ${256 * 1024}
        else max(${MIN_WINDOW}, avg_row_bytes * ${Math.round(CHUNK_ROWS * 1.25)} + 8192) end)) as w
      from imports where id = ${importId})
    select p.part as part, p.start as start,
      substr(p.data, max(1, i.cursor - p.start + 1), i.w - max(0, p.start - i.cursor)) as data
    from import_parts p, i where p.import_id = ${importId} and p.start + p.bytes > i.cursor and p.start < i.cursor + i.w
    order by p.part`);
}

/** The pieces as one byte array. */
export function joinWindow(pieces: readonly { data: ArrayBuffer | Uint8Array }[]): Uint8Array {
  const arrays = pieces.map((p) => (p.data instanceof Uint8Array ? p.data : new Uint8Array(p.data)));
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const array of arrays) {
    out.set(array, at);
    at += array.length;
  }
  return out;
}
