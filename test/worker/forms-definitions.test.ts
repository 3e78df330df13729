// Form definitions through the admin API: create, list, read, replace (If-Match), archive and restore, each in
// one round trip; who may write; what the definition refuses; and that the public definition carries no secret.
import { beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../db/ids.ts";
import { createUser, sessionFor } from "./factories.ts";
import { formBody, formsTest, type Headers, type Json } from "./forms-support.ts";

const { t, call } = formsTest();

let asAdmin: Headers;
let asManager: Headers;
let asRep: Headers;
let adminId: string;

beforeAll(async () => {
  const admin = await createUser(t.db, { role: "admin" });
  adminId = admin.id;
  asAdmin = (await sessionFor(t.db, admin)).headers;
  asManager = (await sessionFor(t.db, await createUser(t.db, { role: "manager" }))).headers;
  asRep = (await sessionFor(t.db, await createUser(t.db, { role: "rep" }))).headers;
});

describe("form definitions", () => {
  it("creates a form with defaults, owned by its creator unless told otherwise, in one round trip", async () => {
    const created = await call("POST", "/api/v1/forms", asAdmin, formBody());
    expect(created.status).toBe(201);
    expect(created.trips).toBe(1);
    expect(created.headers.get("ETag")).toBe('W/"1"');
    expect(created.headers.get("Location")).toBe(`/api/v1/forms/${created.body.id}`);
    expect(created.body).toMatchObject({
      name: "Contact us",
      languages: ["en", "vi"],
      lifecycleStage: "lead",
      leadStatus: "new",
      defaultOwnerId: adminId,
      deal: null,
      consent: null,
      notify: { owner: true, emails: [] },
      spam: { honeypotName: "website_url", minFillMs: 0, turnstile: null, perIpLimit: null },
      thankYou: { redirectUrl: null },
      version: 1,
      archivedAt: null,
    });
    const links = created.body.links as Json;
    expect(links.hosted).toBe(`http://crm.test/f/${created.body.id}`);
    expect(links.embed).toBe(
      `<script src="http://crm.test/embed.js" data-form="${created.body.id}" async></script>`,
    );
  });

  it("creates a form once for a retried request with the same Idempotency-Key", async () => {
    const key = { ...asAdmin, "Idempotency-Key": crypto.randomUUID() };
    const first = await call("POST", "/api/v1/forms", key, formBody({ name: "Retried" }));
    const again = await call("POST", "/api/v1/forms", key, formBody({ name: "Retried" }));
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(again.body.id).toBe(first.body.id);
    const listed = await call("GET", "/api/v1/forms?q=Retried", asAdmin);
    expect((listed.body.items as Json[]).length).toBe(1);
  });

  it("lets a manager create and replace forms, and refuses reps and read-only users", async () => {
    expect((await call("POST", "/api/v1/forms", asManager, formBody())).status).toBe(201);
    const refused = await call("POST", "/api/v1/forms", asRep, formBody());
    expect(refused.status).toBe(403);
    const readOnly = (await sessionFor(t.db, await createUser(t.db, { role: "read_only" }))).headers;
    expect((await call("POST", "/api/v1/forms", readOnly, formBody())).status).toBe(403);
    const id = (await call("POST", "/api/v1/forms", asAdmin, formBody())).body.id as string;
    expect((await call("PUT", `/api/v1/forms/${id}`, asRep, formBody({ name: "Mine now" }))).status).toBe(
      403,
    );
    expect((await call("DELETE", `/api/v1/forms/${id}`, asRep)).status).toBe(403);
    // Reading definitions is open to every role.
    expect((await call("GET", `/api/v1/forms/${id}`, asRep)).status).toBe(200);
  });

  it("replaces a form under If-Match, and answers 412 to a stale version", async () => {
    const created = await call("POST", "/api/v1/forms", asAdmin, formBody());
    const id = created.body.id as string;
    const replaced = await call(
      "PUT",
      `/api/v1/forms/${id}`,
      { ...asAdmin, "If-Match": 'W/"1"' },
      formBody({ name: "Talk to sales", lifecycleStage: "mql" }),
    );
    expect(replaced.status).toBe(200);
    expect(replaced.trips).toBe(1);
    expect(replaced.headers.get("ETag")).toBe('W/"2"');
    expect(replaced.body).toMatchObject({ name: "Talk to sales", lifecycleStage: "mql", version: 2 });
    const stale = await call("PUT", `/api/v1/forms/${id}`, { ...asAdmin, "If-Match": 'W/"1"' }, formBody());
    expect(stale.status).toBe(412);
    expect((await call("PUT", `/api/v1/forms/${newId()}`, asAdmin, formBody())).status).toBe(404);
  });

  it("archives and restores a form; an archived form has no public page or definition", async () => {
    const id = (await call("POST", "/api/v1/forms", asAdmin, formBody())).body.id as string;
    expect((await call("GET", `/f/${id}/definition`)).status).toBe(200);
    const archived = await call("DELETE", `/api/v1/forms/${id}`, asAdmin);
    expect(archived.status).toBe(204);
    expect(archived.trips).toBe(1);
    expect((await call("GET", `/api/v1/forms/${id}`, asAdmin)).body.archivedAt).toEqual(expect.any(Number));
    expect((await call("GET", `/f/${id}/definition`)).status).toBe(404);
    expect((await call("GET", `/f/${id}`)).status).toBe(404);

    const restored = await call("POST", `/api/v1/forms/${id}/restore`, asAdmin);
    expect(restored.status).toBe(200);
    expect(restored.body.archivedAt).toBeNull();
    expect((await call("GET", `/f/${id}/definition`)).status).toBe(200);
    expect((await call("DELETE", `/api/v1/forms/${newId()}`, asAdmin)).status).toBe(404);
    expect((await call("POST", `/api/v1/forms/${newId()}/restore`, asAdmin)).status).toBe(404);
  });

  it("lists forms newest first in keyset pages, live ones unless asked, searchable by name", async () => {
    const ids: string[] = [];
    for (const name of ["Alpha list", "Beta list", "Gamma list"]) {
      ids.push((await call("POST", "/api/v1/forms", asAdmin, formBody({ name }))).body.id as string);
    }
    await call("DELETE", `/api/v1/forms/${ids[0]}`, asAdmin);
    const first = await call("GET", "/api/v1/forms?q=list&limit=1", asRep);
    expect(first.trips).toBe(1);
    expect((first.body.items as Json[]).map((f) => f.name)).toEqual(["Gamma list"]);
    const second = await call("GET", `/api/v1/forms?q=list&limit=1&cursor=${first.body.nextCursor}`, asRep);
    expect((second.body.items as Json[]).map((f) => f.name)).toEqual(["Beta list"]);
    expect(second.body.nextCursor).toBeNull();
    const archived = await call("GET", "/api/v1/forms?q=list&state=archived", asRep);
    expect((archived.body.items as Json[]).map((f) => f.name)).toEqual(["Alpha list"]);
    const all = await call("GET", "/api/v1/forms?q=list&state=all", asRep);
    expect((all.body.items as Json[]).length).toBe(3);
  });
});

describe("what a definition refuses", () => {
  async function refused(body: Json) {
    const response = await call("POST", "/api/v1/forms", asAdmin, body);
    expect(response.status).toBe(422);
    return (response.body.errors as { path: string; message: string }[]).map((e) => e.path);
  }

  it("needs a field mapped to the contact's email or phone, unique keys and targets, and fitting types", async () => {
    const base = formBody().fields as Json[];
    expect(
      await refused(formBody({ fields: base.filter((f) => f.key !== "email" && f.key !== "phone") })),
    ).toEqual(["fields"]);
    expect(await refused(formBody({ fields: [...base, { ...base[5], mapTo: null }] }))).toContain(
      "fields.6.key",
    );
    expect(
      await refused(
        formBody({
          fields: [...base, { key: "email2", type: "email", label: { en: "E" }, mapTo: "contact.email" }],
        }),
      ),
    ).toContain("fields.6.mapTo");
    expect(
      await refused(
        formBody({ fields: [{ key: "email", type: "text", label: { en: "E" }, mapTo: "contact.email" }] }),
      ),
    ).toEqual(["fields.0.mapTo"]);
    expect(
      await refused(formBody({ fields: [...base, { key: "_sid", type: "text", label: { en: "S" } }] })),
    ).toContain("fields.6.key");
    expect(await refused(formBody({ spam: { honeypotName: "email" } }))).toEqual(["spam.honeypotName"]);
    expect(
      await refused(formBody({ fields: [...base, { key: "plan", type: "select", label: { en: "Plan" } }] })),
    ).toContain("fields.6.options");
  });

  it("checks origins, URLs, the owner, and the deal's pipeline and stage", async () => {
    expect(await refused(formBody({ allowedOrigins: ["https://example.com/path"] }))).toEqual([
      "allowedOrigins.0",
    ]);
    expect(
      await refused(formBody({ thankYou: { message: { en: "Hi" }, redirectUrl: "javascript:alert(1)" } })),
    ).toEqual(["thankYou.redirectUrl"]);
    expect(await refused(formBody({ defaultOwnerId: newId() }))).toEqual(["defaultOwnerId"]);
    expect(await refused(formBody({ deal: { pipelineId: newId() } }))).toEqual(
      expect.arrayContaining(["deal.pipelineId"]),
    );
    expect(
      await refused(
        formBody({ deal: { pipelineId: "01900000-0000-7000-8000-000000000001", stageId: newId() } }),
      ),
    ).toEqual(["deal.stageId"]);
    expect(await refused(formBody({ spam: { turnstile: { siteKey: "1x00000000000000000000AA" } } }))).toEqual(
      ["spam.turnstile.secretKey"],
    );
  });

  it("maps fields to contact custom fields that exist, with fitting types and options", async () => {
    const field = await call("POST", "/api/v1/custom-fields", asAdmin, {
      object: "contact",
      key: "budget",
      label: "Budget",
      type: "select",
      options: ["small", "large"],
    });
    expect(field.status).toBe(201);
    const base = formBody().fields as Json[];
    const budget = (options: string[]) => ({
      key: "budget",
      type: "select",
      label: { en: "Budget" },
      options: options.map((value) => ({ value, label: { en: value } })),
      mapTo: "contact.custom.budget",
    });
    const ok = await call(
      "POST",
      "/api/v1/forms",
      asAdmin,
      formBody({ fields: [...base, budget(["small"])] }),
    );
    expect(ok.status).toBe(201);
    // A field defined after this isolate cached the configuration is found on the retry that reads it afresh.
    expect(await refused(formBody({ fields: [...base, budget(["small", "huge"])] }))).toEqual([
      "fields.6.options",
    ]);
    expect(
      await refused(formBody({ fields: [...base, { ...budget([]), type: "number", options: undefined }] })),
    ).toEqual(["fields.6.mapTo"]);
    expect(
      await refused(formBody({ fields: [...base, { ...budget(["small"]), mapTo: "contact.custom.nope" }] })),
    ).toEqual(["fields.6.mapTo"]);
  });
});

describe("secrets", () => {
  it("keeps the Turnstile secret write-only: never in the API's answer or the public definition, kept on replace", async () => {
    const body = formBody({
      spam: {
        minFillMs: 1500,
        turnstile: { siteKey: "1x00000000000000000000AA", secretKey: "1x0000000000000000000000000000000AA" },
      },
      notify: { owner: true, emails: ["sales@example.com"] },
      deal: { pipelineId: "01900000-0000-7000-8000-000000000001" },
    });
    const created = await call("POST", "/api/v1/forms", asAdmin, body);
    expect(created.status).toBe(201);
    expect(created.text).not.toContain("1x0000000000000000000000000000000AA");
    expect((created.body.spam as Json).turnstile).toEqual({
      siteKey: "1x00000000000000000000AA",
      secretKeySet: true,
    });
    const id = created.body.id as string;

    const replaced = await call(
      "PUT",
      `/api/v1/forms/${id}`,
      asAdmin,
      formBody({ ...body, spam: { minFillMs: 1500, turnstile: { siteKey: "1x00000000000000000000AA" } } }),
    );
    expect(replaced.status).toBe(200);
    expect((replaced.body.spam as Json).turnstile).toEqual({
      siteKey: "1x00000000000000000000AA",
      secretKeySet: true,
    });

    const definition = await call("GET", `/f/${id}/definition`);
    expect(definition.status).toBe(200);
    expect(definition.body).toEqual({
      id,
      name: "Contact us",
      languages: ["en", "vi"],
      fields: expect.any(Array),
      consent: null,
      submitLabel: { en: "Submit", vi: "Gửi" },
      thankYou: { message: expect.any(Object), redirectUrl: null },
      turnstileSiteKey: "1x00000000000000000000AA",
      minFillMs: 1500,
      honeypotName: "website_url",
    });
    expect(definition.text).not.toMatch(/secret|sales@example|pipeline|allowedOrigins|mapTo|defaultOwner/i);
  });
});
