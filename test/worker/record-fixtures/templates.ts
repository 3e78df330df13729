// Fixtures for email templates: a template (the organisation's, every caller who may read templates sees it)
// and a contact of rep A's with an address, to which the sample body sends a transactional template.
import { newId } from "../../../db/ids.ts";
import { contacts, emailTemplates } from "../../../db/schema/index.ts";
import type { BodyMaker } from "./bodies.ts";
import { type FixtureMaker, VISIBLE_TO_OWNER_REP_A, type World } from "./types.ts";

async function template(db: World["db"], kind: "marketing" | "transactional" = "transactional") {
  const id = newId();
  const now = Date.now();
  const variant = { subject: "Hi {{contact.name}}", html: "<p>Hi</p>", text: "Hi" };
  await db.insert(emailTemplates).values({
    id,
    name: "Fixture",
    kind,
    variants: JSON.stringify({ en: variant }),
    createdAt: now,
    updatedAt: now,
  });
  return id;
}

/** The template each email-contact fixture's sample body sends. */
const templateFor = new Map<string, string>();

export const templateFixtures: Record<string, FixtureMaker> = {
  email_template: async ({ db }) => ({ id: await template(db) }),
  email_contact: async ({ db, people, teamA }) => {
    const id = newId();
    const now = Date.now();
    await db.insert(contacts).values({
      id,
      name: `Fixture ${id.slice(-6)}`,
      email: `fixture-${id.slice(-12)}@example.com`,
      ownerId: people.repA.id,
      teamId: teamA,
      createdAt: now,
      updatedAt: now,
    });
    templateFor.set(id, await template(db));
    return { id, visibleTo: VISIBLE_TO_OWNER_REP_A };
  },
};

export const templateBodies: Record<string, BodyMaker> = {
  "POST /api/v1/email-templates": () => ({
    name: "Welcome",
    kind: "transactional",
    variants: { en: { subject: "Welcome {{contact.firstName}}", html: "<p>Hello</p>" } },
  }),
  "PATCH /api/v1/email-templates/{id}": () => ({ name: "Renamed by the matrix" }),
  "POST /api/v1/contacts/{id}/emails": (_, fixture) => ({
    templateId: (fixture && templateFor.get(fixture.id)) ?? "none",
  }),
};
