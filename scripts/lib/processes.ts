// Child processes and ports for the local stack: start in their own process group, stop the whole group.
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** A command installed by npm in this project (wrangler, vite), found without relying on PATH. */
export function projectBin(name: string): string {
  return `${ROOT}node_modules/.bin/${name}`;
}

export interface Child {
  process: ChildProcess;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** SIGTERM to the whole process group, SIGKILL after a grace period. */
  stop(graceMs?: number): Promise<void>;
}

export function startChild(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; stdio?: "inherit" | "pipe"; cwd?: string } = {},
): Child {
  const child = spawn(command, args, {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env },
    stdio: options.stdio === "pipe" ? ["ignore", "pipe", "pipe"] : ["ignore", "inherit", "inherit"],
    // Its own process group, so stopping it also stops what it started (wrangler starts workerd).
    detached: true,
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => resolve(code));
    child.once("error", () => resolve(null));
  });
  let stopping: Promise<void> | undefined;
  return {
    process: child,
    exited,
    stop(graceMs = 5_000) {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.pid === undefined) return;
        signalGroup(child.pid, "SIGTERM");
        const timer = setTimeout(() => signalGroup(child.pid as number, "SIGKILL"), graceMs);
        await exited;
        clearTimeout(timer);
        // The leader may exit before its children; make sure none is left holding a port.
        signalGroup(child.pid, "SIGKILL");
      })();
      return stopping;
    },
  };
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** Rejects with a message that says what to do when the port is taken. */
export async function assertPortFree(
  port: number,
  host: string,
  what: string,
  envName: string,
): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) => {
      reject(
        new Error(
          error.code === "EADDRINUSE"
            ? `Port ${port} on ${host} is already in use, so the ${what} cannot start. Stop whatever uses it (is another \`npm start\` running?) or choose another port: ${envName}=<port> npm start`
            : `Cannot listen on ${host}:${port} for the ${what}: ${error.message}`,
        ),
      );
    });
    server.listen(port, host, () => server.close(() => resolve()));
  });
}

/** Polls a URL until it answers with one of the given statuses, or fails after the timeout. */
export async function waitForUrl(
  url: string,
  options: { timeoutMs?: number; statuses?: number[]; exited?: Promise<unknown> } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const statuses = options.statuses ?? [200];
  let exited = false;
  void options.exited?.then(() => {
    exited = true;
  });
  while (Date.now() < deadline) {
    if (exited) throw new Error(`The process serving ${url} exited before it was ready`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (statuses.includes(response.status)) return;
    } catch {
      // Not up yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} did not become ready within ${options.timeoutMs ?? 60_000} ms`);
}

/** A free TCP port on the loopback interface. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
