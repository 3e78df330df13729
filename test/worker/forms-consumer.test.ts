// The capture consumer: a submission becomes a lead in one batch (contact matched or made, company from the
// email's domain, timeline entry with page and UTM, deal, lifecycle, owner, notification, event), and
// nothing twice: a second delivery changes nothing, a double click makes one lead.
import { and, eq } from "drizzle-orm";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { newId } from "../../db/ids.ts";
import {
  activities,
  companies,
  contacts,
  dealContacts,
  dealStageHistory,
  deals,
  formSubmissions,
  notifications,
  outbox,
} from "../../db/schema/index.ts";
import type { CaptureData } from "../../queues/capture/message.ts";
import type { QueueMessage } from "../../queues/message.ts";
import { createTeam, createUser, sessionFor, type TestUser } from "./factories.ts";
import {
  formBody,
  formsTest,
  type Headers,
  type Json,
  mockTurnstile,
  submission,
  TURNSTILE_TEST,
} from "./forms-support.ts";

const { t, call, capture, events, deliver } = formsTest();

let asAdmin: Headers;
let owner: TestUser;
let teamId: string;

beforeAll(async () => {
  const admin = await createUser(t.db, { role: "admin" });
  asAdmin = (await sessionFor(t.db, admin)).headers;
  owner = await createUser(t.db, { role: "rep", name: "Owner Rep" });
  teamId = await createTeam(t.db, "Inbound", [{ user: owner }]);
});

afterEach(() => {
  vi.restoreAllMocks();
});

async function newForm(extra: Json = {}, options: { warm?: boolean } = { warm: true }): Promise<string> {
  const created = await call(
    "POST",
    "/api/v1/forms",
    asAdmin,
    formBody({ defaultOwnerId: owner.id, ...extra }),
  );
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  if (options.warm) expect((await call("GET", `/f/${id}/definition`)).status).toBe(200);
  return id;
}

/** Posts a submission and returns the message it put on the capture queue. */
async function submit(formId: string, body: Json, headers: Headers = {}): Promise<QueueMessage> {
  const response = await call("POST", `/f/${formId}`, headers, body);
  expect(response.status).toBe(202);
  const message = capture.sent.pop();
  if (!message) throw new Error("nothing queued");
  return message;
}

async function submissionRow(id: string) {
  const [row] = await t.db.select().from(formSubmissions).where(eq(formSubmissions.id, id));
  if (!row) throw new Error(`no submission ${id}`);
  return row;
}

async function contactByEmail(email: string) {
  return t.db.select().from(contacts).where(eq(contacts.email, email));
}

async function insertContact(values: Partial<typeof contacts.$inferInsert>) {
  const id = newId();
  const now = Date.now();
  await t.db.insert(contacts).values({ id, name: "Existing", createdAt: now, updatedAt: now, ...values });
  return id;
}

