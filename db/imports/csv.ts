// CSV in and out. Reading goes through Papa Parse (maintained, no dependencies, about 7 KB gzipped, and it runs
// in workerd as it does in a browser): the header is read once, from the first uploaded part, which fixes the
// delimiter and line break for the whole file; each chunk then parses a window of the file that starts at a
// row boundary, and keeps only the rows that end inside the window. Writing is RFC 4180 quoting, with cells
// that a spreadsheet would run as a formula defused.
import Papa from "papaparse";

const encoder = new TextEncoder();

/** UTF-8 byte-order mark: skipped before the header, counted in byte offsets. */
const BOM = [0xef, 0xbb, 0xbf];

export type Newline = "\n" | "\r\n" | "\r";

export function asNewline(text: string | null): Newline {
  return text === "\r\n" || text === "\r" ? text : "\n";
}

export interface CsvHeader {
  columns: string[];
  delimiter: string;
  newline: Newline;
  /** Byte offset of the first data row in the file. */
  dataStart: number;
  /** The first data rows, for the mapping screen. */
  preview: string[][];
}

/** The header of a file from its first part, or why it has none. */
export function readHeader(firstPart: Uint8Array): CsvHeader | { error: string } {
  const bom = BOM.every((byte, i) => firstPart[i] === byte) ? BOM.length : 0;
  const text = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true }).decode(firstPart.subarray(bom));
  const guess = Papa.parse<string[]>(text, { preview: 6, skipEmptyLines: "greedy" });
  const delimiter = guess.meta.delimiter || ",";
  const newline = asNewline(guess.meta.linebreak);
  // The header's end as the parser's step reports it (a preview's cursor can run past the first row).
  let header: string[] = [];
  let cursor = 0;
  Papa.parse<string[]>(text, {
    delimiter,
    newline,
    step(result, parser) {
      header = result.data;
      cursor = result.meta.cursor;
      parser.abort();
    },
  });
  const columns = header.map((cell) => cleanCell(cell));
  if (columns.length === 0 || columns.every((c) => c === "")) return { error: "The file has no header row." };
  if (cursor >= text.length && !text.endsWith(newline) && firstPart.length >= 1024 * 1024) {
    return { error: "The header row does not end within the first part." };
  }
  const preview = Papa.parse<string[]>(text.slice(cursor), {
    preview: 5,
    delimiter,
    newline,
    skipEmptyLines: "greedy",
  }).data.map((row) => row.map((cell) => cleanCell(cell)));
  return {
    columns: uniqueNames(columns),
    delimiter,
    newline,
    dataStart: bom + utf8Length(text.slice(0, cursor)),
    preview,
  };
}

/** Column names as the mapping uses them: blank ones named by position, repeats numbered. */
function uniqueNames(columns: string[]): string[] {
  const seen = new Map<string, number>();
  return columns.map((column, i) => {
    const base = column === "" ? `Column ${i + 1}` : column;
    const count = (seen.get(base) ?? 0) + 1;
    seen.set(base, count);
    return count === 1 ? base : `${base} (${count})`;
  });
}

/** A cell as stored: no NUL characters (no field of ours holds one), outer spaces trimmed. */
export function cleanCell(cell: string): string {
  return cell.replaceAll("\u0000", "").trim();
}

export function utf8Length(text: string): number {
  return encoder.encode(text).length;
}

export interface ParsedRow {
  cells: string[];
  /** The row's parse problem (an unclosed quote), if any. */
  problem: string | null;
}

export interface WindowRows {
  rows: ParsedRow[];
  /** Bytes of the window the kept rows take: the next chunk starts this far after the window's start. */
  consumed: number;
}

/**
 * Up to `limit` rows from a window of the file that starts at a row boundary. A row that runs to the window's end
 * may be cut short there, so it is kept only when the window reaches the end of the file.
 */
export function parseWindow(
  bytes: Uint8Array,
  options: { delimiter: string; newline: Newline; limit: number; endOfFile: boolean },
): WindowRows {
  const text = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true }).decode(bytes);
  const rows: ParsedRow[] = [];
  let end = 0;
  Papa.parse<string[]>(text, {
    delimiter: options.delimiter,
    newline: options.newline,
    step(result, parser) {
      const cursor = result.meta.cursor;
      // A row that reaches the window's end may go on past it; one with a problem inside the window is kept.
      if (!options.endOfFile && cursor >= text.length) {
        parser.abort();
        return;
      }
      // The line break that ends a file is not a row of its own.
      if (options.endOfFile && cursor >= text.length && result.data.length === 1 && result.data[0] === "") {
        end = cursor;
        return;
      }
      rows.push({
        cells: result.data.map((cell) => cleanCell(cell)),
        problem: result.errors[0]?.message ?? null,
      });
      end = cursor;
      if (rows.length >= options.limit) parser.abort();
    },
  });
  return { rows, consumed: utf8Length(text.slice(0, end)) };
}

/** Whether a row has nothing in it (a blank line, or only delimiters). */
export function isBlank(cells: readonly string[]): boolean {
  return cells.every((cell) => cell === "");
}

// ---- Writing ----

/**
 * One CSV line (RFC 4180, CRLF). A cell that starts with =, +, - or @ is prefixed with ' so that a spreadsheet
 * shows it rather than running it (CSV injection); numbers keep their sign.
 */
export function csvLine(cells: readonly unknown[]): string {
  return `${cells.map(csvCell).join(",")}\r\n`;
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  let text =
    typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text) && !/^[+-]?\d+(\.\d+)?$/.test(text))
    text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
