// Reading one CSV row through a mapping: cells as text (an empty cell sets nothing), lists, enums, emails, and
// custom-field values turned from text into what their type holds, before db/custom-fields.ts checks them.
import type { CustomFieldDefinition } from "../custom-fields.ts";

export interface RowIssue {
  path: string;
  message: string;
}

/** One data row: its number among the data rows (from 1) and its cells. */
export interface CsvRow {
  row: number;
  cells: string[];
}

/** The row's cells by target, through the mapping's column positions. */
export class RowReader {
  readonly cells: readonly string[];
  private readonly index: ReadonlyMap<string, number>;

  constructor(cells: readonly string[], index: ReadonlyMap<string, number>) {
    this.cells = cells;
    this.index = index;
  }

  /** The cell mapped to `target`, or undefined when unmapped or empty. */
  text(target: string, max = 1000): string | undefined {
    const at = this.index.get(target);
    const value = at === undefined ? undefined : this.cells[at];
    return value === undefined || value === "" ? undefined : value.slice(0, max);
  }

  list(target: string): string[] {
    return splitList(this.text(target, 10_000));
  }

  /** Custom values of the mapped `custom.<key>` columns, each read as its field's type wants. */
  custom(definitions: readonly CustomFieldDefinition[]): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [target] of this.index) {
      if (!target.startsWith("custom.")) continue;
      const key = target.slice("custom.".length);
      const text = this.text(target, 10_000);
      if (text === undefined) continue;
      const definition = definitions.find((d) => d.key === key);
      out[key] = definition ? fromText(definition, text) : text;
    }
    return out;
  }
}

/** `a; b` or `a, b` (semicolons win when there are any): trimmed, without empty items. */
export function splitList(text: string | undefined): string[] {
  if (!text) return [];
  const parts = text.includes(";") ? text.split(";") : text.split(",");
  return parts.map((part) => part.trim()).filter((part) => part !== "");
}

const TRUE = new Set(["true", "yes", "y", "1", "x", "có", "co", "đúng"]);
const FALSE = new Set(["false", "no", "n", "0", "không", "khong", "sai"]);

function fromText(definition: CustomFieldDefinition, text: string): unknown {
  switch (definition.type) {
    case "number": {
      const n = Number(text.replace(/[\s_]/g, ""));
      return Number.isFinite(n) && text.trim() !== "" ? n : text;
    }
    case "boolean": {
      const lower = text.toLowerCase();
      return TRUE.has(lower) ? true : FALSE.has(lower) ? false : text;
    }
    case "multi_select":
      return splitList(text);
    default:
      return text;
  }
}

export function isEmail(text: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(text) && text.length <= 254;
}

/** The enum member a cell names, case- and space-insensitively (`Sales Qualified` is not `sql`: codes only). */
export function enumValue<T extends string>(values: readonly T[], text: string): T | null {
  const wanted = text
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, "_");
  return values.find((value) => value === wanted) ?? null;
}

/** Money as integer minor units of the currency (`1,234.50` USD → 123450; `1.500.000` VND → 1500000). */
export function minorUnits(text: string, currency: string): number | null {
  let digits: number;
  try {
    digits =
      new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ??
      2;
  } catch {
    return null;
  }
  const cleaned = text.replace(/[^\d.,-]/g, "");
  if (!/\d/.test(cleaned)) return null;
  // The last separator followed by at most `digits` digits is the decimal point; the others group thousands.
  const match = /^(-?[\d.,]*?)(?:[.,](\d{1,2}))?$/.exec(cleaned);
  const whole = (match?.[1] ?? cleaned).replace(/[.,]/g, "");
  const fraction = digits > 0 ? (match?.[2] ?? "") : "";
  if (digits === 0 && match?.[2] !== undefined && match[2].length < 3) return null;
  const value = Number(`${whole || "0"}.${fraction || "0"}`);
  if (!Number.isFinite(value)) return null;
  const minor = Math.round(value * 10 ** digits);
  return Number.isSafeInteger(minor) ? minor : null;
}