describe("a submission becomes a lead", () => {
  it("makes the contact, its company and timeline entry, notifies the owner and announces it, in two round trips", async () => {
    const formId = await newForm();
    const body = submission({
      email: "An.Nguyen@Example-Corp.vn",
      first_name: "An",
      last_name: "Nguyễn",
      phone: "+84 912 345 678",
      company: "Example Corp",
      message: "Call me",
    });
    const message = await submit(formId, body, { "CF-Connecting-IP": "203.0.113.9" });
    let result: Awaited<ReturnType<typeof deliver>> | undefined;
    const trips = await t.roundTrips(async () => {
      result = await deliver([message]);
    });
    expect(result?.explicitAcks).toEqual(["msg-0"]);
    expect(trips).toBe(2);

    const row = await submissionRow(body.submissionId as string);
    expect(row).toMatchObject({
      status: "processed",
      email: "an.nguyen@example-corp.vn",
      name: "An Nguyễn",
      clientIp: "203.0.113.9",
      visitorId: body.visitorId,
      attempts: 1,
      spamReasons: "[]",
    });
    const [contact] = await contactByEmail("an.nguyen@example-corp.vn");
    expect(contact).toMatchObject({
      id: row.contactId,
      name: "An Nguyễn",
      firstName: "An",
      lastName: "Nguyễn",
      phone: "+84912345678",
      ownerId: owner.id,
      teamId,
      lifecycleStage: "lead",
      leadStatus: "new",
      source: "Form: Contact us",
    });
    expect(JSON.parse(contact?.firstTouch ?? "{}")).toMatchObject({
      source: "google",
      medium: "cpc",
      campaign: "spring",
    });
    expect(JSON.parse(contact?.latestTouch ?? "{}")).toMatchObject({ source: "google" });

    const [company] = await t.db
      .select()
      .from(companies)
      .where(eq(companies.id, contact?.companyId ?? ""));
    expect(company).toMatchObject({ name: "Example Corp", domain: "example-corp.vn", ownerId: owner.id });

    const timeline = await t.db
      .select()
      .from(activities)
      .where(eq(activities.contactId, row.contactId ?? ""));
    expect(timeline).toHaveLength(1);
    expect(timeline[0]).toMatchObject({
      type: "form_submission",
      companyId: company?.id,
      subject: 'Submitted "Contact us"',
    });
    expect(timeline[0]?.body).toContain("Message: Call me");
    expect(JSON.parse(timeline[0]?.metadata ?? "{}")).toMatchObject({
      formId,
      submissionId: body.submissionId,
      page: { url: "https://www.example.com/pricing?utm_source=google&utm_medium=cpc&utm_campaign=spring" },
      utm: { source: "google", medium: "cpc", campaign: "spring" },
    });

    const mail = await t.db.select().from(outbox).where(eq(outbox.recipient, owner.email));
    expect(mail.map((m) => m.subject)).toContain('New lead from "Contact us": An Nguyễn');
    // The owner's notice is a notification of a new lead: in the app, and by email (its default channels).
    const notices = await t.db
      .select()
      .from(notifications)
      .where(eq(notifications.contactId, row.contactId ?? ""));
    expect(notices.map((n) => [n.userId, n.kind, n.title, n.inApp])).toEqual([
      [owner.id, "lead_assigned", 'New lead from "Contact us": An Nguyễn', true],
    ]);
    expect(mail.find((m) => m.notificationId === notices[0]?.id)?.template).toBe("form.lead");
    expect(events.sent.at(-1)).toMatchObject({
      id: `form.submitted:${body.submissionId}`,
      type: "form.submitted",
      data: { formId, submissionId: body.submissionId, contactId: row.contactId },
    });

    // Through the API, as a rep sees it: the owner, the UTM and the timeline entry.
    const asOwner = (await sessionFor(t.db, owner)).headers;
    const seen = await call("GET", `/api/v1/contacts/${row.contactId}`, asOwner);
    expect(seen.status).toBe(200);
    expect(seen.body).toMatchObject({ ownerId: owner.id, firstTouch: { source: "google", medium: "cpc" } });
    const entries = await call("GET", `/api/v1/activities?contactId=${row.contactId}`, asOwner);
    expect((entries.body.items as Json[]).map((a) => a.type)).toEqual(["form_submission"]);
  });

  it("changes nothing on a second delivery of the same message: one contact, one entry, one notification", async () => {
    const formId = await newForm();
    const body = submission({ email: "twice@example.vn", first_name: "Hai" });
    const message = await submit(formId, body);
    await deliver([message]);
    const before = await submissionRow(body.submissionId as string);
    const again = await deliver([message, message]);
    expect(again.explicitAcks.sort()).toEqual(["msg-0", "msg-1"]);
    expect(await contactByEmail("twice@example.vn")).toHaveLength(1);
    const contactId = before.contactId ?? "";
    expect(await t.db.select().from(activities).where(eq(activities.contactId, contactId))).toHaveLength(1);
    expect(
      (await t.db.select().from(outbox).where(eq(outbox.recipient, owner.email))).filter((m) =>
        m.body.includes(contactId),
      ),
    ).toHaveLength(1);
    expect(
      await t.db.select().from(notifications).where(eq(notifications.contactId, contactId)),
    ).toHaveLength(1);
    expect(await submissionRow(body.submissionId as string)).toEqual(before);
    // The announcement may go out again (keyed by the submission, its consumers see one lead).
    expect(
      new Set(events.sent.filter((e) => e.id.endsWith(body.submissionId as string)).map((e) => e.id)).size,
    ).toBe(1);
  });

  it("processes one message in a batch once even when two deliveries race", async () => {
    const formId = await newForm();
    const body = submission({ email: "race@example.vn" });
    const message = await submit(formId, body);
    await Promise.all([deliver([message]), deliver([message])]);
    const [contact] = await contactByEmail("race@example.vn");
    expect(await contactByEmail("race@example.vn")).toHaveLength(1);
    expect(
      await t.db
        .select()
        .from(activities)
        .where(eq(activities.contactId, contact?.id ?? "")),
    ).toHaveLength(1);
  });

  it("makes one lead of a double click: the second, identical submission is a duplicate of the first", async () => {
    const formId = await newForm();
    const fields = { email: "double@example.vn", first_name: "Đôi" };
    const first = submission(fields);
    const second = submission(fields, { visitorId: first.visitorId });
    await deliver([await submit(formId, first), await submit(formId, second)]);
    const a = await submissionRow(first.submissionId as string);
    const b = await submissionRow(second.submissionId as string);
    const [original, duplicate] = a.status === "processed" ? [a, b] : [b, a];
    expect(original?.status).toBe("processed");
    expect(duplicate).toMatchObject({
      status: "duplicate",
      duplicateOf: original?.id,
      contactId: original?.contactId,
    });
    expect(
      await t.db
        .select()
        .from(activities)
        .where(eq(activities.contactId, original?.contactId ?? "")),
    ).toHaveLength(1);

    // Something else from the same person is a new submission on the same contact.
    await deliver([await submit(formId, submission({ ...fields, message: "One more thing" }))]);
    expect(await contactByEmail("double@example.vn")).toHaveLength(1);
    expect(
      await t.db
        .select()
        .from(activities)
        .where(eq(activities.contactId, original?.contactId ?? "")),
    ).toHaveLength(2);
  });
});

