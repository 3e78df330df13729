import { sql } from "drizzle-orm";
import { beforeAll, expect, it } from "vitest";
import { insertDefinitionStatement } from "../../../db/custom-fields.ts";
import { contactRoutes } from "../../../functions/api/contacts/routes.ts";
import { createApp } from "../../../functions/app.ts";
import { createUser, sessionFor } from "../factories.ts";
import { useTestDatabase } from "../support.ts";

const t = useTestDatabase();
const app = createApp().route("/", contactRoutes);
let headers: Record<string, string>;

const post = async (body: unknown) => {
  const response = await app.request(
    "/api/v1/contacts",
    {
      method: "POST",
      headers: { ...headers, "Content-Type": "application/json" },
      body: JSON.stringify(body),
    },
    t.env,
  );
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

beforeAll(async () => {
  headers = (await sessionFor(t.db, await createUser(t.db, { role: "rep" }))).headers;
});

it("reads national phone numbers in the organisation's region, also right after it changed", async () => {
  await t.db.run(sql`insert into settings (key, value, updated_at) values ('defaultPhoneRegion', '"VN"', 0)`);
  const created = await post({ name: "Lan", phones: ["0912 345 678"] });
  expect(created.status).toBe(201);
  expect(created.body.phone).toBe("+84912345678");
});

it("validates custom values against their definitions, naming custom.<key>", async () => {
  const now = Date.now();
  await insertDefinitionStatement(
    t.db,
    {
      object: "contact",
      key: "budget",
      label: "Budget",
      type: "number",
      required: true,
      validation: { min: 0 },
    },
    now,
  );
  await insertDefinitionStatement(
    t.db,
    { object: "contact", key: "size", label: "Size", type: "select", options: ["s", "m"] },
    now,
  );
  const missing = await post({ name: "No budget" });
  expect(missing.status).toBe(422);
  expect(missing.body.errors).toEqual([{ path: "custom.budget", message: "Required." }]);
  const bad = await post({ name: "Bad", custom: { budget: -1, size: "xl", nope: 1 } });
  expect(bad.status).toBe(422);
  expect((bad.body.errors as { path: string }[]).map((e) => e.path).sort()).toEqual([
    "custom.budget",
    "custom.nope",
    "custom.size",
  ]);
  const good = await post({ name: "Good", custom: { budget: 1000, size: "m" } });
  expect(good.status).toBe(201);
  expect(good.body.custom).toEqual({ budget: 1000, size: "m" });
});
