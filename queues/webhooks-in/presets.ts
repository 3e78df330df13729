// Ready-made sources, as data: a mapping (and the verification the sender usually uses) for common payloads,
// each with a sample payload of the shape it reads. Creating a source from a preset copies its mapping, which
// the admin may then change like any other; nothing in the consumer knows the presets.
import type { z } from "@hono/zod-openapi";
import type { VerificationInput } from "../../functions/hooks/verification.ts";
import type { MappingSchema } from "./mapping.ts";

export interface Preset {
  id: string;
  name: string;
  description: string;
  verification: VerificationInput;
  mapping: z.input<typeof MappingSchema>;
  attribution: { utm?: Record<string, string> };
  sample: unknown;
}

const lead = { type: "upsert_contact", lifecycleStage: "lead" } as const;
const submitted = { type: "record_engagement", kind: "form_submitted" } as const;

export const PRESETS: readonly Preset[] = [
  {
    id: "generic-lead",
    name: "Generic lead",
    description:
      "A flat lead payload (id, email, names, phone, company, job title, UTM) from any tool that can post JSON: " +
      "the contact is created or updated, the lead is logged on its timeline and counted as a form submission.",
    verification: { kind: "standard_webhooks" },
    mapping: {
      deliveryId: { path: "id" },
      eventId: "id",
      occurredAt: "created_at",
      fields: {
        "contact.email": "email",
        "contact.firstName": "first_name",
        "contact.lastName": "last_name",
        "contact.name": "name",
        "contact.phone": "phone",
        "contact.jobTitle": "job_title",
        "company.name": "company",
        "company.domain": "website",
        "utm.source": "utm_source",
        "utm.medium": "utm_medium",
        "utm.campaign": "utm_campaign",
      },
      rules: [{ actions: [lead, { type: "log_activity", subject: "Lead received" }, submitted] }],
    },
    attribution: {},
    sample: {
      id: "lead_7f3a9c",
      created_at: "2025-03-01T09:30:00Z",
      email: "an.nguyen@example.vn",
      first_name: "An",
      last_name: "Nguyễn",
      phone: "+84 912 345 678",
      job_title: "Marketing Manager",
      company: "Công ty Ánh Dương",
      website: "https://anhduong.example.vn",
      utm_source: "newsletter",
      utm_medium: "email",
      utm_campaign: "spring-launch",
    },
  },
  {
    id: "email-engagement",
    name: "Email engagement",
    description:
      "Email events from a sending service (delivered, opened, clicked, bounced, complained, unsubscribed), one " +
      "per delivery with `type` and the recipient in `data.to`: each lands on the contact's timeline; opens, " +
      "clicks, bounces and complaints count for scoring; an unsubscribe or complaint withdraws email consent. " +
      "Events for addresses that are not contacts are kept and skipped.",
    verification: { kind: "standard_webhooks" },
    mapping: {
      eventType: "type",
      occurredAt: "created_at",
      fields: { "contact.email": "data.to[0]" },
      rules: [
        { on: ["email.delivered"], actions: [{ type: "log_activity", subject: "Email delivered" }] },
        {
          on: ["email.opened"],
          actions: [
            { type: "record_engagement", kind: "email_opened" },
            { type: "log_activity", subject: "Email opened" },
          ],
        },
        {
          on: ["email.clicked"],
          actions: [
            { type: "record_engagement", kind: "email_clicked" },
            { type: "log_activity", subject: "Email link clicked" },
          ],
        },
        {
          on: ["email.bounced"],
          actions: [
            { type: "record_engagement", kind: "bounced" },
            { type: "log_activity", subject: "Email bounced" },
          ],
        },
        {
          on: ["email.complained"],
          actions: [
            { type: "record_engagement", kind: "spam_reported" },
            { type: "set_consent", emailConsent: "withdrawn" },
            { type: "log_activity", subject: "Email marked as spam" },
          ],
        },
        {
          on: ["email.unsubscribed"],
          actions: [
            { type: "record_engagement", kind: "unsubscribed" },
            { type: "set_consent", emailConsent: "withdrawn" },
            { type: "log_activity", subject: "Unsubscribed from email" },
          ],
        },
      ],
    },
    attribution: {},
    sample: {
      type: "email.opened",
      created_at: "2025-03-02T08:15:00Z",
      data: {
        email_id: "4ef9a417-02e9-4d39-ad75-9611e0fcc33c",
        from: "Sales <sales@example.com>",
        to: ["an.nguyen@example.vn"],
        subject: "Ưu đãi mùa xuân",
      },
    },
  },
  {
    id: "meta-lead-ads",
    name: "Meta lead ads",
    description:
      "A lead from a Facebook or Instagram lead form, shaped as the Graph API returns it (the `field_data` list " +
      "of name and values), as forwarded by an integration; Meta's X-Hub-Signature-256 verifies it.",
    verification: { kind: "hmac_sha256", header: "X-Hub-Signature-256", encoding: "hex", prefix: "sha256=" },
    mapping: {
      deliveryId: { path: "id" },
      eventId: "id",
      occurredAt: "created_time",
      fields: {
        "contact.email": "field_data[name=email].values[0]",
        "contact.name": "field_data[name=full_name].values[0]",
        "contact.firstName": "field_data[name=first_name].values[0]",
        "contact.lastName": "field_data[name=last_name].values[0]",
        "contact.phone": "field_data[name=phone_number].values[0]",
        "contact.jobTitle": "field_data[name=job_title].values[0]",
        "company.name": "field_data[name=company_name].values[0]",
        "utm.campaign": "campaign_name",
        "utm.content": "ad_name",
      },
      rules: [{ actions: [lead, { type: "log_activity", subject: "Lead from Meta lead ads" }, submitted] }],
    },
    attribution: { utm: { source: "facebook", medium: "paid_social" } },
    sample: {
      id: "1187349502739153",
      created_time: "2025-03-03T10:04:12+0000",
      ad_id: "23851234567890123",
      ad_name: "Spring carousel",
      adset_id: "23851234567890456",
      campaign_id: "23851234567890789",
      campaign_name: "Spring leads VN",
      form_id: "912345678901234",
      platform: "fb",
      field_data: [
        { name: "full_name", values: ["Trần Thị Bình"] },
        { name: "email", values: ["binh.tran@example.com"] },
        { name: "phone_number", values: ["+84987654321"] },
        { name: "company_name", values: ["Bình Minh Logistics"] },
        { name: "job_title", values: ["Operations Lead"] },
      ],
    },
  },
  {
    id: "google-ads-lead-form",
    name: "Google Ads lead form",
    description:
      "A lead from a Google Ads lead form extension (`user_column_data` by column id); Google sends the key you " +
      "set in the campaign as `google_key` in the payload, which is the source's token.",
    verification: { kind: "token", in: "payload", name: "google_key" },
    mapping: {
      deliveryId: { path: "lead_id" },
      eventId: "lead_id",
      fields: {
        "contact.email": "user_column_data[column_id=EMAIL].string_value",
        "contact.name": "user_column_data[column_id=FULL_NAME].string_value",
        "contact.firstName": "user_column_data[column_id=FIRST_NAME].string_value",
        "contact.lastName": "user_column_data[column_id=LAST_NAME].string_value",
        "contact.phone": "user_column_data[column_id=PHONE_NUMBER].string_value",
        "contact.jobTitle": "user_column_data[column_id=JOB_TITLE].string_value",
        "company.name": "user_column_data[column_id=COMPANY_NAME].string_value",
        "utm.campaign": "campaign_id",
        "utm.content": "creative_id",
      },
      rules: [
        { actions: [lead, { type: "log_activity", subject: "Lead from a Google Ads lead form" }, submitted] },
      ],
    },
    attribution: { utm: { source: "google", medium: "cpc" } },
    sample: {
      lead_id: "TeSter-123-ABCDEFGHIJKLMNOPQRSTUVWXYZ-abcdefghijklmnopqrstuvwxyz-0123456789",
      api_version: "1.0",
      form_id: 40000000000,
      campaign_id: 20000000000,
      google_key: "replace-with-the-source-token",
      is_test: true,
      gcl_id: "TeSter-123",
      adgroup_id: 30000000000,
      creative_id: 50000000000,
      user_column_data: [
        { column_name: "Full Name", string_value: "Lê Văn Cường", column_id: "FULL_NAME" },
        { column_name: "User Email", string_value: "cuong.le@example.net", column_id: "EMAIL" },
        { column_name: "User Phone", string_value: "+84 903 111 222", column_id: "PHONE_NUMBER" },
        { column_name: "Company Name", string_value: "Cường Phát JSC", column_id: "COMPANY_NAME" },
      ],
    },
  },
  {
    id: "typeform",
    name: "Typeform",
    description:
      "A Typeform response (`form_response.answers`): the email and phone answers by their type, names and " +
      "company by the question refs `first_name`, `last_name` and `company` (change them to yours), UTM from " +
      "hidden fields. Typeform signs with Typeform-Signature.",
    verification: {
      kind: "hmac_sha256",
      header: "Typeform-Signature",
      encoding: "base64",
      prefix: "sha256=",
    },
    mapping: {
      deliveryId: { path: "event_id" },
      eventType: "event_type",
      eventId: "event_id",
      occurredAt: "form_response.submitted_at",
      fields: {
        "contact.email": "form_response.answers[type=email].email",
        "contact.phone": "form_response.answers[type=phone_number].phone_number",
        "contact.firstName": "form_response.answers[field.ref=first_name].text",
        "contact.lastName": "form_response.answers[field.ref=last_name].text",
        "company.name": "form_response.answers[field.ref=company].text",
        "utm.source": "form_response.hidden.utm_source",
        "utm.medium": "form_response.hidden.utm_medium",
        "utm.campaign": "form_response.hidden.utm_campaign",
      },
      rules: [
        {
          on: ["form_response"],
          actions: [lead, { type: "log_activity", subject: "Typeform response" }, submitted],
        },
      ],
    },
    attribution: {},
    sample: {
      event_id: "01JNQ5W3ZK8Y2B6T4V1X9R7M3C",
      event_type: "form_response",
      form_response: {
        form_id: "lT4Z3j",
        token: "a3a12ec67a1365927098a606107fac15",
        submitted_at: "2025-03-04T14:22:05Z",
        hidden: { utm_source: "linkedin", utm_campaign: "webinar-q2" },
        answers: [
          { type: "text", text: "Phạm", field: { id: "k1", type: "short_text", ref: "last_name" } },
          { type: "text", text: "Dũng", field: { id: "k2", type: "short_text", ref: "first_name" } },
          { type: "email", email: "dung.pham@example.org", field: { id: "k3", type: "email", ref: "email" } },
          {
            type: "phone_number",
            phone_number: "+84912000111",
            field: { id: "k4", type: "phone_number", ref: "phone" },
          },
          { type: "text", text: "Dũng Tiến Co.", field: { id: "k5", type: "short_text", ref: "company" } },
        ],
      },
    },
  },
  {
    id: "tally",
    name: "Tally",
    description:
      "A Tally form response (`data.fields`): email and phone by their input type, names and company by their " +
      "labels (change them to yours). Tally signs with Tally-Signature.",
    verification: { kind: "hmac_sha256", header: "Tally-Signature", encoding: "base64" },
    mapping: {
      deliveryId: { path: "eventId" },
      eventType: "eventType",
      eventId: "eventId",
      occurredAt: "createdAt",
      fields: {
        "contact.email": "data.fields[type=INPUT_EMAIL].value",
        "contact.phone": "data.fields[type=INPUT_PHONE_NUMBER].value",
        "contact.firstName": 'data.fields[label="First name"].value',
        "contact.lastName": 'data.fields[label="Last name"].value',
        "company.name": "data.fields[label=Company].value",
      },
      rules: [
        {
          on: ["FORM_RESPONSE"],
          actions: [lead, { type: "log_activity", subject: "Tally response" }, submitted],
        },
      ],
    },
    attribution: {},
    sample: {
      eventId: "a4cb511e-d513-4fa5-baee-b815d718dfd1",
      eventType: "FORM_RESPONSE",
      createdAt: "2025-03-05T07:45:30.000Z",
      data: {
        responseId: "2wgx4n",
        submissionId: "2wgx4n",
        respondentId: "dwQKYm",
        formId: "VwbNEw",
        formName: "Demo request",
        createdAt: "2025-03-05T07:45:29.000Z",
        fields: [
          { key: "question_3EKz4n", label: "First name", type: "INPUT_TEXT", value: "Hoa" },
          { key: "question_w4Q4Xn", label: "Last name", type: "INPUT_TEXT", value: "Võ" },
          { key: "question_n8vR9d", label: "Work email", type: "INPUT_EMAIL", value: "hoa.vo@example.io" },
          { key: "question_mO4Z2p", label: "Company", type: "INPUT_TEXT", value: "Hoa Sen Studio" },
        ],
      },
    },
  },
];

export function presetById(id: string): Preset | undefined {
  return PRESETS.find((preset) => preset.id === id);
}

export const PRESET_IDS = PRESETS.map((preset) => preset.id) as [string, ...string[]];
