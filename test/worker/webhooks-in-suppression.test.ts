// An inbound webhook does not make again a contact erased on request: the delivery is kept and answered as
// usual, its event marked "suppressed", and no contact or timeline entry appears; someone else still comes in.
import { eq } from "drizzle-orm";
import { beforeAll, expect, it } from "vitest";
import { newId } from "../../db/ids.ts";
import { suppressionHashes } from "../../db/privacy/suppression.ts";
import { activities, suppressions, webhookInboxEvents } from "../../db/schema/index.ts";
import { createUser, sessionFor } from "./factories.ts";
import { type Headers, hooksTest, standardHeaders } from "./webhooks-in-support.ts";

const { t, createSource, post, drain, contactByEmail } = hooksTest();

let admin: Headers;
let source: { id: string; secret: string };

beforeAll(async () => {
  admin = (await sessionFor(t.db, await createUser(t.db, { role: "admin" }))).headers;
  source = await createSource(admin, {
    name: "Ads leads",
    verification: { kind: "standard_webhooks" },
    mapping: {
      fields: { "contact.email": "email", "contact.firstName": "first" },
      rules: [{ actions: [{ type: "upsert_contact" }, { type: "log_activity" }] }],
    },
  });
  // As an erasure leaves it: the hash of the normalised email on the list.
  const [erased] = await suppressionHashes({ emails: ["Erased.Person@example.com"] });
  if (!erased) throw new Error("no hash");
  await t.db.insert(suppressions).values({ ...erased, createdAt: Date.now() });
});

async function deliver(email: string) {
  const body = JSON.stringify({ email, first: "Thảo" });
  const id = `msg_${newId()}`;
  const response = await post(source.id, body, standardHeaders(source.secret, id, body));
  expect(response.status).toBe(202);
  await drain();
  return response.body.id as string;
}

it("makes no contact for an erased person's email, and marks the event suppressed", async () => {
  const inboxId = await deliver("erased.person@EXAMPLE.com");
  expect(await contactByEmail("erased.person@example.com")).toBeUndefined();
  const [event] = await t.db.select().from(webhookInboxEvents).where(eq(webhookInboxEvents.inboxId, inboxId));
  expect(event).toMatchObject({ status: "suppressed", contactId: null });
  const logged = await t.db.select().from(activities).where(eq(activities.type, "webhook_event"));
  expect(logged).toHaveLength(0);
});

it("still makes a contact for anyone else", async () => {
  const inboxId = await deliver("someone.else@example.com");
  const contact = await contactByEmail("someone.else@example.com");
  expect(contact?.firstName).toBe("Thảo");
  const [event] = await t.db.select().from(webhookInboxEvents).where(eq(webhookInboxEvents.inboxId, inboxId));
  expect(event).toMatchObject({ status: "processed", contactId: contact?.id });
});
