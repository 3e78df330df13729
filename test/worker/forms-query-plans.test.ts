// The query plans of lead capture, from the very statements the code builds: the submission log's list and
// filters, the sweep's work list, the forms list, and the capture batch, whose contact match, double-click
// check and per-address count run against tables that grow with every submission. No step may read a whole
// table (the rule of test/worker/query-plans.test.ts).
import { describe, expect, it } from "vitest";
import { listFormsQuery } from "../../db/forms/definitions.ts";
import { listSubmissionsQuery, pendingSubmissionsQuery } from "../../db/forms/submissions.ts";
import { FormInputSchema, toStoredDefinition } from "../../functions/forms/definition.ts";
import { leadFrom } from "../../queues/capture/lead.ts";
import type { CaptureData } from "../../queues/capture/message.ts";
import { captureStatements } from "../../queues/capture/statements.ts";
import { expectIndexed as expectIndexedIn, type Statement } from "./query-plan-support.ts";
import { useTestDatabase } from "./support.ts";

const t = useTestDatabase();

const ID = "0190bbbb-0000-7000-8000-000000000002";
const NOW = Date.parse("2026-06-01T12:00:00Z");

const expectIndexed = (statement: Statement) => expectIndexedIn(t.db, statement);

describe("the submission log", () => {
  const base = { formId: ID, limit: 50 };
  it.each([
    ["first page", {}],
    ["by status", { status: "spam" as const }],
    ["a later page", { cursor: { at: NOW, id: ID } }],
    ["by status, a later page", { status: "failed" as const, cursor: { at: NOW, id: ID } }],
    ["by time", { from: NOW - 86_400_000, to: NOW }],
    ["searched", { q: "lan@" }],
  ])("%s walks the form's index", async (_, filter) => {
    const plan = await expectIndexed(listSubmissionsQuery(t.db, { ...base, ...filter }));
    expect(plan.join("\n")).toMatch(/form_submissions_form(_status)?_idx/);
  });

  it("the sweep's work list uses its partial index", async () => {
    const plan = await expectIndexed(pendingSubmissionsQuery(t.db, NOW, 60_000, 200));
    expect(plan.join("\n")).toContain("form_submissions_pending_idx");
  });

  it("the forms list", async () => {
    for (const state of ["live", "archived", "all"] as const) {
      await expectIndexed(listFormsQuery(t.db, { state, limit: 50, before: ID }));
    }
  });
});

describe("the capture batch", () => {
  it.each([
    ["a company by domain", "an@example.vn"],
    ["a company by name (free mail)", "an@gmail.com"],
  ])("matches, deduplicates and counts without reading whole tables: %s", async (_, email) => {
    const input = FormInputSchema.parse({
      name: "Plan",
      fields: [
        { key: "email", type: "email", label: { en: "Email" }, mapTo: "contact.email" },
        { key: "phone", type: "phone", label: { en: "Phone" }, mapTo: "contact.phone" },
        { key: "company", type: "text", label: { en: "Company" }, mapTo: "company.name" },
      ],
      deal: { pipelineId: ID },
      notify: { owner: true, emails: ["sales@example.com"] },
    });
    const definition = toStoredDefinition(input);
    const values = { email, phone: "+84912345678", company: "Example" };
    const data: CaptureData = {
      v: 1,
      formId: ID,
      submissionId: ID,
      receivedAt: NOW,
      format: "json",
      lang: null,
      fields: values,
      visitorId: "visitor",
      renderedAt: NOW - 10_000,
      honeypot: null,
      page: { url: "https://example.vn/?utm_source=x", referrer: null },
      utm: { source: "x" },
      userAgent: null,
      ip: "203.0.113.1",
      origin: null,
      selfOrigin: "http://crm.test",
      turnstile: { token: null, verdict: null, codes: [] },
      replay: false,
    };
    const statements = captureStatements(
      t.db,
      {
        data,
        form: { id: ID, name: "Plan", defaultOwnerId: ID, definition },
        claim: ID,
        now: NOW,
        spam: [],
        failure: null,
        ipLimit: { max: 10, windowMs: 3_600_000 },
        lead: leadFrom(definition, values, { region: "VN", customFields: [] }),
        values,
        summary: "Email: an@example.vn",
        consent: true,
        fingerprint: "f".repeat(64),
        dealName: "Plan: An",
      },
      { contact: ID, company: ID, deal: ID },
    );
    expect(statements.length).toBeGreaterThan(10);
    for (const statement of statements) await expectIndexed(statement as unknown as Statement);
  });
});
