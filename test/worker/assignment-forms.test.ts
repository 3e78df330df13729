// Forms reach assignment through the events queue only: the capture batch gives the lead the form's default
// owner (queues/capture/owner.ts), and the `form.submitted` event then runs the rules, starts the SLA clock, and
// writes the owner change and the notice. The form's default owner is kept when no rule and no fallback applies.
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { activities, contacts, notifications, outbox, slaClocks } from "../../db/schema/index.ts";
import { setRules } from "./assignment-support.ts";
import { createTeam, createUser, sessionFor, type TestUser } from "./factories.ts";
import { formBody, formsTest, type Headers, submission } from "./forms-support.ts";

const { t, capture, events, call, deliver } = formsTest();
let asAdmin: Headers;
let formOwner: TestUser;
let seller: TestUser;

beforeAll(async () => {
  const admin = await createUser(t.db, { role: "admin" });
  asAdmin = (await sessionFor(t.db, admin)).headers;
  formOwner = await createUser(t.db, { name: "Form owner" });
  seller = await createUser(t.db, { name: "Seller" });
  const teamId = await createTeam(t.db, "Sellers", [{ user: seller }]);
  await setRules(t.db, "assignment", {
    rules: [{ id: "all", name: "Everyone else", when: [], assignTo: { type: "team", teamId, weights: {} } }],
    fallbackOwnerId: null,
  });
  await setRules(t.db, "sla", {
    rules: [
      {
        id: "sla",
        name: "15 min",
        when: [],
        minutes: 15,
        businessHours: false,
        escalate: true,
        reassign: false,
      },
    ],
  });
});

describe("a form's lead", () => {
  it("is assigned by the rules after capture, with a timeline entry, a notice and an SLA clock", async () => {
    const created = await call(
      "POST",
      "/api/v1/forms",
      { ...asAdmin, "X-CRM-Request": "1" },
      formBody({ defaultOwnerId: formOwner.id }),
    );
    expect(created.status).toBe(201);
    const formId = created.body.id as string;
    const posted = await call(
      "POST",
      `/f/${formId}`,
      {},
      submission({ email: "lan@example.vn", first_name: "Lan" }),
    );
    expect(posted.status).toBe(202);
    await deliver();
    const [contact] = await t.db.select().from(contacts).where(eq(contacts.email, "lan@example.vn"));
    // The capture batch used the seam: the form's default owner, until assignment runs.
    expect(contact?.ownerId).toBe(formOwner.id);
    const announced = events.sent.splice(0);
    expect(announced.map((m) => m.type)).toEqual(["form.submitted"]);
    const result = await t.queue("crm-events", [...announced, ...announced]);
    expect(result.explicitAcks).toHaveLength(2);

    const [after] = await t.db
      .select()
      .from(contacts)
      .where(eq(contacts.id, contact?.id ?? ""));
    expect(after?.ownerId).toBe(seller.id);
    const changes = await t.db
      .select()
      .from(activities)
      .where(eq(activities.contactId, contact?.id ?? ""));
    expect(changes.filter((a) => a.type === "owner_change").map((a) => JSON.parse(a.metadata))).toEqual([
      expect.objectContaining({ from: formOwner.id, to: seller.id, ruleId: "all", reason: "form" }),
    ]);
    const notices = await t.db.select().from(outbox).where(eq(outbox.template, "assignment.owner"));
    expect(notices.map((n) => [n.recipient, n.kind])).toEqual([[seller.email, "lead_assigned"]]);
    // In the app too: the new owner's notice, once, beside the form's notice to its default owner.
    const feed = await t.db
      .select()
      .from(notifications)
      .where(eq(notifications.contactId, contact?.id ?? ""));
    expect(feed.map((n) => [n.userId, n.kind]).sort()).toEqual(
      [
        [formOwner.id, "lead_assigned"],
        [seller.id, "lead_assigned"],
      ].sort(),
    );
    const clocks = await t.db
      .select()
      .from(slaClocks)
      .where(eq(slaClocks.contactId, contact?.id ?? ""));
    expect(clocks.map((k) => [k.ownerId, k.ruleId, k.dueAt - k.startedAt])).toEqual([
      [seller.id, "sla", 15 * 60_000],
    ]);
    expect(capture.sent).toHaveLength(0);
  });
});
