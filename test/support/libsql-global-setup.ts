// Global setup of the Worker tests: one local libSQL server; the "template" namespace is migrated once, and
// every test file's namespace starts as a copy of it, so each file gets a fresh, migrated database.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { migrateDatabase } from "../../db/migrate.ts";
import { startLibsqlServer } from "../../db/server/index.ts";

declare module "vitest" {
  export interface ProvidedContext {
    libsqlServerUrl: string;
  }
}

export const TEMPLATE_NAMESPACE = "template";

export default async function setup(project: TestProject) {
  const dataDir = mkdtempSync(join(tmpdir(), "crm-test-db-"));
  const server = await startLibsqlServer({ dataDir, port: 0 });
  await migrateDatabase({ url: server.namespaceUrl(TEMPLATE_NAMESPACE) });
  server.setTemplateNamespace(TEMPLATE_NAMESPACE);
  project.provide("libsqlServerUrl", server.url);
  return async () => {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
