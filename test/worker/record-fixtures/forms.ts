// Fixtures for the access matrix: forms and their submissions. Both are organisation-wide: every caller a
// route lets through sees them (the routes themselves keep submissions to admins and managers).
import { newId } from "../../../db/ids.ts";
import { formSubmissions, forms } from "../../../db/schema/index.ts";
import { FormInputSchema, toStoredDefinition } from "../../../functions/forms/definition.ts";
import type { FixtureMaker, World } from "./types.ts";

/** A valid form body, for the fixtures and for the matrix's create and replace requests. */
export function sampleForm(name = "Matrix form") {
  return {
    name,
    fields: [{ key: "email", type: "email", label: { en: "Email" }, required: true, mapTo: "contact.email" }],
  };
}

async function insertForm({ db, people }: World): Promise<string> {
  const id = newId();
  const now = Date.now();
  await db.insert(forms).values({
    id,
    name: "Fixture form",
    definition: JSON.stringify(toStoredDefinition(FormInputSchema.parse(sampleForm("Fixture form")))),
    defaultOwnerId: people.admin.id,
    createdAt: now,
    updatedAt: now,
  });
  return id;
}

export const formsFixtures: Record<string, FixtureMaker> = {
  form: async (world) => ({ id: await insertForm(world) }),
  // Marked spam, so that a replay may take it up.
  form_submission: async (world) => {
    const formId = await insertForm(world);
    const id = newId();
    const now = Date.now();
    await world.db.insert(formSubmissions).values({
      id,
      formId,
      status: "spam",
      spamReasons: '["honeypot"]',
      payload: JSON.stringify({
        v: 1,
        formId,
        submissionId: id,
        receivedAt: now,
        format: "json",
        lang: null,
        fields: { email: "matrix@example.com" },
        visitorId: null,
        renderedAt: null,
        honeypot: "filled",
        page: { url: null, referrer: null },
        utm: {},
        userAgent: null,
        ip: null,
        origin: null,
        selfOrigin: "http://localhost",
        turnstile: { token: null, verdict: null, codes: [] },
        replay: false,
      }),
      receivedAt: now,
      updatedAt: now,
    });
    return { id };
  },
};
