// `npm run gen:api`: writes the typed API (web/src/api/schema.ts) from the Worker's own OpenAPI document, so
// the app's calls, and the generated-client test's, are checked against the routes as they are. Run it after
// changing a route; test/stack/openapi-client.test.ts fails while the file is stale.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import openapiTS, { astToString, COMMENT_HEADER } from "openapi-typescript";
import { projectBin } from "./lib/processes.ts";

const root = resolve(import.meta.dirname, "..");
const target = resolve(root, "web/src/api/schema.ts");

// The Worker's app, imported by URL: its types belong to the Worker's own tsconfig, not this one.
interface DocumentSource {
  app: {
    getOpenAPI31Document(config: { openapi: "3.1.0"; info: { title: string; version: string } }): unknown;
  };
}
const { app } = (await import(pathToFileURL(resolve(root, "functions/index.ts")).href)) as DocumentSource;
const doc = app.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "Edge CRM API", version: "1" } });

// Fields with a default may be left out of a request: not "required" as openapi-typescript assumes.
const ast = await openapiTS(doc as never, { defaultNonNullable: false });
const formatted = execFileSync(projectBin("biome"), ["format", `--stdin-file-path=${target}`], {
  input: `${COMMENT_HEADER}${astToString(ast)}`,
  encoding: "utf8",
  maxBuffer: 64 * 1024 * 1024,
});
writeFileSync(target, formatted);
console.log(`Wrote ${target}`);
