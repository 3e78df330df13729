// Keyset pages over time-ordered ids: a list query reads one row more than the page, to know whether more follow.

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
