// drizzle-orm over @libsql/client/web against the local server, as the Worker uses it: typed inserts,
// selects and updates, db.batch in one round trip, and transactions.
import { type Client, createClient } from "@libsql/client/web";
import { count, eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/libsql/web";
import { blob, integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { useLibsqlServer } from "./support.ts";

const contacts = sqliteTable("contacts", {
  id: text().primaryKey(),
  name: text().notNull(),
  email: text().notNull().unique(),
  score: integer().notNull().default(0),
  vip: integer({ mode: "boolean" }).notNull().default(false),
  createdAt: integer({ mode: "timestamp_ms" }).notNull(),
  balance: real(),
  avatar: blob({ mode: "buffer" }),
});

const notes = sqliteTable("notes", {
  id: integer().primaryKey({ autoIncrement: true }),
  contactId: text()
    .notNull()
    .references(() => contacts.id),
  body: text().notNull(),
});

const NAMESPACE = "drizzle";
const server = useLibsqlServer("drizzle");
let client: Client;
let db: ReturnType<typeof drizzle<{ contacts: typeof contacts; notes: typeof notes }>>;

beforeAll(async () => {
  client = createClient({ url: server.namespaceUrl(NAMESPACE) });
  db = drizzle(client, { schema: { contacts, notes }, casing: "snake_case" });
  await client.executeMultiple(`
    CREATE TABLE contacts (
      id TEXT PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL UNIQUE, score INTEGER NOT NULL DEFAULT 0,
      vip INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL, balance REAL, avatar BLOB
    );
    CREATE TABLE notes (
      id INTEGER PRIMARY KEY AUTOINCREMENT, contact_id TEXT NOT NULL REFERENCES contacts (id), body TEXT NOT NULL
    );
  `);
});

afterAll(async () => {
  client?.close();
});

describe("drizzle over the local server", () => {
  test("insert returning, select and update keep their types", async () => {
    const createdAt = new Date("2025-03-01T12:34:56.789Z");
    const [ada] = await db
      .insert(contacts)
      .values({
        id: "c1",
        name: "Ada Nguyễn",
        email: "ada@example.com",
        vip: true,
        createdAt,
        balance: 12.5,
        avatar: Buffer.from([1, 2, 3]),
      })
      .returning();
    expect(ada).toEqual({
      id: "c1",
      name: "Ada Nguyễn",
      email: "ada@example.com",
      score: 0,
      vip: true,
      createdAt,
      balance: 12.5,
      avatar: Buffer.from([1, 2, 3]),
    });
    expect(ada?.createdAt).toBeInstanceOf(Date);

    const updated = await db
      .update(contacts)
      .set({ score: sql`${contacts.score} + 10`, vip: false })
      .where(eq(contacts.id, "c1"))
      .returning({ score: contacts.score, vip: contacts.vip });
    expect(updated).toEqual([{ score: 10, vip: false }]);

    const found = await db.select().from(contacts).where(eq(contacts.email, "ada@example.com"));
    expect(found).toHaveLength(1);
    expect(found[0]?.score).toBe(10);
    expect(found[0]?.avatar).toEqual(Buffer.from([1, 2, 3]));

    const viaQuery = await db.query.contacts.findFirst({
      where: eq(contacts.id, "c1"),
      columns: { name: true },
    });
    expect(viaQuery).toEqual({ name: "Ada Nguyễn" });
  });

  test("db.batch writes and reads in one round trip", async () => {
    const before = server.stats(NAMESPACE).pipelines;
    const [inserted, note, total] = await db.batch([
      db
        .insert(contacts)
        .values({ id: "c2", name: "Grace", email: "grace@example.com", createdAt: new Date() })
        .returning({ id: contacts.id }),
      db.insert(notes).values({ contactId: "c2", body: "met at the conference" }).returning(),
      db.select({ n: count() }).from(notes).where(eq(notes.contactId, "c2")),
    ]);
    expect(server.stats(NAMESPACE).pipelines).toBe(before + 1);
    expect(inserted).toEqual([{ id: "c2" }]);
    expect(note).toEqual([{ id: 1, contactId: "c2", body: "met at the conference" }]);
    expect(total).toEqual([{ n: 1 }]);
  });

  test("a db.batch with a failing statement persists nothing", async () => {
    const attempt = db.batch([
      db
        .insert(contacts)
        .values({ id: "c3", name: "Linus", email: "linus@example.com", createdAt: new Date() }),
      db.insert(notes).values({ contactId: "missing", body: "orphan" }),
    ]);
    await expect(attempt).rejects.toMatchObject({ code: "SQLITE_CONSTRAINT_FOREIGNKEY" });
    expect(await db.select().from(contacts).where(eq(contacts.id, "c3"))).toEqual([]);
  });

  test("transactions commit, and roll back when the callback rolls back or throws", async () => {
    await db.transaction(async (tx) => {
      await tx
        .insert(contacts)
        .values({ id: "c4", name: "Edsger", email: "edsger@example.com", createdAt: new Date() });
      await tx.insert(notes).values({ contactId: "c4", body: "committed" });
    });
    expect(await db.select({ body: notes.body }).from(notes).where(eq(notes.contactId, "c4"))).toEqual([
      { body: "committed" },
    ]);

    await expect(
      db.transaction(async (tx) => {
        await tx.insert(notes).values({ contactId: "c4", body: "rolled back" });
        tx.rollback();
      }),
    ).rejects.toThrow(/Rollback/);
    await expect(
      db.transaction(async (tx) => {
        await tx.insert(notes).values({ contactId: "c4", body: "thrown away" });
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(await db.select({ body: notes.body }).from(notes).where(eq(notes.contactId, "c4"))).toEqual([
      { body: "committed" },
    ]);
  });
});
