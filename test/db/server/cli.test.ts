// The server's command line: it announces where it listens, serves, stops cleanly on SIGTERM, and exits 1
// with a clear message when the port is taken or a flag is wrong.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type LibsqlServer, startLibsqlServer } from "../../../db/server/index.ts";

const CLI = fileURLToPath(new URL("../../../db/server/cli.ts", import.meta.url));

let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "libsql-server-cli-"));
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

function run(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

async function output(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const [code] = (await once(child, "exit")) as [number | null];
  return { code, stdout, stderr };
}

async function firstLine(child: ChildProcess): Promise<string> {
  let text = "";
  for await (const chunk of child.stdout ?? []) {
    text += (chunk as Buffer).toString();
    if (text.includes("\n")) break;
  }
  return text.split("\n")[0] ?? "";
}

describe("cli", () => {
  test("announces its URL, serves with the token from the environment, and stops on SIGTERM", async () => {
    const child = run(["--data", dataDir, "--port", "0", "--log"], { LIBSQL_SERVER_TOKEN: "cli-token" });
    const exited = output(child);
    const line = await firstLine(child);
    const match = /^libSQL server listening on (http:\/\/127\.0\.0\.1:\d+) \(data: (.+)\)$/.exec(line);
    expect(match?.[2]).toBe(dataDir);
    const url = match?.[1] ?? "";

    expect((await fetch(`${url}/health`)).status).toBe(200);
    expect((await fetch(`${url}/_admin/namespaces/default/stats`)).status).toBe(401);
    const authorized = await fetch(`${url}/_admin/namespaces/default/stats`, {
      headers: { authorization: "Bearer cli-token" },
    });
    expect(authorized.status).toBe(200);

    child.kill("SIGTERM");
    const { code, stderr } = await exited;
    expect(code).toBe(0);
    expect(stderr).toContain("GET /health 200");
    expect(stderr).not.toContain("cli-token");
  });

  test("a port in use exits 1 naming the port and how to choose another", async () => {
    let taken: LibsqlServer | undefined;
    try {
      taken = await startLibsqlServer({ dataDir: join(dataDir, "taken"), port: 0 });
      const { code, stderr } = await output(run(["--data", dataDir, "--port", String(taken.port)]));
      expect(code).toBe(1);
      expect(stderr).toContain(`Port ${taken.port} on 127.0.0.1 is already in use`);
      expect(stderr).toContain("--port");
    } finally {
      await taken?.close();
    }
  });

  test("an unknown flag or a bad number exits 1 with the usage", async () => {
    const unknown = await output(run(["--nope"]));
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("Usage:");
    const badPort = await output(run(["--port", "eighty"]));
    expect(badPort.code).toBe(1);
    expect(badPort.stderr).toContain('--port must be a non-negative integer, got "eighty"');
  });
});
