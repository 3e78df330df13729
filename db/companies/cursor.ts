// List cursors that survive any sort value: the last row's sort value and id as UTF-8 JSON in base64url.
// (db/contacts/list.ts encodes with btoa over the JSON text, which throws on names outside Latin-1 such as
// "Phở"; these cursors decode the same Latin-1 ones it makes, so either reads the other's for ASCII values.)

export function encodeCursor(value: string | number, id: string): string {
  const bytes = new TextEncoder().encode(JSON.stringify([value, id]));
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

export function decodeCursor(cursor: string): [string | number, string] | null {
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
    // falls through: not a cursor this list made
  }
  return null;
}
