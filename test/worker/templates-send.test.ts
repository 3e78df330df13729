// Preview and send: variables rendered (escaped in HTML) in English and Vietnamese for a contact the caller
// sees; marketing email refused without consent or after unsubscribing, with the reason; transactional
// allowed; a send writes one outbox row and one `email` timeline activity in one round trip.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { newId } from "../../db/ids.ts";
import { activities, companies, contacts, deals, outbox, pipelines, stages } from "../../db/schema/index.ts";
import { createUser, sessionFor, type TestUser } from "./factories.ts";
import { useTestDatabase } from "./support.ts";

const t = useTestDatabase();

async function as(user: TestUser) {
  const { headers } = await sessionFor(t.db, user);
  return (path: string, method = "GET", body?: unknown) =>
    t.fetch(path, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
}

async function contactOf(
  owner: TestUser,
  values: { email?: string | null; emailConsent?: "granted" | "withdrawn" | null; firstName?: string } = {},
) {
  const id = newId();
  const now = Date.now();
  const companyId = newId();
  await t.db
    .insert(companies)
    .values({ id: companyId, name: "Acme & <Sons>", createdAt: now, updatedAt: now });
  await t.db.insert(contacts).values({
    id,
    name: "Lan Nguyen",
    firstName: values.firstName ?? "Lan",
    email: values.email === undefined ? `lan-${id.slice(-10)}@example.com` : values.email,
    emailConsent: values.emailConsent ?? null,
    companyId,
    ownerId: owner.id,
    createdAt: now,
    updatedAt: now,
  });
  return id;
}

async function templateAs(api: Awaited<ReturnType<typeof as>>, kind: "marketing" | "transactional") {
  const response = await api("/api/v1/email-templates", "POST", {
    name: `${kind} template`,
    kind,
    variants: {
      en: {
        subject: "Hello {{contact.firstName}} from {{company.name}}",
        html: "<p>Dear {{contact.firstName}}, about {{deal.name}}. {{owner.name}}</p>",
      },
      vi: {
        subject: "Xin chào {{contact.firstName}}",
        html: "<p>Chào {{contact.name}} ({{company.name}})</p>",
      },
    },
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { id: string }).id;
}

async function emailsTo(contactId: string) {
  const rows = await t.db.select().from(outbox).where(eq(outbox.contactId, contactId));
  const timeline = await t.db.select().from(activities).where(eq(activities.contactId, contactId));
  return { rows, timeline };
}

describe("preview", () => {
  it("renders the contact's, company's, deal's and owner's values, HTML-escaped, in both languages", async () => {
    const admin = await createUser(t.db, { role: "admin" });
    const rep = await createUser(t.db, { role: "rep", name: "Rep <Minh>" });
    const adminApi = await as(admin);
    const repApi = await as(rep);
    const templateId = await templateAs(adminApi, "marketing");
    const contactId = await contactOf(rep, { firstName: "Lan <b>" });
    const dealId = newId();
    const now = Date.now();
    const [pipelineId, stageId] = [newId(), newId()];
    await t.db
      .insert(pipelines)
      .values({ id: pipelineId, name: "Preview", position: 90, createdAt: now, updatedAt: now });
    await t.db.insert(stages).values({
      id: stageId,
      pipelineId,
      name: "Open",
      position: 0,
      probability: 40,
      forecastCategory: "pipeline",
      createdAt: now,
      updatedAt: now,
    });
    await t.db.insert(deals).values({
      id: dealId,
      name: "Q3 & renewals",
      currency: "USD",
      pipelineId,
      stageId,
      stageEnteredAt: now,
      ownerId: rep.id,
      createdAt: now,
      updatedAt: now,
    });

    const en = await repApi(`/api/v1/email-templates/${templateId}/preview`, "POST", { contactId, dealId });
    expect(en.status).toBe(200);
    expect(await en.json()).toEqual({
      lang: "en",
      subject: "Hello Lan <b> from Acme & <Sons>",
      text: "Dear Lan <b>, about Q3 & renewals. Rep <Minh>",
      html: "<p>Dear Lan &lt;b&gt;, about Q3 &amp; renewals. Rep &lt;Minh&gt;</p>",
    });

    const vi = await repApi(`/api/v1/email-templates/${templateId}/preview`, "POST", {
      contactId,
      lang: "vi",
    });
    expect(await vi.json()).toEqual({
      lang: "vi",
      subject: "Xin chào Lan <b>",
      text: "Chào Lan Nguyen (Acme & <Sons>)",
      html: "<p>Chào Lan Nguyen (Acme &amp; &lt;Sons&gt;)</p>",
    });
  });

  it("answers 404 for a contact the caller cannot see, and for an unknown template", async () => {
    const admin = await createUser(t.db, { role: "admin" });
    const adminApi = await as(admin);
    const templateId = await templateAs(adminApi, "transactional");
    const other = await createUser(t.db, { role: "rep" });
    const contactId = await contactOf(other);
    const rep = await as(await createUser(t.db, { role: "rep" }));
    const hidden = await rep(`/api/v1/email-templates/${templateId}/preview`, "POST", { contactId });
    expect(hidden.status).toBe(404);
    const unknown = await adminApi(`/api/v1/email-templates/${newId()}/preview`, "POST", { contactId });
    expect(unknown.status).toBe(404);
  });
});

describe("send", () => {
  it("refuses marketing email without consent, and to a contact who unsubscribed, saying why", async () => {
    const rep = await createUser(t.db, { role: "rep" });
    const api = await as(rep);
    const templateId = await templateAs(await as(await createUser(t.db, { role: "admin" })), "marketing");

    const none = await contactOf(rep);
    const noConsent = await api(`/api/v1/contacts/${none}/emails`, "POST", { templateId });
    expect(noConsent.status).toBe(409);
    expect(noConsent.headers.get("Content-Type")).toContain("application/problem+json");
    expect(((await noConsent.json()) as { detail: string }).detail).toContain("no consent recorded");

    const withdrawn = await contactOf(rep, { emailConsent: "withdrawn" });
    const unsubscribed = await api(`/api/v1/contacts/${withdrawn}/emails`, "POST", { templateId });
    expect(unsubscribed.status).toBe(409);
    expect(((await unsubscribed.json()) as { detail: string }).detail).toContain("the contact unsubscribed");

    const noAddress = await contactOf(rep, { email: null, emailConsent: "granted" });
    const refused = await api(`/api/v1/contacts/${noAddress}/emails`, "POST", { templateId });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { detail: string }).detail).toContain("no email address");

    for (const id of [none, withdrawn, noAddress]) {
      const { rows, timeline } = await emailsTo(id);
      expect(rows).toEqual([]);
      expect(timeline).toEqual([]);
    }
  });

  it("sends transactional email whatever the consent; marketing once consent is granted", async () => {
    const rep = await createUser(t.db, { role: "rep" });
    const api = await as(rep);
    const admin = await as(await createUser(t.db, { role: "admin" }));
    const transactional = await templateAs(admin, "transactional");
    const marketing = await templateAs(admin, "marketing");

    const withdrawn = await contactOf(rep, { emailConsent: "withdrawn" });
    expect(
      (await api(`/api/v1/contacts/${withdrawn}/emails`, "POST", { templateId: transactional })).status,
    ).toBe(202);
    const granted = await contactOf(rep, { emailConsent: "granted" });
    expect((await api(`/api/v1/contacts/${granted}/emails`, "POST", { templateId: marketing })).status).toBe(
      202,
    );
  });

  it("writes exactly one outbox row and one email activity, in one round trip", async () => {
    const rep = await createUser(t.db, { role: "rep" });
    const api = await as(rep);
    const templateId = await templateAs(await as(await createUser(t.db, { role: "admin" })), "marketing");
    const contactId = await contactOf(rep, { emailConsent: "granted" });

    let response: Response | undefined;
    const trips = await t.roundTrips(async () => {
      response = await api(`/api/v1/contacts/${contactId}/emails`, "POST", { templateId, lang: "vi" });
    });
    expect(trips).toBe(1);
    expect(response?.status).toBe(202);
    const accepted = (await response?.json()) as { outboxId: string; activityId: string; subject: string };
    expect(accepted.subject).toBe("Xin chào Lan");

    const { rows, timeline } = await emailsTo(contactId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      id: accepted.outboxId,
      channel: "email",
      status: "pending",
      subject: "Xin chào Lan",
      html: "<p>Chào Lan Nguyen (Acme &amp; &lt;Sons&gt;)</p>",
      template: `template:${templateId}`,
    });
    expect(rows[0]?.recipient).toMatch(/^lan-.*@example\.com$/);
    expect(timeline).toHaveLength(1);
    expect(timeline[0]).toMatchObject({ id: accepted.activityId, type: "email", actorUserId: rep.id });
    expect(JSON.parse(timeline[0]?.metadata ?? "{}")).toMatchObject({
      templateId,
      subject: "Xin chào Lan",
      outboxId: accepted.outboxId,
    });
  });

  it("answers 404 for a contact the caller cannot see, and read-only users may not send", async () => {
    const owner = await createUser(t.db, { role: "rep" });
    const templateId = await templateAs(await as(await createUser(t.db, { role: "admin" })), "transactional");
    const contactId = await contactOf(owner);
    const stranger = await as(await createUser(t.db, { role: "rep" }));
    expect((await stranger(`/api/v1/contacts/${contactId}/emails`, "POST", { templateId })).status).toBe(404);
    const readOnly = await as(await createUser(t.db, { role: "read_only" }));
    expect((await readOnly(`/api/v1/contacts/${contactId}/emails`, "POST", { templateId })).status).toBe(403);
    expect((await emailsTo(contactId)).rows).toEqual([]);
  });
});
