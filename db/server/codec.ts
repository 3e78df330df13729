// Hrana values on the wire and the values the libsql binding binds and returns, converted without loss:
// integers stay 64-bit (decimal strings <-> bigint), REAL stays a JS number, blobs travel as base64.

import { ProtocolError } from "./errors.ts";

/** What the binding accepts as a parameter and returns in a row (with safe integers on). */
export type SqlValue = null | bigint | number | string | Uint8Array;

export type WireValue =
  | { type: "null" }
  | { type: "integer"; value: string }
  | { type: "float"; value: number }
  | { type: "text"; value: string }
  | { type: "blob"; base64: string };

const MIN_INT64 = -(2n ** 63n);
const MAX_INT64 = 2n ** 63n - 1n;
const INTEGER_TEXT = /^[+-]?\d{1,20}$/;
const BASE64_TEXT = /^[A-Za-z0-9+/_-]*={0,2}$/;

function field(value: Record<string, unknown>, key: string, path: string): unknown {
  if (!(key in value)) throw new ProtocolError(400, `${path}.${key} is missing`);
  return value[key];
}

export function decodeValue(json: unknown, path: string): SqlValue {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new ProtocolError(400, `${path} must be a value object like {"type":"text","value":"..."}`);
  }
  const value = json as Record<string, unknown>;
  switch (value.type) {
    case "null":
      return null;
    case "integer": {
      const raw = field(value, "value", path);
      const text = typeof raw === "number" && Number.isSafeInteger(raw) ? String(raw) : raw;
      if (typeof text !== "string" || !INTEGER_TEXT.test(text)) {
        throw new ProtocolError(400, `${path}.value must be a decimal integer string`);
      }
      const int = BigInt(text);
      if (int < MIN_INT64 || int > MAX_INT64) {
        throw new ProtocolError(400, `${path}.value does not fit in a 64-bit signed integer`);
      }
      return int;
    }
    case "float": {
      const raw = field(value, "value", path);
      if (typeof raw !== "number") throw new ProtocolError(400, `${path}.value must be a number`);
      return raw;
    }
    case "text": {
      const raw = field(value, "value", path);
      if (typeof raw !== "string") throw new ProtocolError(400, `${path}.value must be a string`);
      return raw;
    }
    case "blob": {
      const raw = field(value, "base64", path);
      if (typeof raw !== "string" || !BASE64_TEXT.test(raw)) {
        throw new ProtocolError(400, `${path}.base64 must be a base64 string`);
      }
      return new Uint8Array(Buffer.from(raw, "base64"));
    }
    default:
      throw new ProtocolError(400, `${path}.type must be one of null, integer, float, text, blob`);
  }
}

/** Narrows what the binding returned; with safe integers on, INTEGER arrives as bigint and REAL as number. */
export function fromBinding(value: unknown): SqlValue {
  if (value === null || value === undefined) return null;
  if (typeof value === "bigint" || typeof value === "number" || typeof value === "string") return value;
  if (value instanceof Uint8Array) return value;
  throw new TypeError(`unexpected value from the database binding: ${typeof value}`);
}

export function encodeValue(value: SqlValue): WireValue {
  if (value === null) return { type: "null" };
  if (typeof value === "bigint") return { type: "integer", value: value.toString() };
  if (typeof value === "number") return { type: "float", value };
  if (typeof value === "string") return { type: "text", value };
  return {
    type: "blob",
    base64: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64"),
  };
}

// JSON has no Infinity, but SQLite REAL can hold it (1e999). Such floats are written as the number literal
// 1e999, which every JSON parser reads back as Infinity; JSON.stringify alone would write null, which the
// client rejects.
const POS_INF = "\u0000hrana:+inf";
const NEG_INF = "\u0000hrana:-inf";

export function stringifyJson(body: unknown): string {
  let sawInfinity = false;
  const text = JSON.stringify(body, (_key, value: unknown) => {
    if (typeof value === "number" && !Number.isFinite(value) && !Number.isNaN(value)) {
      sawInfinity = true;
      return value > 0 ? POS_INF : NEG_INF;
    }
    return value;
  });
  if (!sawInfinity) return text;
  return text.replaceAll(JSON.stringify(POS_INF), "1e999").replaceAll(JSON.stringify(NEG_INF), "-1e999");
}
