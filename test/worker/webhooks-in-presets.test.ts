// Each preset, end to end: a source made from it, its sample payload signed as the sender signs it, posted,
// and processed: the contact it describes (with its company and campaign), the timeline entry, the engagement
// for scoring, and for email engagement the consent an unsubscribe withdraws.
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../db/ids.ts";
import { activities, companies, contacts, webhookInboxEvents } from "../../db/schema/index.ts";
import { PRESETS } from "../../queues/webhooks-in/presets.ts";
import { createUser, sessionFor } from "./factories.ts";
import { bodySignature, type Headers, hooksTest, type Json, standardHeaders } from "./webhooks-in-support.ts";

const { t, call, capture, createSource, post, drain, contactByEmail, sentEvents } = hooksTest();

let admin: Headers;

beforeAll(async () => {
  admin = (await sessionFor(t.db, await createUser(t.db, { role: "admin" }))).headers;
});

const sample = (id: string) => structuredClone(PRESETS.find((p) => p.id === id)?.sample) as Json;

async function fromPreset(preset: string, extra: Json = {}) {
  return createSource(admin, { name: `From ${preset}`, preset, ...extra });
}

async function timelineOf(contactId: string) {
  return t.db.select().from(activities).where(eq(activities.contactId, contactId));
}

describe("presets", () => {
  it("are listed with their mapping, verification and a sample", async () => {
    const listed = await call("GET", "/api/v1/webhook-presets", admin);
    expect(listed.status).toBe(200);
    const items = listed.body.items as Json[];
    expect(items.map((p) => p.id)).toEqual([
      "generic-lead",
      "email-engagement",
      "meta-lead-ads",
      "google-ads-lead-form",
      "typeform",
      "tally",
    ]);
    for (const item of items)
      expect(item).toMatchObject({ mapping: { rules: expect.any(Array) }, sample: expect.anything() });
  });

  it("generic lead: a contact with its company and campaign, the timeline entry, a form-submission engagement", async () => {
    const source = await fromPreset("generic-lead");
    expect(source.body).toMatchObject({
      preset: "generic-lead",
      verification: { kind: "standard_webhooks" },
    });
    const body = JSON.stringify(sample("generic-lead"));
    expect((await post(source.id, body, standardHeaders(source.secret, `msg_${newId()}`, body))).status).toBe(
      202,
    );
    await drain();
    const contact = await contactByEmail("an.nguyen@example.vn");
    expect(contact).toMatchObject({
      firstName: "An",
      lastName: "Nguyễn",
      name: "An Nguyễn",
      phone: "+84912345678",
      jobTitle: "Marketing Manager",
      lifecycleStage: "lead",
    });
    expect(JSON.parse(contact?.firstTouch ?? "{}")).toMatchObject({
      source: "newsletter",
      medium: "email",
      campaign: "spring-launch",
    });
    const [company] = await t.db
      .select()
      .from(companies)
      .where(eq(companies.id, contact?.companyId ?? ""));
    expect(company).toMatchObject({ name: "Công ty Ánh Dương", domain: "anhduong.example.vn" });
    const [entry] = await timelineOf(contact?.id ?? "");
    expect(entry).toMatchObject({ type: "webhook_event", subject: "Lead received" });
    expect(entry?.occurredAt).toBe(Date.parse("2025-03-01T09:30:00Z"));
    expect(sentEvents("engagement.recorded").at(-1)?.data).toMatchObject({
      contactId: contact?.id,
      kind: "form_submitted",
      eventId: `webhook:${source.id}:lead_7f3a9c`,
    });
  });

  it("email engagement: opens and clicks count, delivered is logged, unsubscribe withdraws consent", async () => {
    const source = await fromPreset("email-engagement");
    const email = "reader@example.vn";
    const contactId = newId();
    await t.db.insert(contacts).values({
      id: contactId,
      name: "Reader",
      email,
      emailConsent: "granted",
      createdAt: Date.now(),
      updatedAt: Date.now(),
    });
    const send = async (type: string, to = email) => {
      const body = JSON.stringify({
        ...sample("email-engagement"),
        type,
        data: { to: [to], subject: "Spring" },
      });
      const response = await post(source.id, body, standardHeaders(source.secret, `msg_${newId()}`, body));
      expect(response.status).toBe(202);
    };
    for (const type of [
      "email.delivered",
      "email.opened",
      "email.clicked",
      "email.bounced",
      "email.unsubscribed",
    ]) {
      await send(type);
    }
    await send("email.opened", "stranger@example.vn");
    await drain();

    const kinds = sentEvents("engagement.recorded")
      .map((m) => m.data as { contactId: string; kind: string })
      .filter((d) => d.contactId === contactId)
      .map((d) => d.kind);
    expect(kinds.sort()).toEqual(["bounced", "email_clicked", "email_opened", "unsubscribed"]);
    const subjects = (await timelineOf(contactId)).map((a) => a.subject).sort();
    expect(subjects).toEqual([
      "Email bounced",
      "Email delivered",
      "Email link clicked",
      "Email opened",
      "Unsubscribed from email",
    ]);
    expect(await contactByEmail(email)).toMatchObject({
      emailConsent: "withdrawn",
      consentSource: `webhook:${source.id}`,
    });
    // An event for an address that is no contact is kept, and makes none.
    expect(await contactByEmail("stranger@example.vn")).toBeUndefined();
    const events = await t.db
      .select()
      .from(webhookInboxEvents)
      .where(eq(webhookInboxEvents.status, "no_contact"));
    expect(events.length).toBeGreaterThanOrEqual(1);
  });

  it("Meta lead ads: field_data by name, signed with X-Hub-Signature-256, attributed to the campaign", async () => {
    const source = await fromPreset("meta-lead-ads", { secret: "meta-app-secret-123" });
    const body = JSON.stringify(sample("meta-lead-ads"));
    const signature = await bodySignature("meta-app-secret-123", body, "hex", "sha256=");
    expect((await post(source.id, body, { "X-Hub-Signature-256": signature })).status).toBe(202);
    expect((await post(source.id, body, { "X-Hub-Signature-256": "sha256=00" })).status).toBe(401);
    await drain();
    const contact = await contactByEmail("binh.tran@example.com");
    expect(contact).toMatchObject({
      name: "Trần Thị Bình",
      phone: "+84987654321",
      jobTitle: "Operations Lead",
    });
    expect(JSON.parse(contact?.firstTouch ?? "{}")).toMatchObject({
      source: "facebook",
      medium: "paid_social",
      campaign: "Spring leads VN",
      content: "Spring carousel",
    });
    const [entry] = await timelineOf(contact?.id ?? "");
    expect(entry?.occurredAt).toBe(Date.parse("2025-03-03T10:04:12Z"));
    const [company] = await t.db.select().from(companies).where(eq(companies.name, "Bình Minh Logistics"));
    expect(company).toBeDefined();
  });

  it("Google Ads lead form: user_column_data by column id, verified by the google_key in the payload", async () => {
    const source = await fromPreset("google-ads-lead-form");
    expect(source.body).toMatchObject({ verification: { kind: "token", in: "payload", name: "google_key" } });
    const payload = { ...sample("google-ads-lead-form"), google_key: source.secret };
    const body = JSON.stringify(payload);
    expect((await post(source.id, body)).status).toBe(202);
    expect((await post(source.id, JSON.stringify({ ...payload, google_key: "wrong-key-1234" }))).status).toBe(
      401,
    );
    await drain();
    const contact = await contactByEmail("cuong.le@example.net");
    expect(contact).toMatchObject({ name: "Lê Văn Cường", phone: "+84903111222" });
    expect(JSON.parse(contact?.firstTouch ?? "{}")).toMatchObject({
      source: "google",
      campaign: "20000000000",
    });
  });

  it("Typeform: answers by type and ref, hidden UTM, signed with Typeform-Signature", async () => {
    const source = await fromPreset("typeform", { secret: "typeform-secret-xyz" });
    const body = JSON.stringify(sample("typeform"));
    const signature = await bodySignature("typeform-secret-xyz", body, "base64", "sha256=");
    expect((await post(source.id, body, { "Typeform-Signature": signature })).status).toBe(202);
    await drain();
    const contact = await contactByEmail("dung.pham@example.org");
    expect(contact).toMatchObject({ firstName: "Dũng", lastName: "Phạm", phone: "+84912000111" });
    expect(JSON.parse(contact?.firstTouch ?? "{}")).toMatchObject({
      source: "linkedin",
      campaign: "webinar-q2",
    });
    // Another event type of Typeform's is kept and ignored.
    const other = JSON.stringify({
      ...sample("typeform"),
      event_id: "other-1",
      event_type: "form_response_partial",
    });
    const otherSignature = await bodySignature("typeform-secret-xyz", other, "base64", "sha256=");
    expect((await post(source.id, other, { "Typeform-Signature": otherSignature })).status).toBe(202);
    await drain();
    const ignored = await t.db
      .select()
      .from(webhookInboxEvents)
      .where(eq(webhookInboxEvents.eventId, "other-1"));
    expect(ignored).toMatchObject([{ status: "ignored", contactId: null }]);
  });

  it("Tally: fields by type and label, signed with Tally-Signature", async () => {
    const source = await fromPreset("tally", { secret: "tally-signing-secret" });
    const body = JSON.stringify(sample("tally"));
    const signature = await bodySignature("tally-signing-secret", body, "base64");
    expect((await post(source.id, body, { "Tally-Signature": signature })).status).toBe(202);
    await drain();
    expect(await contactByEmail("hoa.vo@example.io")).toMatchObject({
      firstName: "Hoa",
      lastName: "Võ",
      name: "Hoa Võ",
    });
    expect(capture.sent).toEqual([]);
  });

  it("can be changed after creation like any mapping", async () => {
    const source = await fromPreset("tally", { secret: "tally-signing-secret" });
    const mapping = (source.body.mapping ?? {}) as Json;
    const changed = await call("PATCH", `/api/v1/webhook-sources/${source.id}`, admin, {
      mapping: {
        ...mapping,
        fields: { ...(mapping.fields as Json), "contact.jobTitle": 'data.fields[label="Role"].value' },
      },
    });
    expect(changed.status).toBe(200);
    expect((changed.body.mapping as { fields: Json }).fields["contact.jobTitle"]).toBe(
      'data.fields[label="Role"].value',
    );
  });
});
