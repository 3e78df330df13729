// Namespaces of the local server are separate databases, a template namespace seeds new ones, and the
// per-namespace counters count round trips.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Client } from "@libsql/client/web";
import { describe, expect, test } from "vitest";
import { useClients, useLibsqlServer } from "./support.ts";

const server = useLibsqlServer("namespaces");
const connect = useClients();

async function values(db: Client, sql: string): Promise<unknown[]> {
  return (await db.execute(sql)).rows.map((r) => r[0]);
}

describe("namespaces", () => {
  test("the same table and key in two namespaces hold different data, in different files", async () => {
    const a = connect(server.namespaceUrl("tenant-a"));
    const b = connect(server.namespaceUrl("tenant_b"));
    for (const db of [a, b]) await db.execute("CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT)");
    await a.execute("INSERT INTO settings VALUES ('theme', 'dark')");
    await b.execute("INSERT INTO settings VALUES ('theme', 'light')");

    expect(await values(a, "SELECT value FROM settings WHERE key = 'theme'")).toEqual(["dark"]);
    expect(await values(b, "SELECT value FROM settings WHERE key = 'theme'")).toEqual(["light"]);
    expect(existsSync(join(server.dataDir, "tenant-a.db"))).toBe(true);
    expect(existsSync(join(server.dataDir, "tenant_b.db"))).toBe(true);
  });

  test("the server URL without a path is the default namespace", async () => {
    const root = connect(server.url);
    const named = connect(server.namespaceUrl("default"));
    await root.execute("CREATE TABLE root_marker (x INTEGER)");
    expect(await values(named, "SELECT name FROM sqlite_schema WHERE name = 'root_marker'")).toEqual([
      "root_marker",
    ]);
  });

  test("a namespace created while a template is set starts as a copy of the template", async () => {
    const template = connect(server.namespaceUrl("template"));
    await template.batch(
      [
        "CREATE TABLE plans (id INTEGER PRIMARY KEY, name TEXT)",
        "INSERT INTO plans (name) VALUES ('free'), ('pro')",
      ],
      "write",
    );
    server.setTemplateNamespace("template");
    try {
      const copy = connect(server.namespaceUrl("from-template"));
      expect(await values(copy, "SELECT name FROM plans ORDER BY id")).toEqual(["free", "pro"]);
      await copy.execute("INSERT INTO plans (name) VALUES ('copy only')");
      expect(await values(template, "SELECT count(*) FROM plans")).toEqual([2]);
      // New databases are in WAL mode, copies included.
      expect(await values(copy, "PRAGMA journal_mode")).toEqual(["wal"]);
    } finally {
      server.setTemplateNamespace(undefined);
    }
    const blank = connect(server.namespaceUrl("after-template"));
    expect(await values(blank, "SELECT count(*) FROM sqlite_schema")).toEqual([0]);
  });

  test("the template is copied only once its open transaction has finished", async () => {
    const template = connect(server.namespaceUrl("busy-template"));
    await template.execute("CREATE TABLE t (v TEXT)");
    const tx = await template.transaction("write");
    await tx.execute("INSERT INTO t VALUES ('committed later')");
    server.setTemplateNamespace("busy-template");
    try {
      const copied = values(connect(server.namespaceUrl("copy-of-busy")), "SELECT v FROM t");
      await tx.commit();
      expect(await copied).toEqual(["committed later"]);
    } finally {
      server.setTemplateNamespace(undefined);
    }
  });

  test("invalid namespace names are refused", async () => {
    expect(() => server.namespaceUrl("no/slash")).toThrow(/Invalid namespace name/);
    const response = await fetch(`${server.url}/ns/bad.name/v2/pipeline`, { method: "POST", body: "{}" });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toMatch(/Invalid namespace name/);
  });
});

describe("stats", () => {
  test("count pipeline requests and statements per namespace", async () => {
    const db = connect(server.namespaceUrl("counted"));
    expect(server.stats("counted")).toEqual({ pipelines: 0, statements: 0 });

    await db.execute("CREATE TABLE t (x INTEGER)");
    expect(server.stats("counted")).toEqual({ pipelines: 1, statements: 1 });
    await db.batch(["INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (2)"], "write");
    // One request: BEGIN, two inserts, COMMIT (the ROLLBACK step is skipped).
    expect(server.stats("counted")).toEqual({ pipelines: 2, statements: 5 });

    const tx = await db.transaction("write");
    await tx.execute("INSERT INTO t VALUES (3)");
    await tx.commit();
    expect(server.stats("counted").pipelines).toBe(4);
    expect(server.stats("other-namespace")).toEqual({ pipelines: 0, statements: 0 });
  });

  test("are served over HTTP for the tests running inside workerd", async () => {
    const db = connect(server.namespaceUrl("counted-http"));
    await db.execute("SELECT 1");
    const response = await fetch(`${server.url}/_admin/namespaces/counted-http/stats`);
    expect(await response.json()).toEqual({ namespace: "counted-http", pipelines: 1, statements: 1 });
    const unknown = await fetch(`${server.url}/_admin/namespaces/never-used/stats`);
    expect(await unknown.json()).toEqual({ namespace: "never-used", pipelines: 0, statements: 0 });
    expect(existsSync(join(server.dataDir, "never-used.db"))).toBe(false);
  });
});