describe("matching the contact", () => {
  it("finds an existing contact by email, whatever its case, and fills in what it lacked", async () => {
    const id = await insertContact({
      email: "mai@example.vn",
      emails: '["mai@example.vn"]',
      name: "Mai",
      ownerId: null,
      lifecycleStage: "subscriber",
    });
    const formId = await newForm({ lifecycleStage: "mql" });
    await deliver([await submit(formId, submission({ email: "MAI@example.vn", phone: "+84 987 654 321" }))]);
    const [contact] = await contactByEmail("mai@example.vn");
    expect(contact).toMatchObject({
      id,
      name: "Mai",
      phone: "+84987654321",
      ownerId: owner.id,
      lifecycleStage: "mql",
      leadStatus: "new",
    });
    expect(JSON.parse(contact?.phones ?? "[]")).toEqual(["+84987654321"]);
    const changes = await t.db
      .select()
      .from(activities)
      .where(and(eq(activities.contactId, id), eq(activities.type, "lifecycle_change")));
    expect(JSON.parse(changes[0]?.metadata ?? "{}")).toMatchObject({ from: "subscriber", to: "mql" });
  });

  it("never moves a contact's lifecycle backwards, nor resets its lead status or owner", async () => {
    const other = await createUser(t.db, { role: "rep" });
    const id = await insertContact({
      email: "loyal@example.vn",
      emails: '["loyal@example.vn"]',
      lifecycleStage: "customer",
      leadStatus: "connected",
      ownerId: other.id,
    });
    const formId = await newForm({ lifecycleStage: "lead" });
    await deliver([await submit(formId, submission({ email: "loyal@example.vn" }))]);
    const [contact] = await contactByEmail("loyal@example.vn");
    expect(contact).toMatchObject({
      id,
      lifecycleStage: "customer",
      leadStatus: "connected",
      ownerId: other.id,
    });
  });

  it("finds a contact by phone (E.164) when there is no email match, and adds the email", async () => {
    const id = await insertContact({
      phone: "+84911222333",
      phones: '["+84911222333"]',
      name: "Phone Person",
    });
    const formId = await newForm();
    await deliver([
      await submit(formId, submission({ email: "phone.person@example.vn", phone: "+84 911 222 333" })),
    ]);
    const [contact] = await contactByEmail("phone.person@example.vn");
    expect(contact?.id).toBe(id);
    expect(JSON.parse(contact?.emails ?? "[]")).toEqual(["phone.person@example.vn"]);
  });

  it("finds a returning visitor by visitor id, but not one whose email says it is someone else", async () => {
    const fields = (formBody().fields as Json[]).map((f) =>
      f.key === "email" ? { ...f, required: false } : f,
    );
    const formId = await newForm({ fields });
    const visitorId = `v-${crypto.randomUUID()}`;
    await deliver([await submit(formId, submission({ email: "visitor@example.vn" }, { visitorId }))]);
    const [known] = await contactByEmail("visitor@example.vn");
    const later = submission({ first_name: "Returning" }, { visitorId });
    await deliver([await submit(formId, later)]);
    expect((await submissionRow(later.submissionId as string)).contactId).toBe(known?.id);
    const [renamed] = await contactByEmail("visitor@example.vn");
    expect(renamed?.firstName).toBe("Returning");

    const someoneElse = submission({ email: "sibling@example.vn" }, { visitorId });
    await deliver([await submit(formId, someoneElse)]);
    const [sibling] = await contactByEmail("sibling@example.vn");
    expect(sibling?.id).not.toBe(known?.id);
  });
});

