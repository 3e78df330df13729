// Data-subject rights: everything about a contact as JSON (audited), the consent history, and erasure: personal
// data anonymised everywhere it was (contact, timeline, submissions, recorded events), the email and phone
// kept only as hashes, and the same email sent through a form again makes no contact.
import { eq, sql } from "drizzle-orm";
import { beforeAll, expect, it } from "vitest";
import { contacts, formSubmissions } from "../../db/schema/index.ts";
import { createUser, sessionFor } from "./factories.ts";
import { formBody, formsTest, type Headers, submission } from "./forms-support.ts";

const { t, call, capture, events, deliver } = formsTest();
const EMAIL = "erase.me@example.com";
let asAdmin: Headers;
let formId: string;

beforeAll(async () => {
  asAdmin = (await sessionFor(t.db, await createUser(t.db, { role: "admin" }))).headers;
  const created = await call(
    "POST",
    "/api/v1/forms",
    asAdmin,
    formBody({ consent: { text: { en: "Email me", vi: "Gửi email cho tôi" }, required: false } }),
  );
  expect(created.status, created.text).toBe(201);
  formId = created.body.id as string;
  expect((await call("GET", `/f/${formId}/definition`)).status).toBe(200);
});

async function submit(fields: Record<string, string>) {
  const posted = await call("POST", `/f/${formId}`, {}, submission(fields, { consent: true }));
  expect(posted.status).toBe(202);
  const result = await deliver(capture.sent.splice(0));
  expect(result.retryMessages).toEqual([]);
}

async function contactId(): Promise<string> {
  const [row] = await t.db.select({ id: contacts.id }).from(contacts).where(eq(contacts.email, EMAIL));
  if (!row) throw new Error("no contact");
  return row.id;
}

it("exports everything about a contact as JSON, audited, with its consent history", async () => {
  await submit({ email: EMAIL, first_name: "Thảo", last_name: "Phạm", phone: "+84 912 000 111" });
  const id = await contactId();
  const data = await call("GET", `/api/v1/contacts/${id}/personal-data`, asAdmin);
  expect(data.status, data.text).toBe(200);
  expect(data.trips).toBe(1);
  expect(data.body.contact).toMatchObject({ id, email: EMAIL, firstName: "Thảo" });
  expect((data.body.formSubmissions as unknown[]).length).toBe(1);
  expect((data.body.activities as { type: string }[]).map((a) => a.type)).toContain("form_submission");
  const [audit] = await t.db.all<{ n: number }>(
    sql`select count(*) as n from audit_log where action = 'contact.data_exported' and target_id = ${id}`,
  );
  expect(audit?.n).toBe(1);

  const history = await call("GET", `/api/v1/contacts/${id}/consent-history`, asAdmin);
  expect(history.status).toBe(200);
  expect(history.trips).toBe(1);
  expect((history.body.items as { consent: string }[]).map((i) => i.consent)).toContain("granted");

  const rep = (await sessionFor(t.db, await createUser(t.db, { role: "rep" }))).headers;
  expect((await call("GET", `/api/v1/contacts/${id}/personal-data`, rep)).status).toBe(403);
});

it("erases a contact: anonymised everywhere, suppressed, and a later form submission makes no contact", async () => {
  const id = await contactId();
  const asked = await call("POST", `/api/v1/contacts/${id}/erase`, asAdmin, { reason: "Asked by email" });
  expect(asked.status, asked.text).toBe(202);
  expect(asked.trips).toBe(1);
  expect(asked.body).toMatchObject({ status: "pending", contactId: id });
  const erase = events.sent.filter((m) => m.type === "privacy.erase");
  expect(erase).toHaveLength(1);
  expect((await t.queue("crm-events", erase)).retryMessages).toEqual([]);
  // A second delivery finds it done.
  expect((await t.queue("crm-events", erase)).retryMessages).toEqual([]);

  const status = await call("GET", `/api/v1/privacy-requests/${asked.body.id}`, asAdmin);
  expect(status.body).toMatchObject({ status: "done" });
  const [row] = await t.db.select().from(contacts).where(eq(contacts.id, id));
  expect(row).toMatchObject({
    name: "Erased contact",
    email: null,
    emails: "[]",
    phone: null,
    firstName: null,
  });
  expect(row?.deletedAt).not.toBeNull();
  const [leftovers] = await t.db.all<{
    submissions: number;
    events: number;
    suppressed: number;
    audit: number;
  }>(sql`select
    (select count(*) from form_submissions where contact_id = ${id} and (payload like '%erase.me%' or email is not null)) as submissions,
    (select count(*) from domain_events where data like '%erase.me%' or data like '%Thảo%') as events,
    (select count(*) from suppressions) as suppressed,
    (select count(*) from audit_log where action = 'contact.erased' and target_id = ${id}) as audit`);
  expect(leftovers).toEqual({ submissions: 0, events: 0, suppressed: 2, audit: 1 });
  // The hashes are not the values.
  const hashes = await t.db.all<{ hash: string }>(sql`select hash from suppressions`);
  expect(hashes.every((h) => /^[0-9a-f]{64}$/.test(h.hash))).toBe(true);

  // The same person fills in the form again: no contact, and the submission keeps none of what was sent.
  await submit({ email: "Erase.Me@example.com", first_name: "Thảo", last_name: "Phạm" });
  const [again] = await t.db.all<{ n: number }>(
    sql`select count(*) as n from contacts where email = ${EMAIL} and deleted_at is null`,
  );
  expect(again?.n).toBe(0);
  const [kept] = await t.db
    .select()
    .from(formSubmissions)
    .where(sql`${formSubmissions.contactId} is null and ${formSubmissions.error} like 'Not recorded%'`);
  expect(kept).toMatchObject({ status: "processed", email: null, name: null, payload: "{}" });

  // Someone else through the same form is still made a contact.
  await submit({ email: "someone.else@example.com", first_name: "An" });
  const [other] = await t.db.all<{ n: number }>(
    sql`select count(*) as n from contacts where email = 'someone.else@example.com'`,
  );
  expect(other?.n).toBe(1);
});

it("refuses to erase a contact the caller cannot see, and lets only admins ask", async () => {
  const manager = (await sessionFor(t.db, await createUser(t.db, { role: "manager" }))).headers;
  const [other] = await t.db
    .select({ id: contacts.id })
    .from(contacts)
    .where(eq(contacts.email, "someone.else@example.com"));
  expect((await call("POST", `/api/v1/contacts/${other?.id}/erase`, manager, {})).status).toBe(403);
  const unknown = await call(
    "POST",
    "/api/v1/contacts/01900000-0000-7000-8000-00000000dead/erase",
    asAdmin,
    {},
  );
  expect(unknown.status).toBe(404);
  const [requests] = await t.db.all<{ n: number }>(sql`select count(*) as n from privacy_requests`);
  expect(requests?.n).toBe(1);
});
