// Record ids made inside a statement, for rows a set-based write inserts without reading first (one
// "stopped" timeline entry per enrolment a statement stops): UUIDv7 in layout, so they sort by time like newId().
import { type SQL, sql } from "drizzle-orm";

/**
 * A fresh UUIDv7 per row: the 48-bit millisecond time `at`, the version and variant bits, and 74 random bits.
 * `random() & mask` keeps the low bits of a 64-bit random integer (no abs(), which overflows on the minimum).
 */
export function sqlNewId(at: number): SQL<string> {
  const ms = Math.trunc(at);
  return sql<string>`printf('%08x-%04x-7%03x-%04x-%012x', ${Math.floor(ms / 65536)}, ${ms % 65536},
    random() & 4095, 32768 | (random() & 16383), random() & 281474976710655)`;
}