describe("company, deal, consent and custom fields", () => {
  it("makes no company from a free-mail address, and reuses the company of a known domain", async () => {
    const formId = await newForm({
      fields: (formBody().fields as Json[]).filter((f) => f.key !== "company"),
    });
    await deliver([await submit(formId, submission({ email: "someone@gmail.com" }))]);
    const [personal] = await contactByEmail("someone@gmail.com");
    expect(personal?.companyId).toBeNull();
    expect(await t.db.select().from(companies).where(eq(companies.domain, "gmail.com"))).toEqual([]);

    await deliver([await submit(formId, submission({ email: "a@acme-vn.com" }))]);
    await deliver([await submit(formId, submission({ email: "b@acme-vn.com" }))]);
    const acme = await t.db.select().from(companies).where(eq(companies.domain, "acme-vn.com"));
    expect(acme).toHaveLength(1);
    expect(acme[0]?.name).toBe("acme-vn.com");
    const [a] = await contactByEmail("a@acme-vn.com");
    const [b] = await contactByEmail("b@acme-vn.com");
    expect([a?.companyId, b?.companyId]).toEqual([acme[0]?.id, acme[0]?.id]);
  });

  it("opens the configured deal in the pipeline's first stage, owned as the contact is", async () => {
    const formId = await newForm({
      deal: {
        pipelineId: "01900000-0000-7000-8000-000000000001",
        name: "{form}: {name}",
        amount: 5_000_000,
        currency: "VND",
      },
    });
    const body = submission({ email: "deal@example.vn", first_name: "Lan", last_name: "Trần" });
    await deliver([await submit(formId, body)]);
    const row = await submissionRow(body.submissionId as string);
    const [deal] = await t.db
      .select()
      .from(deals)
      .where(eq(deals.id, row.dealId ?? ""));
    expect(deal).toMatchObject({
      name: "Contact us: Lan Trần",
      amount: 5_000_000,
      currency: "VND",
      stageId: "01900000-0000-7000-8000-000000000011",
      status: "open",
      ownerId: owner.id,
      teamId,
    });
    expect(
      await t.db
        .select()
        .from(dealContacts)
        .where(eq(dealContacts.dealId, deal?.id ?? "")),
    ).toEqual([{ dealId: deal?.id, contactId: row.contactId }]);
    expect(
      await t.db
        .select()
        .from(dealStageHistory)
        .where(eq(dealStageHistory.dealId, deal?.id ?? "")),
    ).toHaveLength(1);
    const [entry] = await t.db
      .select()
      .from(activities)
      .where(eq(activities.contactId, row.contactId ?? ""));
    expect(entry?.dealId).toBe(deal?.id);
  });

  it("records consent, and writes mapped custom fields", async () => {
    expect(
      (
        await call("POST", "/api/v1/custom-fields", asAdmin, {
          object: "contact",
          key: "budget",
          label: "Budget",
          type: "number",
        })
      ).status,
    ).toBe(201);
    const formId = await newForm({
      consent: { text: { en: "Email me" }, required: true },
      fields: [
        ...(formBody().fields as Json[]),
        { key: "budget", type: "number", label: { en: "Budget" }, mapTo: "contact.custom.budget" },
      ],
    });
    await deliver([
      await submit(formId, submission({ email: "consent@example.vn", budget: "1500" }, { consent: true })),
    ]);
    const [contact] = await contactByEmail("consent@example.vn");
    expect(contact).toMatchObject({ emailConsent: "granted", consentSource: `form:${formId}` });
    expect(JSON.parse(contact?.custom ?? "{}")).toEqual({ budget: 1500 });
  });
});

