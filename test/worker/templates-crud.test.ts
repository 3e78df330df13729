// Email templates CRUD: create (validated, unknown variables refused at save time), list, read with ETag,
// update with If-Match, delete and restore; reps and read-only users read but may not write.
import { describe, expect, it } from "vitest";
import { createUser, sessionFor, type TestUser } from "./factories.ts";
import { useTestDatabase } from "./support.ts";

const t = useTestDatabase();

async function as(user: TestUser) {
  const { headers } = await sessionFor(t.db, user);
  return (path: string, method = "GET", body?: unknown, extra: Record<string, string> = {}) =>
    t.fetch(path, {
      method,
      headers: {
        ...headers,
        ...extra,
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
}

const welcome = {
  name: "Welcome",
  kind: "marketing",
  variants: {
    en: { subject: "Welcome, {{ contact.firstName }}", html: "<p>Hello from {{owner.name}}</p>" },
    vi: { subject: "Chào {{contact.firstName}}", html: "<p>Xin chào</p>", text: "Xin chào" },
  },
};

interface Template {
  id: string;
  name: string;
  version: number;
  variants: { en: { subject: string; text: string }; vi?: { subject: string } };
}

describe("email templates CRUD", () => {
  it("creates, reads, lists, updates with If-Match, deletes and restores", async () => {
    const api = await as(await createUser(t.db, { role: "manager" }));
    const created = await api("/api/v1/email-templates", "POST", welcome);
    expect(created.status).toBe(201);
    const template = (await created.json()) as Template;
    expect(created.headers.get("ETag")).toBe('W/"1"');
    // Variables are stored in one form; a missing text body is made from the HTML.
    expect(template.variants.en.subject).toBe("Welcome, {{contact.firstName}}");
    expect(template.variants.en.text).toBe("Hello from {{owner.name}}");
    expect(template.variants.vi?.subject).toBe("Chào {{contact.firstName}}");

    const read = await api(`/api/v1/email-templates/${template.id}`);
    expect(read.status).toBe(200);
    expect(read.headers.get("ETag")).toBe('W/"1"');

    const list = (await (await api("/api/v1/email-templates?limit=1")).json()) as { items: Template[] };
    expect(list.items.map((item) => item.id)).toEqual([template.id]);

    const stale = await api(
      `/api/v1/email-templates/${template.id}`,
      "PATCH",
      { name: "x" },
      { "If-Match": 'W/"7"' },
    );
    expect(stale.status).toBe(412);
    const updated = await api(
      `/api/v1/email-templates/${template.id}`,
      "PATCH",
      { name: "Welcome v2" },
      { "If-Match": 'W/"1"' },
    );
    expect(updated.status).toBe(200);
    expect(updated.headers.get("ETag")).toBe('W/"2"');
    expect(((await updated.json()) as Template).name).toBe("Welcome v2");

    expect((await api(`/api/v1/email-templates/${template.id}`, "DELETE")).status).toBe(204);
    expect((await api(`/api/v1/email-templates/${template.id}`)).status).toBe(404);
    const restored = await api(`/api/v1/email-templates/${template.id}/restore`, "POST");
    expect(restored.status).toBe(200);
    expect(((await restored.json()) as Template).name).toBe("Welcome v2");
    expect((await api(`/api/v1/email-templates/${template.id}`)).status).toBe(200);
  });

  it("pages the list with a cursor", async () => {
    const api = await as(await createUser(t.db, { role: "admin" }));
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await api("/api/v1/email-templates", "POST", { ...welcome, name: `Paged ${i}` });
      ids.push(((await response.json()) as Template).id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const path: string = `/api/v1/email-templates?limit=2${cursor ? `&cursor=${cursor}` : ""}`;
      const page = (await (await api(path)).json()) as { items: Template[]; nextCursor: string | null };
      seen.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor;
    } while (cursor);
    for (const id of ids) expect(seen).toContain(id);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it("answers 422 naming the field: unknown variables, a missing English variant, a bad kind", async () => {
    const api = await as(await createUser(t.db, { role: "admin" }));
    const unknown = await api("/api/v1/email-templates", "POST", {
      ...welcome,
      variants: { en: { subject: "Hi {{contact.shoeSize}}", html: "<p>x</p>" } },
    });
    expect(unknown.status).toBe(422);
    expect(unknown.headers.get("Content-Type")).toContain("application/problem+json");
    const problem = (await unknown.json()) as { detail: string; errors: { path: string; message: string }[] };
    expect(problem.errors[0]?.path).toBe("variants.en.subject");
    expect(problem.errors[0]?.message).toContain("{{contact.shoeSize}}");

    const noEnglish = await api("/api/v1/email-templates", "POST", {
      ...welcome,
      variants: { vi: welcome.variants.vi },
    });
    expect(noEnglish.status).toBe(422);
    expect(JSON.stringify(await noEnglish.json())).toContain("variants.en");

    const kind = await api("/api/v1/email-templates", "POST", { ...welcome, kind: "spam" });
    expect(kind.status).toBe(422);
    expect(JSON.stringify(await kind.json())).toContain('"path":"kind"');

    const created = (await (await api("/api/v1/email-templates", "POST", welcome)).json()) as Template;
    const patch = await api(`/api/v1/email-templates/${created.id}`, "PATCH", {
      variants: { en: { subject: "x", html: "{{deal.secret}}" } },
    });
    expect(patch.status).toBe(422);
    expect(JSON.stringify(await patch.json())).toContain("variants.en.html");
  });

  it("lets reps and read-only users read templates but not write them", async () => {
    const manager = await as(await createUser(t.db, { role: "manager" }));
    const created = (await (await manager("/api/v1/email-templates", "POST", welcome)).json()) as Template;
    for (const role of ["rep", "read_only"] as const) {
      const api = await as(await createUser(t.db, { role }));
      expect((await api(`/api/v1/email-templates/${created.id}`)).status).toBe(200);
      expect((await api("/api/v1/email-templates", "POST", welcome)).status).toBe(403);
      expect((await api(`/api/v1/email-templates/${created.id}`, "PATCH", { name: "x" })).status).toBe(403);
      expect((await api(`/api/v1/email-templates/${created.id}`, "DELETE")).status).toBe(403);
    }
  });

  it("takes one database round trip per request", async () => {
    const api = await as(await createUser(t.db, { role: "admin" }));
    let id = "";
    expect(
      await t.roundTrips(async () => {
        id = ((await (await api("/api/v1/email-templates", "POST", welcome)).json()) as Template).id;
      }),
    ).toBe(1);
    expect(await t.roundTrips(() => api(`/api/v1/email-templates/${id}`, "PATCH", { name: "y" }))).toBe(1);
    expect(await t.roundTrips(() => api("/api/v1/email-templates"))).toBe(1);
  });
});
