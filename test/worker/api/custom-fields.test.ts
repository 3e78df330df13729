import { beforeAll, describe, expect, it } from "vitest";
import { createUser, sessionFor } from "../factories.ts";
import { useTestDatabase } from "../support.ts";
import { caller, type Headers, type Json } from "./companies-helpers.ts";

const t = useTestDatabase();
const call = caller(t);

let asAdmin: Headers;
let asRep: Headers;

beforeAll(async () => {
  asAdmin = (await sessionFor(t.db, await createUser(t.db, { role: "admin" }))).headers;
  asRep = (await sessionFor(t.db, await createUser(t.db, { role: "rep" }))).headers;
});

describe("custom-field definitions", () => {
  it("lets admins define, list, change and archive fields, each in one round trip", async () => {
    const created = await call("POST", "/api/v1/custom-fields", asAdmin, {
      object: "company",
      key: "tier",
      label: "Tier",
      type: "select",
      options: ["gold", "silver"],
    });
    expect(created.status).toBe(201);
    expect(created.trips).toBe(1);
    const id = created.body.id as string;
    expect(created.body).toMatchObject({ object: "company", key: "tier", required: false, archivedAt: null });

    const listed = await call("GET", "/api/v1/custom-fields?object=company", asRep);
    expect(listed.status).toBe(200);
    expect(listed.trips).toBe(1);
    expect((listed.body.items as Json[]).map((d) => d.key)).toEqual(["tier"]);
    expect((await call("GET", "/api/v1/custom-fields?object=deal", asRep)).body.items).toEqual([]);
    expect(((await call("GET", "/api/v1/custom-fields", asRep)).body.items as Json[]).length).toBe(1);

    const patched = await call("PATCH", `/api/v1/custom-fields/${id}`, asAdmin, {
      label: "Customer tier",
      options: ["gold", "silver", "bronze"],
    });
    expect(patched.status).toBe(200);
    expect(patched.trips).toBe(1);
    expect(patched.body).toMatchObject({ label: "Customer tier", options: ["gold", "silver", "bronze"] });

    const archived = await call("DELETE", `/api/v1/custom-fields/${id}`, asAdmin);
    expect(archived.status).toBe(204);
    expect(archived.trips).toBe(1);
    const after = (await call("GET", "/api/v1/custom-fields?object=company", asRep)).body.items as Json[];
    expect(after[0]?.archivedAt).toEqual(expect.any(Number));
    // Archived, the field no longer accepts values.
    const company = await call("POST", "/api/v1/companies", asRep, { name: "X", custom: { tier: "gold" } });
    expect(company.status).toBe(422);
  });

  it("answers 409 on a key the object already has, and allows the same key on another object", async () => {
    const field = { object: "deal", key: "region", label: "Region", type: "text" };
    expect((await call("POST", "/api/v1/custom-fields", asAdmin, field)).status).toBe(201);
    const dup = await call("POST", "/api/v1/custom-fields", asAdmin, { ...field, label: "Again" });
    expect(dup.status).toBe(409);
    expect(dup.body.detail).toContain("region");
    expect(
      (await call("POST", "/api/v1/custom-fields", asAdmin, { ...field, object: "contact" })).status,
    ).toBe(201);
  });

  it("refuses non-admins, bad definitions and unknown ids", async () => {
    const field = { object: "contact", key: "nope", label: "Nope", type: "text" };
    expect((await call("POST", "/api/v1/custom-fields", asRep, field)).status).toBe(403);
    const select = await call("POST", "/api/v1/custom-fields", asAdmin, { ...field, type: "select" });
    expect(select.status).toBe(422);
    const key = await call("POST", "/api/v1/custom-fields", asAdmin, { ...field, key: "bad key!" });
    expect(key.status).toBe(422);
    const pattern = await call("POST", "/api/v1/custom-fields", asAdmin, {
      ...field,
      validation: { pattern: "(" },
    });
    expect(pattern.status).toBe(422);
    const bounds = await call("POST", "/api/v1/custom-fields", asAdmin, {
      ...field,
      type: "number",
      validation: { min: "low" },
    });
    expect(bounds.status).toBe(422);
    expect((await call("PATCH", "/api/v1/custom-fields/missing", asAdmin, { label: "x" })).status).toBe(404);
    expect((await call("DELETE", "/api/v1/custom-fields/missing", asAdmin)).status).toBe(404);
    expect((await call("GET", "/api/v1/custom-fields?object=lead", asRep)).status).toBe(422);
  });

  it("makes the next contact write validate against a changed definition", async () => {
    // The contact config is cached by an earlier write; a new required field must still apply at once.
    expect((await call("POST", "/api/v1/contacts", asRep, { name: "Before" })).status).toBe(201);
    const field = await call("POST", "/api/v1/custom-fields", asAdmin, {
      object: "contact",
      key: "budget",
      label: "Budget",
      type: "number",
      required: true,
    });
    expect(field.status).toBe(201);
    const missing = await call("POST", "/api/v1/contacts", asRep, { name: "Without budget" });
    expect(missing.status).toBe(422);
    expect(missing.body.errors).toEqual([{ path: "custom.budget", message: "Required." }]);
    const given = await call("POST", "/api/v1/contacts", asRep, {
      name: "With budget",
      custom: { budget: 5 },
    });
    expect(given.status).toBe(201);
    expect(given.trips).toBe(1);

    // Made optional, the field no longer blocks a create.
    await call("PATCH", `/api/v1/custom-fields/${field.body.id as string}`, asAdmin, { required: false });
    expect((await call("POST", "/api/v1/contacts", asRep, { name: "Optional now" })).status).toBe(201);
  });
});