describe("spam is kept and marked, never made a lead", () => {
  it("marks a filled honeypot, in JSON or as the trap input of a plain post", async () => {
    const formId = await newForm();
    const json = submission({ email: "bot1@example.vn" }, { honeypot: "http://buy.example" });
    await deliver([await submit(formId, json)]);
    expect(await submissionRow(json.submissionId as string)).toMatchObject({
      status: "spam",
      spamReasons: '["honeypot"]',
      contactId: null,
    });
    const sid = crypto.randomUUID();
    const response = await call(
      "POST",
      `/f/${formId}`,
      { "Content-Type": "application/x-www-form-urlencoded" },
      new URLSearchParams({
        email: "bot2@example.vn",
        website_url: "http://buy.example",
        _sid: sid,
      }).toString(),
    );
    expect(response.status).toBe(303);
    await deliver();
    expect((await submissionRow(sid)).status).toBe("spam");
    expect(await contactByEmail("bot1@example.vn")).toEqual([]);
    expect(await contactByEmail("bot2@example.vn")).toEqual([]);
  });

  it("marks a submission sent sooner after rendering than the form's minimum fill time", async () => {
    const formId = await newForm({ spam: { minFillMs: 3000, perIpLimit: null } });
    const hasty = submission({ email: "hasty@example.vn" }, { renderedAt: Date.now() - 200 });
    const unrendered = submission({ email: "norender@example.vn" }, { renderedAt: null });
    const patient = submission({ email: "patient@example.vn" }, { renderedAt: Date.now() - 60_000 });
    await deliver([
      await submit(formId, hasty),
      await submit(formId, unrendered),
      await submit(formId, patient),
    ]);
    expect(await submissionRow(hasty.submissionId as string)).toMatchObject({
      status: "spam",
      spamReasons: '["too_fast"]',
    });
    expect((await submissionRow(unrendered.submissionId as string)).status).toBe("spam");
    expect((await submissionRow(patient.submissionId as string)).status).toBe("processed");
  });

  it("marks more submissions from one address than the form allows within its window", async () => {
    const formId = await newForm({ spam: { minFillMs: 0, perIpLimit: { max: 2, windowMinutes: 60 } } });
    const ip = { "CF-Connecting-IP": "198.51.100.77" };
    const bodies = [1, 2, 3].map((n) => submission({ email: `ip${n}@example.vn` }));
    for (const body of bodies) await deliver([await submit(formId, body, ip)]);
    const statuses = await Promise.all(bodies.map((b) => submissionRow(b.submissionId as string)));
    expect(statuses.map((s) => s.status)).toEqual(["processed", "processed", "spam"]);
    expect(statuses[2]?.spamReasons).toBe('["ip_limit"]');
  });

  it("marks a post from an origin the form does not allow, found by the consumer when the edge did not know the form", async () => {
    const formId = await newForm({}, { warm: false });
    const body = submission({ email: "elsewhere@example.vn" });
    await deliver([await submit(formId, body, { Origin: "https://evil.example.net" })]);
    expect(await submissionRow(body.submissionId as string)).toMatchObject({
      status: "spam",
      spamReasons: '["origin"]',
    });
  });

  it("verifies Turnstile with the form's secret at the edge: Cloudflare's always-pass key passes, always-fail is spam", async () => {
    const { seen } = mockTurnstile();
    const passing = await newForm({
      spam: {
        minFillMs: 0,
        perIpLimit: null,
        turnstile: { siteKey: TURNSTILE_TEST.siteKey, secretKey: TURNSTILE_TEST.passSecret },
      },
    });
    const failing = await newForm({
      spam: {
        minFillMs: 0,
        perIpLimit: null,
        turnstile: { siteKey: TURNSTILE_TEST.siteKey, secretKey: TURNSTILE_TEST.failSecret },
      },
    });
    const good = submission({ email: "human@example.vn" }, { turnstileToken: TURNSTILE_TEST.dummyToken });
    const bad = submission({ email: "robot@example.vn" }, { turnstileToken: TURNSTILE_TEST.dummyToken });
    const goodMessage = await submit(passing, good);
    const badMessage = await submit(failing, bad);
    expect(seen.map((s) => s.secret)).toEqual([TURNSTILE_TEST.passSecret, TURNSTILE_TEST.failSecret]);
    // Verified at the edge: the token does not travel on, the verdict does.
    expect((goodMessage.data as CaptureData).turnstile).toEqual({
      token: null,
      verdict: "passed",
      codes: [],
    });
    await deliver([goodMessage, badMessage]);
    expect(seen).toHaveLength(2);
    expect((await submissionRow(good.submissionId as string)).status).toBe("processed");
    expect(await submissionRow(bad.submissionId as string)).toMatchObject({
      status: "spam",
      spamReasons: '["turnstile"]',
    });
    expect((await submissionRow(bad.submissionId as string)).payload).not.toContain(
      TURNSTILE_TEST.dummyToken,
    );
  });

  it("verifies Turnstile in the consumer when the edge could not, and fails closed when siteverify is unreachable", async () => {
    const spec = {
      spam: {
        minFillMs: 0,
        perIpLimit: null,
        turnstile: { siteKey: TURNSTILE_TEST.siteKey, secretKey: TURNSTILE_TEST.passSecret },
      },
    };
    const cold = await newForm(spec, { warm: false });
    const { seen } = mockTurnstile();
    const late = submission({ email: "late@example.vn" }, { turnstileToken: TURNSTILE_TEST.dummyToken });
    const missing = submission({ email: "notoken@example.vn" });
    await deliver([await submit(cold, late), await submit(cold, missing)]);
    expect(seen.map((s) => s.response)).toEqual([TURNSTILE_TEST.dummyToken]);
    expect((await submissionRow(late.submissionId as string)).status).toBe("processed");
    expect((await submissionRow(missing.submissionId as string)).status).toBe("spam");

    vi.restoreAllMocks();
    mockTurnstile({ down: true });
    const down = await newForm(spec);
    const unverifiable = submission(
      { email: "unverifiable@example.vn" },
      { turnstileToken: TURNSTILE_TEST.dummyToken },
    );
    const message = await submit(down, unverifiable);
    expect((message.data as CaptureData).turnstile.verdict).toBe("unavailable");
    await deliver([message]);
    expect(await submissionRow(unverifiable.submissionId as string)).toMatchObject({
      status: "spam",
      spamReasons: '["turnstile"]',
    });
  });
});

