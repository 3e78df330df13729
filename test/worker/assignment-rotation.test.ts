// Round robin under load: 1,000 leads over a team of equal weights differ by at most one per member, whether
// they arrive one after another or all at once through concurrent consumers; weights split leads in
// proportion, smoothly; a redelivered event assigns once.
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { activities, contacts, outbox } from "../../db/schema/index.ts";
import { assignmentHandlers } from "../../queues/assignment/handlers.ts";
import { FORM_SUBMITTED_EVENT } from "../../queues/capture/message.ts";
import { formSubmitted, makeLeads, ownersOf, servicesOf, setRules } from "./assignment-support.ts";
import { createTeam, createUser, type TestUser } from "./factories.ts";
import { useTestDatabase } from "./support.ts";

const t = useTestDatabase();
const handle = assignmentHandlers[FORM_SUBMITTED_EVENT];
if (!handle) throw new Error("the assignment engine handles form.submitted");

let members: TestUser[];
let teamId: string;

beforeAll(async () => {
  members = [];
  for (let i = 0; i < 7; i++) members.push(await createUser(t.db, { name: `Rotation ${i}` }));
  teamId = await createTeam(
    t.db,
    "Rotation",
    members.map((user) => ({ user })),
  );
});

function spread(counts: Map<string | null, number>, users: TestUser[]) {
  return users.map((u) => counts.get(u.id) ?? 0);
}

describe("round robin", () => {
  it("spreads 1,000 leads from concurrent consumers within one of each other", async () => {
    await setRules(t.db, "assignment", {
      rules: [{ id: "all", name: "Everyone", when: [], assignTo: { type: "team", teamId, weights: {} } }],
      fallbackOwnerId: null,
    });
    const ids = await makeLeads(t.db, 1000);
    const services = servicesOf(t);
    const messages = ids.map((id) => formSubmitted(id));
    // 1,000 handler invocations at once, as many consumers would run them, against the real database.
    await Promise.all(messages.map((m) => handle(m, services)));
    const counts = spread(await ownersOf(t.db, ids), members);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(1000);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);

    // Delivered again (all of them, concurrently): nothing moves, nothing is written twice.
    await Promise.all(messages.map((m) => handle(m, services)));
    expect(spread(await ownersOf(t.db, ids), members)).toEqual(counts);
    const changes = await t.db.select().from(activities).where(eq(activities.type, "owner_change"));
    expect(changes.filter((a) => ids.includes(a.contactId ?? ""))).toHaveLength(1000);
    const notices = await t.db.select().from(outbox).where(eq(outbox.template, "assignment.owner"));
    expect(notices).toHaveLength(1000);
  }, 120_000);

  it("keeps the rotation exact when leads come one by one through the events queue", async () => {
    const ids = await makeLeads(t.db, 70);
    for (let i = 0; i < ids.length; i += 10) {
      const result = await t.queue(
        "crm-events",
        ids.slice(i, i + 10).map((id) => formSubmitted(id)),
      );
      expect(result.explicitAcks.length).toBe(10);
    }
    const counts = spread(await ownersOf(t.db, ids), members);
    expect(counts).toEqual(members.map(() => 10));
  }, 60_000);

  it("gives weighted members leads in proportion, interleaved rather than in runs", async () => {
    const [a, b, c] = [
      await createUser(t.db, { name: "Weight 3" }),
      await createUser(t.db, { name: "Weight 2" }),
      await createUser(t.db, { name: "Weight 1" }),
    ];
    const weighted = await createTeam(t.db, "Weighted", [{ user: a }, { user: b }, { user: c }]);
    await setRules(t.db, "assignment", {
      rules: [
        {
          id: "w",
          name: "Weighted",
          when: [],
          assignTo: { type: "team", teamId: weighted, weights: { [a.id]: 3, [b.id]: 2, [c.id]: 1 } },
        },
      ],
      fallbackOwnerId: null,
    });
    const ids = await makeLeads(t.db, 600);
    const services = servicesOf(t);
    const order: string[] = [];
    // Sequentially first (to see the order), then a concurrent burst.
    for (const id of ids.slice(0, 6)) {
      await handle(formSubmitted(id), services);
      const [row] = await t.db
        .select({ ownerId: contacts.ownerId })
        .from(contacts)
        .where(eq(contacts.id, id));
      order.push(row?.ownerId ?? "");
    }
    // Smooth weighted round robin with weights 3, 2, 1: a b a c b a (never a run of three).
    expect(order).toEqual([a.id, b.id, a.id, c.id, b.id, a.id]);
    await Promise.all(ids.slice(6).map((id) => handle(formSubmitted(id), services)));
    const counts = spread(await ownersOf(t.db, ids), [a, b, c]);
    expect(counts).toEqual([300, 200, 100]);
  }, 120_000);
});
