// Values survive the round trip through the local server exactly: 64-bit integers, REAL versus INTEGER,
// unicode text, blobs and NULLs.
import { type Client, createClient } from "@libsql/client/web";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { useLibsqlServer } from "./support.ts";

const server = useLibsqlServer("values");
let db: Client;

beforeAll(async () => {
  db = createClient({ url: server.namespaceUrl("values"), intMode: "bigint" });
  await db.execute("CREATE TABLE v (id INTEGER PRIMARY KEY, x)");
});

afterAll(async () => {
  db?.close();
});

async function roundTrip(value: unknown): Promise<{ back: unknown; type: unknown }> {
  const inserted = await db.execute({
    sql: "INSERT INTO v (x) VALUES (?) RETURNING id",
    args: [value as null],
  });
  const id = inserted.rows[0]?.id;
  const read = await db.execute({
    sql: "SELECT x, typeof(x) AS type FROM v WHERE id = ?",
    args: [id as bigint],
  });
  return { back: read.rows[0]?.x, type: read.rows[0]?.type };
}

describe("values", () => {
  test("integers beyond 2^53 and at the 64-bit limits stay exact", async () => {
    for (const n of [9007199254740993n, 2n ** 63n - 1n, -(2n ** 63n), -9007199254740993n]) {
      expect(await roundTrip(n)).toEqual({ back: n, type: "integer" });
    }
    // Stored as the exact integer, not a rounded float: SQLite compares it equal to the literal.
    const exact = await db.execute("SELECT count(*) AS n FROM v WHERE x = 9007199254740993");
    expect(exact.rows[0]?.n).toBe(1n);
    const computed = await db.execute("SELECT 9223372036854775807 - 1 AS m, -9223372036854775807 - 1 AS lo");
    expect({ ...computed.rows[0] }).toEqual({ m: 9223372036854775806n, lo: -(2n ** 63n) });
  });

  test("REAL and INTEGER stay distinct, floats keep every bit", async () => {
    const literal = await db.execute("SELECT 1.0 AS real_one, 1 AS int_one, typeof(1.0) AS t");
    expect(literal.rows[0]?.real_one).toBe(1);
    expect(literal.rows[0]?.int_one).toBe(1n);
    // A JS number is sent as a float, so 1 is stored as REAL, 1n as INTEGER.
    expect(await roundTrip(1)).toEqual({ back: 1, type: "real" });
    expect(await roundTrip(1n)).toEqual({ back: 1n, type: "integer" });
    for (const f of [0.1 + 0.2, -1.5e-300, 1.7976931348623157e308, 5e-324, Math.PI]) {
      expect(await roundTrip(f)).toEqual({ back: f, type: "real" });
    }
    const infinite = await db.execute("SELECT 1e999 AS pos, -1e999 AS neg");
    expect({ ...infinite.rows[0] }).toEqual({ pos: Number.POSITIVE_INFINITY, neg: Number.NEGATIVE_INFINITY });
  });

  test("text keeps unicode, quotes, backslashes and line separators", async () => {
    const text =
      "Nguyễn Thị Minh Khai — 日本語 🌍👩‍👩‍👧 'single' \"double\" \\back\\ \u2028\u2029\ttab\nline";
    expect(await roundTrip(text)).toEqual({ back: text, type: "text" });
    const length = await db.execute({ sql: "SELECT length(?) AS chars", args: ["Nguyễn🌍"] });
    expect(length.rows[0]?.chars).toBe(7n);
    expect(await roundTrip("")).toEqual({ back: "", type: "text" });
  });

  test("blobs round-trip byte for byte, from Uint8Array and ArrayBuffer", async () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const fromArray = await roundTrip(bytes);
    expect(fromArray.type).toBe("blob");
    expect(new Uint8Array(fromArray.back as ArrayBuffer)).toEqual(bytes);

    const buffer = new Uint8Array([0, 255, 1, 254, 0]).buffer;
    const fromBuffer = await roundTrip(buffer);
    expect(fromBuffer.type).toBe("blob");
    expect(new Uint8Array(fromBuffer.back as ArrayBuffer)).toEqual(new Uint8Array(buffer));

    const hex = await db.execute({
      sql: "SELECT hex(?) AS h, length(?) AS n",
      args: [bytes.slice(0, 4), bytes],
    });
    expect({ ...hex.rows[0] }).toEqual({ h: "00010203", n: 256n });
  });

  test("NULL stays NULL and booleans arrive as integers", async () => {
    expect(await roundTrip(null)).toEqual({ back: null, type: "null" });
    expect(await roundTrip(true)).toEqual({ back: 1n, type: "integer" });
    expect(await roundTrip(false)).toEqual({ back: 0n, type: "integer" });
  });

  test("the default intMode refuses to round large integers silently", async () => {
    const numbers = createClient({ url: server.namespaceUrl("values") });
    try {
      const small = await numbers.execute("SELECT 42 AS n");
      expect(small.rows[0]?.n).toBe(42);
      await expect(numbers.execute("SELECT 9007199254740993 AS n")).rejects.toThrow(RangeError);
    } finally {
      numbers.close();
    }
  });
});
