// What list queries share: keyset pages (a list query reads one row more than the page, to know whether more
// follow), the condition that continues a newest-first list after a cursor, and a text search in some columns.
import { and, eq, lt, or, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** How many rows a list query reads for a page of `limit`: one more, the sign that another page follows. */
export function rowsForPage(limit: number): number {
  return limit + 1;
}

/** The page out of the rows a list query read; its nextCursor is the last item's id when more follow. */
export function keysetPage<R extends { id: string }, V>(
  rows: R[],
  limit: number,
  view: (row: R) => V,
): Page<V> {
  const kept = rows.slice(0, limit);
  return { items: kept.map(view), nextCursor: rows.length > limit ? (kept.at(-1)?.id ?? null) : null };
}

/**
 * A cursor for lists sorted by a column: the last row's sort value and id, as UTF-8 JSON in base64url, so a
 * page follows exactly where the last ended, whatever the value holds ("Phở", "Đức").
 */
export function encodeSortCursor(value: string | number, id: string): string {
  const bytes = new TextEncoder().encode(JSON.stringify([value, id]));
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** The sort value and id of a cursor made by encodeSortCursor; null for anything else. */
export function decodeSortCursor(cursor: string): [string | number, string] | null {
  try {
    const binary = atob(cursor.replaceAll("-", "+").replaceAll("_", "/"));
    const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(
      Uint8Array.from(binary, (c) => c.charCodeAt(0)),
    );
    const parsed: unknown = JSON.parse(text);
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      (typeof parsed[0] === "string" || typeof parsed[0] === "number") &&
      typeof parsed[1] === "string"
    ) {
      return [parsed[0], parsed[1]];
    }
  } catch {
    // Not a cursor a list made.
  }
  return null;
}

/** Rows after the cursor in a list sorted newest first on (time, id): older, or as old with a smaller id. */
export function beforeCursor(
  at: SQLiteColumn,
  id: SQLiteColumn,
  cursor: { at: number; id: string },
): SQL | undefined {
  return or(lt(at, cursor.at), and(eq(at, cursor.at), lt(id, cursor.id)));
}

/**
 * The text anywhere in any of the columns, case aside: LIKE on lower-cased values, with the text's own `%`, `_`
 * and `\` escaped so that they match themselves.
 */
export function containsText(columns: readonly (SQLiteColumn | SQL)[], text: string): SQL {
  const pattern = `%${text
    .trim()
    .toLowerCase()
    .replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return sql`(${sql.join(
    columns.map((column) => sql`lower(${column}) like ${pattern} escape '\\'`),
    sql` or `,
  )})`;
}
