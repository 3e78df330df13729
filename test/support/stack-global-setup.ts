// Global setup of the browser tests: the whole local stack (libSQL server, migrations, wrangler dev) on free ports.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { freePort } from "../../scripts/lib/processes.ts";
import { startLocalStack } from "../../scripts/lib/stack.ts";

declare module "vitest" {
  export interface ProvidedContext {
    workerUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const dataDir = mkdtempSync(join(tmpdir(), "crm-browser-"));
  const stack = await startLocalStack({ port: await freePort(), dbPort: 0, dataDir, quiet: true });
  project.provide("workerUrl", stack.workerUrl);
  return async () => {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
