// An inbound webhook does not make again a contact erased on request: the delivery is kept and answered as
// usual, its event marked "suppressed", and no contact or timeline entry appears; someone else still comes in.
// What the sender sent about an erased person is not kept either: the raw payload of such a delivery is blanked
// (when its event is suppressed, and by the erasure for deliveries that came before it), and cannot be replayed.
import { eq } from "drizzle-orm";
import { beforeAll, expect, it } from "vitest";
import { newId } from "../../db/ids.ts";
import { suppressionHashes } from "../../db/privacy/suppression.ts";
import { activities, suppressions, webhookInbox, webhookInboxEvents } from "../../db/schema/index.ts";
import { createUser, sessionFor } from "./factories.ts";
import { type Headers, hooksTest, standardHeaders } from "./webhooks-in-support.ts";

const { t, call, createSource, post, drain, contactByEmail, sentEvents } = hooksTest();

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

async function inboxRow(id: string) {
  const [row] = await t.db.select().from(webhookInbox).where(eq(webhookInbox.id, id));
  return row;
}

it("blanks the payload of a delivery that named an erased person, and will not replay it", async () => {
  const inboxId = await deliver("Erased.Person@example.com");
  const row = await inboxRow(inboxId);
  expect(row).toMatchObject({ status: "processed", body: "", headers: "{}", queryParams: "{}" });
  expect(row?.erasedAt).toEqual(expect.any(Number));
  const detail = await call("GET", `/api/v1/webhook-inbox/${inboxId}`, admin);
  expect(detail.body).toMatchObject({
    erasedAt: row?.erasedAt,
    body: "",
    events: [{ status: "suppressed" }],
  });
  const replay = await call("POST", `/api/v1/webhook-inbox/${inboxId}/replay`, admin);
  expect(replay.status).toBe(409);
  expect(replay.body.detail).toMatch(/erased on request/);
  const many = await call("POST", "/api/v1/webhook-inbox/replay", admin, { ids: [inboxId] });
  expect(many.body).toMatchObject({ replayed: 0 });
  expect((await inboxRow(inboxId))?.replays).toBe(0);
});

it("blanks, when a contact is erased, the deliveries that concerned them before, and leaves the others", async () => {
  const theirs = await deliver("leaving.soon@example.com");
  const others = await deliver("staying@example.com");
  const contact = await contactByEmail("leaving.soon@example.com");
  if (!contact) throw new Error("no contact");
  expect((await inboxRow(theirs))?.body).toContain("leaving.soon@example.com");

  const asked = await call("POST", `/api/v1/contacts/${contact.id}/erase`, admin, {
    reason: "Asked by phone",
  });
  expect(asked.status).toBe(202);
  expect((await t.queue("crm-events", sentEvents("privacy.erase"))).retryMessages).toEqual([]);

  expect(await inboxRow(theirs)).toMatchObject({ body: "", headers: "{}", erasedAt: expect.any(Number) });
  const kept = await inboxRow(others);
  expect(kept?.body).toContain("staying@example.com");
  expect(kept?.erasedAt).toBeNull();
  expect((await call("POST", `/api/v1/webhook-inbox/${others}/replay`, admin)).status).toBe(202);
});
