// The OpenAPI document, as the running Worker serves it, is valid OpenAPI 3.1, and a client generated from it
// (openapi-typescript types + openapi-fetch) creates, lists and reads a record against the local stack.
//
// The generated types are the web app's (web/src/api/schema.ts, written by `npm run gen:api`), so the calls
// below and the app's are type-checked against the same file; this test fails when it is stale.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { validate } from "@readme/openapi-parser";
import createClient from "openapi-fetch";
import openapiTS, { astToString, COMMENT_HEADER } from "openapi-typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, projectBin } from "../../scripts/lib/processes.ts";
import { type LocalStack, startLocalStack } from "../../scripts/lib/stack.ts";
import type { paths } from "../../web/src/api/schema.ts";

const GENERATED = resolve(import.meta.dirname, "../../web/src/api/schema.ts");

// The resource the client exercises: contacts.
const COLLECTION = "/api/v1/contacts" as const;
const ITEM = "/api/v1/contacts/{id}" as const;
const newRecord = (n: string) => ({
  name: `Nguyễn Văn ${n}`,
  emails: [`client-${n}@example.com`],
});

let stack: LocalStack;
let dataDir: string;
let doc: Record<string, unknown>;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "crm-openapi-"));
  stack = await startLocalStack({ port: await freePort(), dbPort: 0, dataDir, quiet: true });
  const response = await fetch(`${stack.workerUrl}/api/openapi.json`);
  expect(response.status).toBe(200);
  doc = (await response.json()) as Record<string, unknown>;
});

afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("the OpenAPI document", () => {
  it("passes a standard OpenAPI 3.1 validator", async () => {
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid ? [] : result.errors).toEqual([]);
    expect(result.specification).toBe("OpenAPI");
  });

  it("generates the committed client types (run `npm run gen:api` when this fails)", async () => {
    // Fields with a default may be left out of a request: not "required" as openapi-typescript assumes.
    const ast = await openapiTS(structuredClone(doc) as never, { defaultNonNullable: false });
    // Formatted as the linter wants it, so the committed file passes `biome check` like any other.
    const generated = execFileSync(projectBin("biome"), ["format", `--stdin-file-path=${GENERATED}`], {
      input: `${COMMENT_HEADER}${astToString(ast)}`,
      encoding: "utf8",
    });
    expect(readFileSync(GENERATED, "utf8")).toBe(generated);
  });
});

describe("a generated client", () => {
  it("logs in, creates, lists and reads a record", async () => {
    const anonymous = createClient<paths>({ baseUrl: stack.workerUrl });
    const login = await anonymous.POST("/api/v1/auth/login", {
      body: { email: stack.admin.email, password: stack.admin.password },
    });
    expect(login.response.status).toBe(200);
    expect(login.data?.user.role).toBe("admin");
    const cookies = login.response.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");

    const client = createClient<paths>({
      baseUrl: stack.workerUrl,
      headers: { Cookie: cookies, "X-CRM-Request": "1" },
    });
    const n = crypto.randomUUID().slice(0, 8);
    // The document declares the Idempotency-Key header, so the client takes it as a typed parameter.
    const create = { body: newRecord(n), params: { header: { "idempotency-key": crypto.randomUUID() } } };
    const created = await client.POST(COLLECTION, create);
    expect(created.response.status).toBe(201);
    const id = created.data?.id;
    expect(id).toBeTypeOf("string");

    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.GET(COLLECTION, { params: { query: { limit: 200, cursor } } });
      expect(page.response.status).toBe(200);
      ids.push(...(page.data?.items ?? []).map((item) => item.id));
      cursor = page.data?.nextCursor ?? undefined;
    } while (cursor);
    expect(ids).toContain(id);

    const read = await client.GET(ITEM, { params: { path: { id: id ?? "" } } });
    expect(read.response.status).toBe(200);
    expect(read.data).toMatchObject({ id, ...newRecord(n), email: `client-${n}@example.com` });
  });
});