describe("what the consumer cannot make a lead of", () => {
  it("keeps a submission that fails the form's rules as failed, with the field errors", async () => {
    const formId = await newForm({}, { warm: false });
    const body = submission({ email: "not-an-email" });
    await deliver([await submit(formId, body)]);
    const row = await submissionRow(body.submissionId as string);
    expect(row.status).toBe("failed");
    expect(JSON.parse(row.error ?? "[]")).toEqual([
      { field: "email", code: "invalid_email", message: "Enter a valid email address." },
    ]);
  });

  it("keeps what reaches an archived form as failed, and drops what names no form at all", async () => {
    const formId = await newForm({}, { warm: false });
    const late = submission({ email: "late@example.vn" });
    const message = await submit(formId, late);
    await call("DELETE", `/api/v1/forms/${formId}`, asAdmin);
    await deliver([message]);
    expect((await submissionRow(late.submissionId as string)).status).toBe("failed");

    const nowhere = submission({ email: "nowhere@example.vn" });
    const result = await deliver([await submit(newId(), nowhere)]);
    expect(result.explicitAcks).toEqual(["msg-0"]);
    expect(
      await t.db
        .select()
        .from(formSubmissions)
        .where(eq(formSubmissions.id, nowhere.submissionId as string)),
    ).toEqual([]);
  });
});
