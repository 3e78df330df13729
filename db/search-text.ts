// Turns what a person types into a search box into an FTS5 query that matches as the index folds text
// (migration 0005): case- and accent-insensitive, đ/Đ as d, and the last word a prefix (search as you type).

/** Folds text as the search index does: no diacritics, đ → d, lower case. */
export function foldSearchText(text: string): string {
  return text
    .replace(/[đĐ]/g, "d")
    .normalize("NFD")
    .replace(/\p{Mn}/gu, "")
    .toLowerCase();
}

/**
 * The FTS5 MATCH expression for a query, or null when it has no word to look for. Every word must occur;
 * the last one (and any written with a trailing `*`) matches as a prefix. Words are quoted, so FTS5 syntax
 * typed by the user is searched for, not obeyed.
 */
export function ftsQuery(q: string): string | null {
  const words = foldSearchText(q)
    .split(/\s+/)
    .map((word) => ({ text: word.replace(/[^\p{L}\p{N}]+/gu, " ").trim(), prefix: word.endsWith("*") }))
    .filter((word) => word.text !== "");
  if (words.length === 0) return null;
  return words
    .map((word, i) => {
      const parts = word.text.split(" ");
      const quoted = parts.map((part) => `"${part}"`).join(" ");
      return word.prefix || i === words.length - 1 ? `${quoted}*` : quoted;
    })
    .join(" ");
}
